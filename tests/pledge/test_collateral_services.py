"""Collateral in: declare, count, goods list, notice, effective; and every refusal changing nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.facilities.models import Product
from tests.factories import FacilityFactory
from tests.pledge.collateral_helpers import (
    approve_price,
    approve_warehouse,
    current,
    declare,
    lot_line,
    make_effective,
    receipt_line,
    sign,
)
from workflows.pledge.collateral import (
    intake_count,
    intake_declare,
    intake_issue_notice,
    intake_refuse,
    intake_withdraw,
)
from workflows.pledge.exceptions import (
    AgreementNotActive,
    CollateralAlreadyPledged,
    CollateralPriceMissing,
    CommodityNotEligible,
    ConcentrationLimitExceeded,
    GoodsListNotSigned,
    NotYourWarehouse,
    WarehouseNotApproved,
)
from workflows.pledge.models import (
    CollateralIntake,
    Commodity,
    InventoryLot,
    PledgeAgreement,
    PledgedItem,
    WarehouseReceipt,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced(world):
    approve_warehouse(world)
    approve_price(world, world.copper, "68250.00")
    approve_price(world, world.batteries, "12800.00")
    return world


def second_agreement(world, reference="PLA-TEST-0002", pledgor=None):
    pledgor = pledgor or world.pledgor
    facility = FacilityFactory(lender=world.lender, obligor=pledgor, product=Product.PLEDGE,
                               limit_amount=Decimal("5000000.00"))
    return PledgeAgreement.objects.create(
        reference=reference, lender=world.lender, pledgor=pledgor, warehouse=world.warehouse, facility=facility,
        maximum_amount=Decimal("3000000.00"), annual_rate=Decimal("0.055"), start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2027, 1, 5), prepared_by=world.ops, state=PledgeAgreement.State.ACTIVE)


def test_declaring_registers_the_receipt_and_the_lot_and_holds_them(priced, active_agreement):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper),
                     lot_line(commodity=world.batteries))
    assert intake.state == CollateralIntake.State.DECLARED and intake.reference.startswith("CIN-")
    receipt = WarehouseReceipt.objects.get(warehouse=world.warehouse, number="WR-001")
    assert receipt.owner == world.pledgor and receipt.quantity == Decimal("120.500")
    lot = InventoryLot.objects.get(warehouse=world.warehouse, lot_number="LOT-001")
    assert lot.quantity == Decimal("40") and lot.description == "Type A, 75 kWh"
    statuses = set(intake.items.values_list("status", flat=True))
    assert statuses == {PledgedItem.Status.PROPOSED}
    assert AuditRecord.objects.filter(action="pledge.intake.declare", object_id=str(intake.pk)).exists()


def test_a_registered_receipt_must_match_owner_commodity_and_quantity(priced, active_agreement, corporate):
    world = priced
    other, _user = corporate("someone", is_distributor=True)
    WarehouseReceipt.objects.create(warehouse=world.warehouse, number="WR-9", owner=other, commodity=world.copper,
                                    quantity=Decimal("10.000"), issued_on=datetime.date(2026, 11, 1),
                                    created_by=world.warehouse_user)
    WarehouseReceipt.objects.create(warehouse=world.warehouse, number="WR-10", owner=world.pledgor,
                                    commodity=world.copper, quantity=Decimal("10.000"),
                                    issued_on=datetime.date(2026, 11, 1), created_by=world.warehouse_user)
    cases = [
        (receipt_line("WR-9", world.copper, "10.000"), "lines.0.number"),
        (receipt_line("WR-10", world.batteries, "10"), "lines.0.commodity"),
        (receipt_line("WR-10", world.copper, "9.000"), "lines.0.quantity"),
    ]
    for line, field in cases:
        with pytest.raises(ValidationError) as error:
            declare(world, active_agreement, line)
        assert field in error.value.message_dict
    assert not CollateralIntake.objects.exists()


@pytest.mark.parametrize("status", [WarehouseReceipt.Status.SPLIT, WarehouseReceipt.Status.CANCELLED])
def test_a_split_or_cancelled_receipt_is_refused(priced, active_agreement, status):
    world = priced
    WarehouseReceipt.objects.create(warehouse=world.warehouse, number="WR-S", owner=world.pledgor,
                                    commodity=world.copper, quantity=Decimal("10.000"), status=status,
                                    issued_on=datetime.date(2026, 11, 1), created_by=world.warehouse_user)
    with pytest.raises(ValidationError) as error:
        declare(world, active_agreement, receipt_line("WR-S", world.copper, "10.000"))
    assert error.value.error_dict["lines.0.number"][0].code == "receipt_not_valid"


def test_an_expired_receipt_is_refused(priced, active_agreement):
    world = priced
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        declare(world, active_agreement, receipt_line(commodity=world.copper, issued_on=yesterday - datetime.timedelta(days=30),
                                                      expires_on=yesterday))
    assert error.value.error_dict["lines.0.number"][0].code == "receipt_expired"
    assert not WarehouseReceipt.objects.exists()


@pytest.mark.parametrize("commodity_attr,quantity", [("copper", "0"), ("copper", "1.0005"), ("batteries", "2.5"),
                                                     ("copper", "-3")])
def test_quantities_must_be_positive_and_to_the_unit_precision(priced, active_agreement, commodity_attr, quantity):
    world = priced
    with pytest.raises(ValidationError) as error:
        declare(world, active_agreement, lot_line(commodity=getattr(world, commodity_attr), quantity=quantity))
    assert "lines.0.quantity" in error.value.message_dict
    assert not InventoryLot.objects.exists()


def test_a_commodity_the_lender_does_not_accept_is_refused(priced, active_agreement):
    world = priced
    zinc = Commodity.objects.create(code="ZN", name_en="Zinc", name_zh="锌锭", unit="t", precision="0.001")
    with pytest.raises(CommodityNotEligible):
        declare(world, active_agreement, lot_line(commodity=zinc, quantity="5"))


def test_only_an_active_agreement_takes_collateral(priced, active_agreement):
    world = priced
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(state=PledgeAgreement.State.APPROVED)
    with pytest.raises(AgreementNotActive):
        declare(world, active_agreement, lot_line(commodity=world.batteries))


def test_an_agreement_no_longer_active_takes_no_count(priced, active_agreement):
    world = priced
    intake = declare(world, active_agreement, lot_line(commodity=world.batteries))
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(state=PledgeAgreement.State.CLOSED)
    with pytest.raises(AgreementNotActive):
        intake_count(intake=intake, counts={i.pk: "40" for i in intake.items.all()}, acting_user=world.warehouse_user)


def test_only_the_pledgor_declares(priced, active_agreement):
    with pytest.raises(ActionNotPermitted):
        intake_declare(agreement=active_agreement, lines=[lot_line(commodity=priced.batteries)],
                       acting_user=priced.warehouse_user)


def test_a_receipt_held_under_an_agreement_is_refused_under_another(priced, active_agreement):
    world = priced
    declare(world, active_agreement, receipt_line(commodity=world.copper))
    other = second_agreement(world)
    with pytest.raises(CollateralAlreadyPledged) as error:
        declare(world, other, receipt_line(commodity=world.copper))
    assert error.value.code == "collateral_already_pledged" and error.value.http_status == 409
    assert CollateralIntake.objects.count() == 1
    # And a lot the same way, also twice under the same agreement.
    declare(world, active_agreement, lot_line(commodity=world.batteries))
    with pytest.raises(CollateralAlreadyPledged):
        declare(world, active_agreement, lot_line(commodity=world.batteries, quantity="10"))


def test_withdrawing_frees_the_receipt(priced, active_agreement):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper))
    intake_withdraw(intake=intake, acting_user=world.pledgor_user)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.WITHDRAWN
    assert declare(world, second_agreement(world), receipt_line(commodity=world.copper)).pk
    with pytest.raises(IllegalTransition):
        intake_withdraw(intake=intake, acting_user=world.pledgor_user)


def test_the_whole_intake_goes_effective_with_counted_quantities(priced, active_agreement,
                                                                 django_capture_on_commit_callbacks):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper),
                     lot_line(commodity=world.batteries, quantity="40"))
    receipt_item, lot_item = intake.items.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        intake_count(intake=intake, counts={receipt_item.pk: "120.500", lot_item.pk: "38"},
                     acting_user=world.warehouse_user)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.COUNTED and intake.counted_by == world.warehouse_user
    goods_list = current(intake, "pledged_goods_list")
    assert goods_list.state == Document.State.ISSUED
    with pytest.raises(GoodsListNotSigned):
        intake_issue_notice(intake=intake, acting_user=world.ops)
    with django_capture_on_commit_callbacks(execute=True):
        sign(goods_list, world.warehouse, world.warehouse_user)
    with pytest.raises(ActionNotPermitted):
        intake_issue_notice(intake=intake, acting_user=world.pledgor_user)
    with django_capture_on_commit_callbacks(execute=True):
        intake_issue_notice(intake=intake, acting_user=world.ops)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.NOTICE_ISSUED
    notice = current(intake, "pledge_notice")
    assert [p.organization_id for p in notice.document_parties.filter(must_sign=True)] == [world.warehouse.pk]
    with django_capture_on_commit_callbacks(execute=True):
        sign(notice, world.warehouse, world.warehouse_user)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.EFFECTIVE and intake.effective_at is not None
    receipt_item.refresh_from_db()
    lot_item.refresh_from_db()
    assert (receipt_item.status, receipt_item.quantity) == (PledgedItem.Status.PLEDGED, Decimal("120.500"))
    assert (lot_item.status, lot_item.quantity) == (PledgedItem.Status.PLEDGED, Decimal("38.000"))
    actions = set(AuditRecord.objects.filter(object_id=str(intake.pk), action__startswith="pledge.intake")
                  .values_list("action", flat=True))
    assert actions == {"pledge.intake.declare", "pledge.intake.count", "pledge.intake.issue_notice",
                       "pledge.intake.effective"}


def test_counts_a_receipt_whole_and_a_lot_at_most_as_declared(priced, active_agreement):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper),
                     lot_line(commodity=world.batteries, quantity="40"))
    receipt_item, lot_item = intake.items.order_by("pk")
    bad = [
        ({receipt_item.pk: "120.000", lot_item.pk: "40"}, f"counts.{receipt_item.pk}"),
        ({receipt_item.pk: "120.500", lot_item.pk: "41"}, f"counts.{lot_item.pk}"),
        ({receipt_item.pk: "120.500", lot_item.pk: "39.5"}, f"counts.{lot_item.pk}"),
        ({receipt_item.pk: "120.500"}, f"counts.{lot_item.pk}"),
        ({receipt_item.pk: "120.500", lot_item.pk: "abc"}, f"counts.{lot_item.pk}"),
    ]
    for counts, field in bad:
        with pytest.raises(ValidationError) as error:
            intake_count(intake=intake, counts=counts, acting_user=world.warehouse_user)
        assert field in error.value.message_dict
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.DECLARED
    assert not Document.objects.filter(object_id=intake.pk, kind="pledged_goods_list").exists()


def test_another_warehouse_cannot_count(priced, active_agreement, corporate):
    world = priced
    intake = declare(world, active_agreement, lot_line(commodity=world.batteries))
    _other, other_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    for user in (other_user, world.pledgor_user):
        with pytest.raises(NotYourWarehouse) as error:
            intake_count(intake=intake, counts={i.pk: "40" for i in intake.items.all()}, acting_user=user)
        assert error.value.code == "not_your_warehouse"
    with pytest.raises(NotYourWarehouse):
        intake_refuse(intake=intake, reason="no", acting_user=other_user)


def test_the_warehouse_refuses_with_a_reason_and_the_goods_are_freed(priced, active_agreement):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper))
    with pytest.raises(ValidationError) as error:
        intake_refuse(intake=intake, reason="  ", acting_user=world.warehouse_user)
    assert "reason" in error.value.message_dict
    intake_refuse(intake=intake, reason="Receipt WR-001 not found in shed 3", acting_user=world.warehouse_user)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.REFUSED and "shed 3" in intake.note
    assert set(intake.items.values_list("status", flat=True)) == {PledgedItem.Status.REFUSED}
    assert declare(world, active_agreement, receipt_line(commodity=world.copper)).pk


def test_the_count_is_refused_above_the_concentration_limit_naming_both_figures(
        world, active_agreement, django_capture_on_commit_callbacks):
    # 120.500 t × 68,250.00 = 8,224,125.00 already held; 40 pcs × 12,800.00 = 512,000.00 more.
    approve_warehouse(world, limit="8500000.00")
    approve_price(world, world.copper, "68250.00")
    approve_price(world, world.batteries, "12800.00")
    first = declare(world, active_agreement, receipt_line(commodity=world.copper))
    make_effective(world, active_agreement, first, django_capture_on_commit_callbacks)
    intake = declare(world, active_agreement, lot_line(commodity=world.batteries, quantity="40"))
    with pytest.raises(ConcentrationLimitExceeded) as error:
        intake_count(intake=intake, counts={i.pk: "40" for i in intake.items.all()}, acting_user=world.warehouse_user)
    assert "8,736,125.00" in error.value.message and "8,500,000.00" in error.value.message
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.DECLARED
    # 21 pcs: 8,224,125.00 + 268,800.00 = 8,492,925.00 fits.
    intake_count(intake=intake, counts={i.pk: "21" for i in intake.items.all()}, acting_user=world.warehouse_user)


def test_the_count_needs_an_approved_warehouse_and_prices(world, active_agreement):
    intake = declare(world, active_agreement, lot_line(commodity=world.batteries))
    counts = {i.pk: "40" for i in intake.items.all()}
    with pytest.raises(WarehouseNotApproved):
        intake_count(intake=intake, counts=counts, acting_user=world.warehouse_user)
    approve_warehouse(world)
    with pytest.raises(CollateralPriceMissing):
        intake_count(intake=intake, counts=counts, acting_user=world.warehouse_user)
