"""A factoring financing from the supplier's request to the closed file, through the flow's tasks.

Worked numbers (DESIGN §5), value date 2026-11-25, due 2027-02-23 (90 days, ACT/360):
  face 1,000,000.00, confirmed C = 950,000.00 (50,000.00 withheld, with a reason)
  advance A = 950,000.00 × 0.80 = 760,000.00
  interest I = 760,000.00 × 0.065 × 90 / 360 = 12,350.00 (in advance)
  fee F = 950,000.00 × 0.005 = 4,750.00
  net = 760,000.00 − 12,350.00 − 4,750.00 = 742,900.00
  all-in = 17,100 / 742,900 × 360 / 90 = 0.0920716… → 0.092072
  at maturity the debtor pays 950,000.00: 760,000.00 repays the advance, 190,000.00 is the rebate.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.models import Task

from documents.models import Document
from documents.services import document_sign
from scf.core.exceptions import IllegalTransition
from scf.ledger.models import Account, JournalEntry, Posting
from workflows.approval.exceptions import FourEyesViolation
from workflows.factoring.exceptions import DuplicateReceivable
from workflows.factoring import services, settlement
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.selectors import open_tasks

DUE = datetime.date(2027, 2, 23)


def _receivable(world, number="INV-9001", face="1000000.00"):
    return services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number=number, issue_date=datetime.date(2026, 11, 1),
        due_date=DUE, face_amount=Decimal(face), acting_user=world.supplier_user)


def _task(financing, node):
    return Task.objects.get(process__caseprocess__reference=financing.reference, flow_task=node,
                            status__in=["NEW", "ASSIGNED"])


def _sign_all(world, financing):
    documents = Document.objects.filter(object_id=financing.pk, kind__in=services.SIGNED_KINDS)
    for document in documents:
        for party in document.document_parties.filter(must_sign=True):
            signer = {world.supplier.pk: world.supplier_user, world.debtor.pk: world.debtor_user,
                      world.lender.pk: world.ops}[party.organization_id]
            document_sign(document=document, organization=party.organization, signer=signer,
                          password="pw-Secret-123", ip_address="127.0.0.1", user_agent="pytest")


@pytest.fixture
def requested(world, django_capture_on_commit_callbacks):
    from scf.parties.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.ops, organization=world.lender, role=Membership.Role.SIGNATORY) \
        if not Membership.objects.filter(user=world.ops, role="signatory").exists() else None
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    return financing, receivable


def test_a_request_waits_for_the_debtor_in_the_debtors_inbox_only(world, requested):
    financing, receivable = requested
    assert financing.state == "draft"
    assert financing.reference.startswith("FF-2026-")
    confirm = _task(financing, FactoringFlow.confirm)
    assert list(open_tasks(world.debtor_user)) == [confirm]
    assert list(open_tasks(world.supplier_user)) == []
    assert list(open_tasks(world.officer)) == []


def test_confirming_less_than_face_needs_a_reason_and_more_than_face_is_refused(world, requested):
    financing, receivable = requested
    with pytest.raises(ValidationError) as error:
        services.receivable_confirm(receivable=receivable, amount=Decimal("950000.00"), note="",
                                    acting_user=world.debtor_user)
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.01"), note="x",
                                    acting_user=world.debtor_user)
    assert "amount" in error.value.message_dict
    receivable.refresh_from_db()
    assert receivable.state == "submitted" and receivable.confirmed_amount is None


def test_the_whole_happy_path_with_worked_numbers(world, requested, django_capture_on_commit_callbacks):
    financing, receivable = requested
    services.receivable_confirm(receivable=receivable, amount=Decimal("950000.00"),
                                note="50,000.00 withheld for a quality claim", acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert financing.state == "under_review"
    assert (financing.confirmed_amount, financing.advance_amount, financing.tenor_days, financing.interest_amount,
            financing.fee_amount, financing.net_disbursement, financing.all_in_rate) == (
        Decimal("950000.00"), Decimal("760000.00"), 90, Decimal("12350.00"), Decimal("4750.00"),
        Decimal("742900.00"), Decimal("0.092072"))
    review = _task(financing, FactoringFlow.review)
    assert review.owner_permission == "inbox.decide_as_credit_officer"
    assert review in open_tasks(world.officer) and review not in open_tasks(world.risk)

    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    financing.refresh_from_db()
    world.facility.refresh_from_db()
    assert financing.state == "contract_issued"
    assert world.facility.reserved_amount == Decimal("760000.00")
    documents = Document.objects.filter(object_id=financing.pk, kind__in=services.SIGNED_KINDS)
    assert sorted(documents.values_list("kind", "language", "state")) == [
        ("debtor_confirmation_letter", "zh-hans", "issued"), ("factoring_agreement", "zh-hans", "issued"),
        ("notice_of_assignment", "zh-hans", "issued")]
    assert {t.flow_task.name for t in Task.objects.filter(process__caseprocess__reference=financing.reference,
                                                           status__in=["NEW", "ASSIGNED"])} == {
        "sign_supplier", "sign_debtor", "sign_lender"}

    with pytest.raises(IllegalTransition):
        settlement.financing_disburse(financing=financing, acting_user=world.ops)

    with django_capture_on_commit_callbacks(execute=True):
        _sign_all(world, financing)
    financing.refresh_from_db()
    assert financing.state == "signed"
    disburse = _task(financing, FactoringFlow.disburse)
    assert disburse in open_tasks(world.ops)

    settlement.financing_disburse(financing=financing, acting_user=world.ops)
    settlement.financing_disburse(financing=financing, acting_user=world.ops)  # pressed twice: nothing more
    financing.refresh_from_db()
    world.facility.refresh_from_db()
    assert financing.state == "disbursed" and financing.advance_outstanding == Decimal("760000.00")
    assert (world.facility.reserved_amount, world.facility.outstanding_amount) == (Decimal("0.00"),
                                                                                   Decimal("760000.00"))
    entry = JournalEntry.objects.get(idempotency_key=f"factoring:{financing.reference}:disbursement")
    assert sorted((p.account.purpose, p.amount) for p in entry.postings.select_related("account")) == [
        ("advances", Decimal("760000.00")), ("fee_income", Decimal("-4750.00")),
        ("interest_income", Decimal("-12350.00")), ("lender_funding", Decimal("-742900.00"))]

    settlement.receipt_record(financing=financing, amount=Decimal("950000.00"), value_date=datetime.date(2026, 11, 25),
                              bank_reference="BANK-1", acting_user=world.ops)
    again = settlement.receipt_record(financing=financing, amount=Decimal("950000.00"),
                                      value_date=datetime.date(2026, 11, 25), bank_reference="BANK-1",
                                      acting_user=world.ops)
    assert (again.applied_advance, again.rebate, again.suspense) == (Decimal("760000.00"), Decimal("190000.00"),
                                                                     Decimal("0.00"))
    settle = _task(financing, FactoringFlow.settle)
    with django_capture_on_commit_callbacks(execute=True):
        settlement.financing_settle(financing=financing, acting_user=world.ops)
    advices = Document.objects.filter(object_id=financing.pk, kind__in=["disbursement_advice", "settlement_advice"])
    # Nobody signs an advice: the lender seals it as soon as it is issued.
    assert sorted(advices.values_list("kind", "state")) == [("disbursement_advice", "draft"),
                                                            ("settlement_advice", "signed")]
    financing.refresh_from_db()
    receivable.refresh_from_db()
    settle.refresh_from_db()
    assert (financing.state, financing.rebate_paid, receivable.state, settle.status) == (
        "closed", Decimal("190000.00"), "settled", "DONE")
    assert not Task.objects.filter(process__caseprocess__reference=financing.reference,
                                   status__in=["NEW", "ASSIGNED"]).exists()
    world.facility.refresh_from_db()
    assert world.facility.outstanding_amount == Decimal("0.00")
    # Every entry balances, and the supplier's accounts are back to zero.
    for entry in JournalEntry.objects.all():
        assert sum(p.amount for p in entry.postings.all()) == 0
    supplier_balances = {a.purpose: sum(p.amount for p in Posting.objects.filter(account=a))
                         for a in Account.objects.filter(owner=world.supplier)}
    assert {"advances", "supplier_settlement"} <= set(supplier_balances)
    assert set(supplier_balances.values()) == {0}


def test_the_preparer_side_cannot_approve_and_rejection_frees_the_invoices(world, requested):
    financing, receivable = requested
    services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.00"), note="",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    from scf.parties.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.officer, organization=world.supplier, role=Membership.Role.OPERATOR)
    with pytest.raises(FourEyesViolation):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    Membership.objects.filter(user=world.officer, organization=world.supplier).delete()
    services.financing_review_decide(financing=financing, approver=world.officer, decision="reject",
                                     comment="Debtor concentration too high")
    financing.refresh_from_db()
    receivable.refresh_from_db()
    assert (financing.state, receivable.state) == ("rejected", "confirmed")
    assert not Task.objects.filter(process__caseprocess__reference=financing.reference,
                                   status__in=["NEW", "ASSIGNED"]).exists()


def test_reverse_factoring_draws_on_the_core_enterprises_facility_and_skips_confirmation(world):
    from tests.factories import FacilityFactory
    from scf.facilities.models import Product

    core_facility = FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                                    limit_amount=Decimal("5000000.00"), valid_from=datetime.date(2026, 1, 1),
                                    valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-77",
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                      face_amount=Decimal("300000.00"), acting_user=world.debtor_user)
    assert (payable.state, payable.confirmed_amount, payable.reverse) == ("confirmed", Decimal("300000.00"), True)
    with pytest.raises(DuplicateReceivable):  # the supplier cannot register the same invoice again
        services.receivable_create(supplier=world.supplier, debtor=world.debtor, invoice_number="ap 77",
                                   issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                   face_amount=Decimal("300000.00"), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[payable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    assert (financing.state, financing.reverse, financing.facility) == ("under_review", True, core_facility)
    assert financing.approval_case.applicant == world.debtor
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    core_facility.refresh_from_db()
    world.facility.refresh_from_db()
    # A = 300,000 × 0.80 = 240,000.00 reserved on the core's facility, nothing on the supplier's.
    assert (core_facility.reserved_amount, world.facility.reserved_amount) == (Decimal("240000.00"),
                                                                             Decimal("0.00"))


def test_the_inbox_shows_the_confirmed_amount_once_the_request_goes_to_review(world, requested):
    """The case's inbox columns follow the confirmation (written with the confirm task's completion, when changed)."""
    from workflows.inbox.models import CaseProcess

    financing, receivable = requested
    case = CaseProcess.objects.get(reference=financing.reference)
    assert case.amount == Decimal("1000000.00")
    services.receivable_confirm(receivable=receivable, amount=Decimal("950000.00"), note="a credit note",
                                acting_user=world.debtor_user)
    case.refresh_from_db()
    assert (case.amount, case.due_date) == (Decimal("950000.00"), DUE)
    assert _task(financing, FactoringFlow.review).process_id == case.pk
