"""Edge cases of the factoring money and permissions, each once a defect."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.contrib.auth.models import Group

from documents.models import Document
from scf.collections.models import Receipt
from scf.collections.services import receipt_record_unmatched, suspense_return
from scf.core.exceptions import ActionNotPermitted, IdempotencyConflict, IllegalTransition
from scf.facilities.models import Product
from scf.parties.models import Membership, StaffGroup
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, UserFactory
from workflows.approval.exceptions import FourEyesViolation
from workflows.factoring import jobs, services, settlement

from .test_financing_lifecycle import DUE
from .test_settlement import _disbursed, _pay

D = Decimal



def _invoice(world, number: str, face: str = "100000.00", **extra):
    return services.receivable_create(supplier=world.supplier, debtor=world.debtor, invoice_number=number,
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE, face_amount=D(face),
                                      acting_user=world.supplier_user, **extra)


def _request(world, *receivables, value_date=datetime.date(2026, 11, 25)):
    return services.financing_request_create(supplier=world.supplier, receivables=list(receivables),
                                             value_date=value_date, acting_user=world.supplier_user)

def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(2), tzinfo=datetime.UTC), tick=False)


def test_a_financing_paid_while_overdue_is_settled_not_claimed_from_the_supplier(world, time_machine):
    financing = _disbursed(world)
    _at(time_machine, datetime.date(2027, 3, 1))
    jobs.factoring_daily(datetime.date(2027, 3, 1))
    _pay(world, financing, "950000.00", datetime.date(2027, 3, 1), "LATE-FULL")
    _at(time_machine, datetime.date(2027, 4, 1))
    assert jobs.factoring_daily(datetime.date(2027, 4, 1))["recourse"] == 0
    financing.refresh_from_db()
    assert (financing.state, financing.lender_owed) == ("overdue", D("0.00"))
    settlement.financing_settle(financing=financing, acting_user=world.ops)
    financing.refresh_from_db()
    # Penalty 02-27 and 02-28 on 760,000: 2 × 205.8333… = 411.67; rebate 950,000 − 760,000 − 411.67.
    assert (financing.state, financing.rebate_paid) == ("closed", D("189588.33"))


def test_the_debtors_payment_after_a_recourse_claim_still_leaves_the_supplier_its_rebate(world, time_machine):
    financing = _disbursed(world)
    _at(time_machine, datetime.date(2027, 3, 26))
    jobs.factoring_daily(datetime.date(2027, 3, 26))
    financing.refresh_from_db()
    assert financing.state == "recourse_claimed"
    receipt = settlement.receipt_record(financing=financing, amount=D("950000.00"),
                                        value_date=datetime.date(2027, 3, 26), bank_reference="DEBTOR-LATE",
                                        acting_user=world.ops, payer=world.debtor)
    # Penalty 27 days = 5,557.50; the rebate is 950,000 − 760,000 − 5,557.50 = 184,442.50.
    assert (receipt.kind, receipt.applied_penalty, receipt.rebate, receipt.suspense) == (
        "debtor_payment", D("5557.50"), D("184442.50"), D("0.00"))
    settlement.financing_settle(financing=financing, acting_user=world.ops)
    financing.refresh_from_db()
    assert (financing.state, financing.rebate_paid) == ("closed", D("184442.50"))


def test_another_lenders_operations_cannot_touch_the_financing(world):
    financing = _disbursed(world)
    other_lender = LenderFactory()
    stranger = UserFactory(username="ops-elsewhere")
    stranger.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=stranger, organization=other_lender, role=Membership.Role.OPERATOR)
    with pytest.raises(ActionNotPermitted):
        settlement.receipt_record(financing=financing, amount=D("1.00"), value_date=datetime.date(2026, 11, 25),
                                  bank_reference="X-1", acting_user=stranger)
    with pytest.raises(ActionNotPermitted):  # money in another lender's collection account is not theirs to record
        receipt_record_unmatched(lender=world.lender, amount=D("5.00"),
                                 value_date=datetime.date(2026, 11, 25), bank_reference="U-0",
                                 payer_name="?", acting_user=stranger)
    unmatched = receipt_record_unmatched(lender=other_lender, amount=D("5.00"),
                                         value_date=datetime.date(2026, 11, 25),
                                         bank_reference="U-1", payer_name="?", acting_user=stranger)
    with pytest.raises(ActionNotPermitted):
        settlement.suspense_apply(receipt=unmatched, financing=financing, acting_user=stranger)
    with pytest.raises(ActionNotPermitted):
        suspense_return(receipt=unmatched, acting_user=world.ops, note="not ours")
    # Even a superuser cannot pay one lender's financing with money another lender received.
    root = UserFactory(username="root", is_superuser=True)
    with pytest.raises(ValidationError, match="another lender"):
        settlement.suspense_apply(receipt=unmatched, financing=financing, acting_user=root)
    assert not Receipt.objects.filter(financing=financing).exists()
    unmatched.refresh_from_db()
    assert (unmatched.status, unmatched.suspense) == ("suspense", D("5.00"))


def test_an_unmatched_bank_reference_is_not_taken_as_a_receipt_of_the_financing(world):
    financing = _disbursed(world)
    receipt_record_unmatched(lender=world.lender, amount=D("5.00"), value_date=datetime.date(2026, 11, 25),
                             bank_reference="U-2", payer_name="?", acting_user=world.ops)
    with pytest.raises(IdempotencyConflict, match="Suspense page"):
        _pay(world, financing, "5.00", datetime.date(2026, 11, 25), "U-2")


def test_nothing_owed_cannot_be_written_off(world, time_machine):
    financing = _disbursed(world, with_recourse=False)
    _pay(world, financing, "760000.00", datetime.date(2026, 11, 25), "ALL")
    from workflows.factoring.models import FactoringFinancing

    FactoringFinancing.objects.filter(pk=financing.pk).update(state="overdue")
    with pytest.raises(IllegalTransition, match="Nothing is owed"):
        settlement.financing_write_off(financing=financing, acting_user=world.risk, note="x")


def test_in_reverse_factoring_a_member_of_the_supplier_cannot_approve(world):
    FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                    limit_amount=D("5000000.00"), valid_from=datetime.date(2026, 1, 1),
                    valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-9",
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                      face_amount=D("100000.00"), acting_user=world.debtor_user)
    financing = _request(world, payable)
    MembershipFactory(user=world.officer, organization=world.supplier, role=Membership.Role.OPERATOR)
    with pytest.raises(FourEyesViolation):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    financing.refresh_from_db()
    assert financing.state == "under_review"


def test_withdrawing_after_the_contracts_voids_them_and_releases_the_facility(world, django_capture_on_commit_callbacks):
    from .test_financing_lifecycle import _receivable

    receivable = _receivable(world)
    financing = _request(world, receivable)
    services.receivable_confirm(receivable=receivable, amount=D("1000000.00"), note="",
                                acting_user=world.debtor_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    services.financing_cancel(financing=financing, acting_user=world.supplier_user, note="Paid early by the debtor")
    financing.refresh_from_db()
    world.facility.refresh_from_db()
    receivable.refresh_from_db()
    assert (financing.state, world.facility.reserved_amount, receivable.state) == ("cancelled", D("0.00"), "confirmed")
    assert set(Document.objects.filter(object_id=financing.pk).values_list("state", flat=True)) == {"void"}


def test_lender_staff_see_their_clients_receivables_and_those_they_finance_and_no_others(world):
    from scf.core import tenancy
    from tests.factories import OrganizationFactory
    from workflows.factoring.models import Receivable

    own_client = _invoice(world, "CLIENT-1", "1000.00")
    elsewhere = OrganizationFactory(legal_name="别家供应商", legal_name_en="Another Lender's Supplier")
    FacilityFactory(lender=LenderFactory(), obligor=elsewhere, product=Product.FACTORING)
    others = Receivable.objects.create(supplier=elsewhere, debtor=world.debtor, invoice_number="ELSEWHERE-1",
                                       issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                       face_amount=D("1000.00"), created_by=world.supplier_user)
    financed_elsewhere = Receivable.objects.create(supplier=elsewhere, debtor=world.debtor, invoice_number="ELSEWHERE-2",
                                                   issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                                   face_amount=D("1000.00"), created_by=world.supplier_user)
    financing = _disbursed(world)
    financing.receivables.add(financed_elsewhere)  # a receivable this lender finances, whoever the supplier is

    seen = set(tenancy.visible(Receivable, world.officer).values_list("invoice_number", flat=True))
    assert {"CLIENT-1", "ELSEWHERE-2"} <= seen
    assert others.invoice_number not in seen

    # Another lender's officer: having the debtor as a reverse-factoring client, or proposing a
    # facility to the supplier, shows none of the receivables this lender finances or may finance.
    other_lender = LenderFactory()
    rival = UserFactory(username="rival-officer")
    rival.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=rival, organization=other_lender, role=Membership.Role.OPERATOR)
    FacilityFactory(lender=other_lender, obligor=world.debtor, product=Product.REVERSE_FACTORING)
    FacilityFactory(lender=other_lender, obligor=world.supplier, product=Product.FACTORING, state="proposed")
    financed_here = set(financing.receivables.values_list("invoice_number", flat=True))
    rival_sees = set(tenancy.visible(Receivable, rival).values_list("invoice_number", flat=True))
    assert not rival_sees & (financed_here | {"CLIENT-1"}), rival_sees
    # Once its facility with the supplier is live, the supplier's free invoices are its business
    # too, but not the ones this lender is financing.
    FacilityFactory(lender=other_lender, obligor=world.supplier, product=Product.FACTORING)
    rival_sees = set(tenancy.visible(Receivable, rival).values_list("invoice_number", flat=True))
    assert "CLIENT-1" in rival_sees and not rival_sees & financed_here
    # The debtor sees every receivable owed by it, whichever lender finances it.
    assert "ELSEWHERE-1" in set(tenancy.visible(Receivable, world.debtor_user).values_list("invoice_number", flat=True))
    assert own_client.pk in set(tenancy.visible(Receivable, world.supplier_user).values_list("pk", flat=True))


def test_the_debtor_gets_the_notice_and_the_letter_but_never_the_priced_agreement(world, client):
    from scf.core import tenancy

    financing = _disbursed(world)
    kinds = set(tenancy.visible(Document, world.debtor_user).filter(object_id=financing.pk)
                .values_list("kind", flat=True))
    assert {"notice_of_assignment", "debtor_confirmation_letter"} <= kinds
    assert "factoring_agreement" not in kinds
    agreement = Document.objects.get(object_id=financing.pk, kind="factoring_agreement")
    client.force_login(world.debtor_user)
    assert client.get(f"/documents/{agreement.pk}/pdf/").status_code == 404


def test_money_is_not_paid_out_before_the_value_date_and_nothing_moves(world):
    from workflows.factoring.models import FactoringFinancing

    financing = _request(world, _invoice(world, "VD-1"), value_date=datetime.date(2026, 11, 26))
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")
    with pytest.raises(IllegalTransition, match="disbursed on its value date, 2026-11-26, not before"):
        settlement.financing_disburse(financing=financing, acting_user=world.ops)
    financing.refresh_from_db()
    assert (financing.state, financing.disbursed_on) == ("signed", None)
    assert not financing.receipts.exists()


def test_an_invoice_in_another_currency_than_the_facility_is_refused(world):
    usd = _invoice(world, "USD-1", currency="USD")
    with pytest.raises(ValidationError, match="is in USD; facility .* lends in CNY only"):
        _request(world, usd)
    usd.refresh_from_db()
    assert usd.state == "draft" and not usd.financings.exists()
    world.facility.refresh_from_db()
    assert world.facility.reserved_amount == 0


def test_an_absurd_receipt_is_refused_and_bank_references_ignore_case(world):
    financing = _disbursed(world)
    with pytest.raises(ValidationError, match="cannot be more than 9,999,999,999,999.99"):
        _pay(world, financing, "99999999999999999.99", datetime.date(2026, 11, 25), "HUGE")
    assert not financing.receipts.exists()
    first = _pay(world, financing, "100.00", datetime.date(2026, 11, 25), "b1")
    again = _pay(world, financing, "100.00", datetime.date(2026, 11, 25), " B1 ")
    assert first.pk == again.pk and first.bank_reference == "B1"
    assert financing.receipts.count() == 1


def test_the_supplier_withdraws_a_request_under_review_and_the_officers_have_nothing_left_to_decide(world):
    from workflows.approval.models import ApprovalCase
    from workflows.factoring.flows import FactoringFlow
    from workflows.factoring.models import FactoringFinancing
    from workflows.inbox.services import open_task, process_for

    receivable = _invoice(world, "WD-1", "200000.00")
    financing = _request(world, receivable)
    services.receivable_confirm(receivable=receivable, amount=D("200000.00"), note="", acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert financing.state == "under_review" and open_task(process_for(financing), FactoringFlow.review)
    with pytest.raises(ValidationError):  # a reason is required, and nothing changes without one
        services.financing_cancel(financing=financing, acting_user=world.supplier_user, note=" ")
    services.financing_cancel(financing=financing, acting_user=world.supplier_user, note="Paid early by the debtor")
    financing = FactoringFinancing.objects.get(pk=financing.pk)
    assert financing.state == "cancelled"
    assert financing.approval_case.status == ApprovalCase.Status.WITHDRAWN
    assert open_task(process_for(financing), FactoringFlow.review) is None
    receivable.refresh_from_db()
    assert receivable.state == "confirmed"  # free to finance again
    with pytest.raises(IllegalTransition):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")


def test_contracts_are_not_generated_again_once_a_party_has_signed(world, client, django_capture_on_commit_callbacks):
    from documents.services import document_sign
    from workflows.factoring.models import FactoringFinancing

    receivable = _invoice(world, "RG-1", "100000.00")
    financing = _request(world, receivable)
    services.receivable_confirm(receivable=receivable, amount=D("100000.00"), note="", acting_user=world.debtor_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=FactoringFinancing.objects.get(pk=financing.pk),
                                         approver=world.officer, decision="approve")
    assert 'name="agreement_language"' in _financing_page(client, world.officer, financing)  # offered before any signature
    agreement = Document.objects.get(object_id=financing.pk, kind="factoring_agreement", state="issued")
    document_sign(document=agreement, organization=world.supplier, signer=world.supplier_user,
                  password="pw-Secret-123", ip_address=None, user_agent="test")
    before = list(Document.objects.filter(object_id=financing.pk).values_list("pk", "state"))
    with pytest.raises(IllegalTransition, match="already signed the contracts"):
        services.financing_generate_contracts(financing=financing, language="en", acting_user=world.officer)
    assert list(Document.objects.filter(object_id=financing.pk).values_list("pk", "state")) == before
    assert 'name="agreement_language"' not in _financing_page(client, world.officer, financing)  # no longer offered


def _financing_page(client, user, financing) -> str:
    client.force_login(user)
    response = client.get(reverse("factoring:financing-detail", args=[financing.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_suppliers_resubmission_note_and_the_debtors_dispute_reason_reach_the_other_side(world, client):
    from scf.audit.services import history_for
    from workflows.factoring.models import FactoringFinancing

    disputed = _invoice(world, "NT-1", "100000.00")
    kept = _invoice(world, "NT-2", "100000.00")
    financing = _request(world, disputed, kept)
    services.receivable_dispute(receivable=disputed, note="Goods returned on 2026-11-10", acting_user=world.debtor_user)
    services.receivable_confirm(receivable=kept, amount=D("100000.00"), note="", acting_user=world.debtor_user)
    client.force_login(world.supplier_user)
    page = client.get(reverse("factoring:receivable-list")).content.decode()
    assert "Goods returned on 2026-11-10" in page

    financing = FactoringFinancing.objects.get(pk=financing.pk)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment="Send the delivery notes")
    services.financing_resubmit(financing=financing, acting_user=world.supplier_user,
                                note="Delivery notes uploaded to the KYC file")
    submitted = [r for r in history_for(financing) if r.action.endswith(".submit")]
    assert submitted[-1].note == "Delivery notes uploaded to the KYC file"
