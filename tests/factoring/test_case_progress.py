"""The case page's stepper: the factoring flow's steps done, current (who and since when) and to come."""

import datetime
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from documents.models import Document
from documents.services import document_sign
from scf.parties.models import Membership
from workflows.factoring import services, settlement
from workflows.inbox.progress import CURRENT, DONE, NOT_REACHED, SKIPPED, UPCOMING, case_progress

DUE = datetime.date(2027, 2, 23)
STEPS = ["confirm", "review", "sign_supplier", "sign_debtor", "sign_lender", "disburse", "collect", "settle"]


def _request(world, number="INV-9001", face="1000000.00"):
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number=number, issue_date=datetime.date(2026, 11, 1),
        due_date=DUE, face_amount=Decimal(face), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    return financing, receivable


def _states(financing):
    return [(step.name, step.state) for step in case_progress(financing).steps]


def _sign_all(world, financing):
    for document in Document.objects.filter(object_id=financing.pk, kind__in=services.SIGNED_KINDS):
        for party in document.document_parties.filter(must_sign=True):
            signer = {world.supplier.pk: world.supplier_user, world.debtor.pk: world.debtor_user,
                      world.lender.pk: world.ops}[party.organization_id]
            document_sign(document=document, organization=party.organization, signer=signer,
                          password="pw-Secret-123", ip_address="127.0.0.1", user_agent="pytest")


def test_a_new_request_waits_for_the_debtors_operators_and_the_rest_is_to_come(world):
    financing, _receivable = _request(world)
    progress = case_progress(financing)
    assert [(s.name, s.state) for s in progress.steps] == [("confirm", CURRENT)] + [
        (name, UPCOMING) for name in STEPS[1:]]
    current = progress.steps[0]
    assert current.actor == "An operator of 核心企业集团"
    assert current.since == datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)
    assert str(current.title) == "Confirm invoices"


def test_the_stepper_follows_the_case_through_review_signing_and_settlement(world, django_capture_on_commit_callbacks,
                                                                             time_machine):
    from tests.factories import MembershipFactory
    MembershipFactory(user=world.ops, organization=world.lender, role=Membership.Role.SIGNATORY) \
        if not Membership.objects.filter(user=world.ops, role="signatory").exists() else None
    world.debtor_user.first_name, world.debtor_user.last_name = "Lei", "Li"
    world.debtor_user.save()
    financing, receivable = _request(world)
    time_machine.move_to(datetime.datetime(2026, 11, 25, 11, 30, tzinfo=datetime.UTC), tick=False)
    services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.00"), note="",
                                acting_user=world.debtor_user)
    progress = case_progress(financing)
    confirm, review = progress.steps[0], progress.steps[1]
    assert (confirm.state, confirm.done_by) == (DONE, "Lei Li")
    assert confirm.done_at == datetime.datetime(2026, 11, 25, 11, 30, tzinfo=datetime.UTC)
    assert (review.state, review.actor) == (
        CURRENT, "Staff of 测试银行 who may: Decide approval cases as a credit officer")

    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    assert _states(financing) == [("confirm", DONE), ("review", DONE), ("sign_supplier", CURRENT),
                                  ("sign_debtor", CURRENT), ("sign_lender", CURRENT), ("disburse", UPCOMING),
                                  ("collect", UPCOMING), ("settle", UPCOMING)]
    signers = {s.name: s.actor for s in case_progress(financing).steps if s.state == CURRENT}
    assert signers == {"sign_supplier": "A signatory of 上海供应商有限公司", "sign_debtor": "A signatory of 核心企业集团",
                       "sign_lender": "A signatory of 测试银行"}

    with django_capture_on_commit_callbacks(execute=True):
        _sign_all(world, financing)
    settlement.financing_disburse(financing=financing, acting_user=world.ops)
    assert _states(financing)[5:] == [("disburse", DONE), ("collect", CURRENT), ("settle", UPCOMING)]

    settlement.receipt_record(financing=financing, amount=Decimal("1000000.00"),
                              value_date=datetime.date(2026, 11, 25), bank_reference="BANK-1", acting_user=world.ops)
    with django_capture_on_commit_callbacks(execute=True):
        settlement.financing_settle(financing=financing, acting_user=world.ops)
    progress = case_progress(financing)
    assert progress.finished and [s.state for s in progress.steps] == [DONE] * len(STEPS)


def test_a_rejected_case_shows_the_steps_it_never_reached(world):
    financing, receivable = _request(world)
    services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.00"), note="",
                                acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="reject",
                                     comment="Concentration")
    assert _states(financing) == [("confirm", DONE), ("review", DONE)] + [(name, NOT_REACHED) for name in STEPS[2:]]


def test_a_return_shows_the_revision_and_a_skipped_confirmation_reads_not_needed(world):
    financing, receivable = _request(world)
    services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.00"), note="",
                                acting_user=world.debtor_user)
    assert "revise" not in [name for name, _state in _states(financing)]  # a loop shown once it happened
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment="Send the contract")
    states = dict(_states(financing))
    assert (states["review"], states["revise"], states["disburse"]) == (DONE, CURRENT, UPCOMING)


def test_the_case_page_shows_the_stepper_with_the_current_step_marked(world):
    financing, _receivable = _request(world)
    client = Client()
    client.force_login(world.supplier_user)
    response = client.get(reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk}))
    html = response.content.decode()
    assert '<ol class="stepper">' in html
    current = html.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Confirm invoices" in current and "Waiting for An operator of 核心企业集团" in current
    assert '<time datetime="2026-11-25T10:00:00+00:00">2026-11-25 18:00</time>' in current  # Asia/Shanghai
    assert html.count('aria-current="step"') == 1


def test_reverse_factoring_reads_the_debtors_confirmation_as_not_needed(world):
    from scf.facilities.models import Product
    from tests.factories import FacilityFactory

    FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                    limit_amount=Decimal("5000000.00"), valid_from=datetime.date(2026, 1, 1),
                    valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-77",
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                      face_amount=Decimal("300000.00"), acting_user=world.debtor_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[payable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    progress = case_progress(financing)
    assert [(s.name, s.state) for s in progress.steps][:3] == [("confirm", SKIPPED), ("review", CURRENT),
                                                               ("sign_supplier", UPCOMING)]
    assert progress.steps[0].state_label == "Not needed"
