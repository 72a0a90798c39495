"""A financing falling overdue freezes its obligor's lines until a risk manager unfreezes them with a comment."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scf.audit.models import AuditRecord
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_reserve, facility_unfreeze
from tests.factories import FacilityFactory, LenderFactory
from workflows.factoring import jobs, services, settlement
from workflows.factoring.models import FactoringFinancing

from .test_settlement import _disbursed

D = Decimal
OVERDUE_DAY = datetime.date(2027, 2, 27)  # due 2027-02-23, 3 grace days


def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(2), tzinfo=datetime.UTC), tick=False)


def _freezes(facility):
    return list(AuditRecord.objects.filter(action="facilities.creditfacility.freeze", object_id=str(facility.pk))
                .values_list("actor_id", "note"))


def _approved_not_disbursed(world):
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="INV-LATER", issue_date=datetime.date(2026, 11, 1),
        due_date=datetime.date(2027, 5, 20), face_amount=D("100000.00"), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D("100000.00"), note="", acting_user=world.debtor_user)
    financing.refresh_from_db()
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")  # signing is tested elsewhere
    financing.refresh_from_db()
    return financing


def test_overdue_freezes_every_active_line_of_the_obligor_until_a_risk_manager_unfreezes_it(world, time_machine):
    overdue = _disbursed(world)
    waiting = _approved_not_disbursed(world)
    pledge = FacilityFactory(lender=world.lender, obligor=world.supplier, product=Product.PLEDGE)
    proposed = FacilityFactory(lender=world.lender, obligor=world.supplier, product=Product.CONFIRMING,
                               state=CreditFacility.State.PROPOSED)
    elsewhere = FacilityFactory(lender=LenderFactory(), obligor=world.supplier, product=Product.PLEDGE)
    debtors_line = FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING)

    _at(time_machine, OVERDUE_DAY - datetime.timedelta(days=1))
    assert jobs.factoring_daily(OVERDUE_DAY - datetime.timedelta(days=1))["overdue"] == 0
    world.facility.refresh_from_db()
    assert world.facility.state == CreditFacility.State.ACTIVE

    _at(time_machine, OVERDUE_DAY)
    assert jobs.factoring_daily(OVERDUE_DAY)["overdue"] == 1
    overdue.refresh_from_db()
    assert overdue.state == "overdue"
    states = {f.pk: f.state for f in CreditFacility.objects.all()}
    assert states == {world.facility.pk: "frozen", pledge.pk: "frozen", proposed.pk: "proposed",
                      elsewhere.pk: "active", debtors_line.pk: "active"}
    reason = (f"Risk stop: financing {overdue.reference} of 上海供应商有限公司 on 核心企业集团 is overdue "
              f"(due 2027-02-23).")
    assert _freezes(world.facility) == [(None, reason)]
    assert _freezes(pledge) == [(None, reason)]

    # The same day again changes nothing.
    audit = AuditRecord.objects.count()
    assert jobs.factoring_daily(OVERDUE_DAY) == {"reminded": 0, "overdue": 0, "penalties": 0, "recourse": 0}
    assert AuditRecord.objects.count() == audit

    # No new money: nothing is reserved, no request finds a line, and the approved case is not paid out.
    with pytest.raises(FacilityUnavailable):
        facility_reserve(facility=world.facility, amount=D("1.00"), reference="NEW", acting_user=world.officer)
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="INV-NEW", issue_date=OVERDUE_DAY,
        due_date=datetime.date(2027, 5, 20), face_amount=D("1000.00"), acting_user=world.supplier_user)
    with pytest.raises(ValidationError, match="has no active Factoring facility"):
        services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=OVERDUE_DAY,
                                          acting_user=world.supplier_user)
    with pytest.raises(FacilityUnavailable, match=f"is frozen: {waiting.reference} is not disbursed"):
        settlement.financing_disburse(financing=waiting, acting_user=world.ops, on=OVERDUE_DAY)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.disbursed_on) == ("signed", None)

    # The risk manager lifts it, with a comment only.
    with pytest.raises(ValidationError, match="a comment is required"):
        facility_unfreeze(facility=world.facility, acting_user=world.risk, note="  ")
    world.facility.refresh_from_db()
    assert world.facility.state == CreditFacility.State.FROZEN
    facility_unfreeze(facility=world.facility, acting_user=world.risk, note="Buy-back agreed with the supplier.")
    world.facility.refresh_from_db()
    assert world.facility.state == CreditFacility.State.ACTIVE
    assert AuditRecord.objects.filter(action="facilities.creditfacility.unfreeze", object_id=str(world.facility.pk),
                                      actor=world.risk, note="Buy-back agreed with the supplier.").exists()

    # The next day's run does not freeze it again: the stop fires with the overdue transition only.
    next_day = OVERDUE_DAY + datetime.timedelta(days=1)
    _at(time_machine, next_day)
    jobs.factoring_daily(next_day)
    world.facility.refresh_from_db()
    assert world.facility.state == CreditFacility.State.ACTIVE
    assert settlement.financing_disburse(financing=waiting, acting_user=world.ops, on=next_day).state == "disbursed"


def test_in_reverse_factoring_the_core_enterprises_lines_are_frozen(world, time_machine):
    core_line = FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                                valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-9",
                                      issue_date=datetime.date(2026, 11, 1), due_date=datetime.date(2027, 2, 23),
                                      face_amount=D("300000.00"), acting_user=world.debtor_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[payable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")
    financing.refresh_from_db()
    settlement.financing_disburse(financing=financing, acting_user=world.ops, on=datetime.date(2026, 11, 25))

    _at(time_machine, OVERDUE_DAY)
    jobs.factoring_daily(OVERDUE_DAY)

    core_line.refresh_from_db()
    world.facility.refresh_from_db()
    assert (core_line.state, world.facility.state) == ("frozen", "active")
    assert financing.reference in _freezes(core_line)[0][1]
