"""Demo factoring cases, made through the same services the pages call.

- FF-…: supplier1 asks to finance three invoices on core1; core1 confirms one of them for less
  than face; the credit officer and the risk manager approve; the contracts wait for signing.
- supplier2 asks to finance one invoice on core1, confirmed in full: it waits for a credit officer.
- A second case of supplier1, disbursed 130 days ago and unpaid 40 days after its due date:
  overdue, penalty interest accrued, and the buy-back claimed from the supplier; operations
  can record the buy-back payment.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from documents.issuing import document_finalize, document_issue
from documents.models import Document
from documents.services import document_sign
from scf.core.demo import DemoContext
from workflows.inbox.services import process_sync

from . import jobs, services, settlement
from .models import FactoringFinancing

INVOICES = [
    # invoice number, issued days ago, face, confirmed
    ("INV-2026-0815", 20, Decimal("450000.00"), Decimal("450000.00")),
    ("INV-2026-0822", 15, Decimal("380000.00"), Decimal("360000.00")),
    ("INV-2026-0901", 5, Decimal("620500.50"), Decimal("620500.50")),
]
RECOURSE_INVOICE = ("INV-2026-0612", Decimal("300000.00"))


def _receivables(supplier, debtor, supplier_user, invoices, due):
    today = timezone.localdate()
    return [services.receivable_create(supplier=supplier, debtor=debtor, invoice_number=number,
                                       issue_date=today - datetime.timedelta(days=age), due_date=due,
                                       face_amount=face, acting_user=supplier_user)
            for number, age, face, _confirmed in invoices]


def _confirm_all(financing, debtor_user, confirmed: dict) -> None:
    for receivable in financing.receivables.order_by("pk"):
        amount = confirmed[receivable.invoice_number]
        # Written by core1's operator, who works in Chinese.
        note = "" if amount == receivable.face_amount else "第 7 批货物存在质量索赔，暂扣 20,000.00。"
        services.receivable_confirm(receivable=receivable, amount=amount, note=note, acting_user=debtor_user)


def _approve(financing, approvers) -> FactoringFinancing:
    for approver in approvers:
        financing.refresh_from_db()
        if financing.state != FactoringFinancing.State.UNDER_REVIEW:
            break
        services.financing_review_decide(financing=financing, approver=approver, decision="approve",
                                         comment="Demo: within appetite; debtor rated A.")
    financing.refresh_from_db()
    return financing


def seed_factoring_demo(context: DemoContext) -> None:
    """Create the demo cases once (idempotent): factoring's demo seeder.

    Without `lifecycle` (the document engine's tests), only the first case is made, approved
    without the review tasks and without contracts, so that the engine starts from nothing.
    """
    supplier, debtor, lender = context.organizations["supplier1"], context.organizations["core1"], context.lender
    supplier_user, debtor_user = context.clients["supplier1"], context.clients["core1"]
    officer, risk, ops = context.staff["officer"], context.staff["risk"], context.staff["ops"]
    if FactoringFinancing.objects.filter(supplier=supplier, debtor=debtor).exists():
        return
    # From the first business day (today, or the next one at a weekend), so the figures are the same on any day.
    value_date = services.value_date_roll(timezone.localdate())
    with transaction.atomic():
        receivables = _receivables(supplier, debtor, supplier_user, INVOICES,
                                   value_date + datetime.timedelta(days=120))
        financing = services.financing_request_create(supplier=supplier, receivables=receivables,
                                                      value_date=value_date, acting_user=supplier_user)
        _confirm_all(financing, debtor_user, {number: confirmed for number, _a, _f, confirmed in INVOICES})
    if not context.lifecycle:
        financing.refresh_from_db()
        financing.approve(by=officer, note="Demo: approved for the document engine's samples.")
        financing.save()
        return
    _approve(financing, [officer, risk])
    _seed_review_case(supplier=context.organizations["supplier2"], supplier_user=context.clients["supplier2"],
                      debtor=debtor, debtor_user=debtor_user)
    _seed_recourse_case(supplier=supplier, debtor=debtor, lender=lender, supplier_user=supplier_user,
                        debtor_user=debtor_user, officer=officer, risk=risk, ops=ops, password=context.password)


def _seed_review_case(*, supplier, supplier_user, debtor, debtor_user) -> None:
    """supplier2's request on core1, confirmed and waiting in the credit officers' inbox."""
    value_date = services.value_date_roll(timezone.localdate())
    with transaction.atomic():
        receivables = _receivables(supplier, debtor, supplier_user, [("INV-2026-1107", 12, Decimal("800000.00"), None)],
                                   value_date + datetime.timedelta(days=90))
        financing = services.financing_request_create(supplier=supplier, receivables=receivables,
                                                      value_date=value_date,
                                                      acting_user=supplier_user)
        _confirm_all(financing, debtor_user, {"INV-2026-1107": Decimal("800000.00")})


def _seed_recourse_case(*, supplier, debtor, lender, supplier_user, debtor_user, officer, risk, ops, password):
    today = timezone.localdate()
    number, face = RECOURSE_INVOICE
    with transaction.atomic():
        start = services.value_date_roll(today)
        receivables = _receivables(supplier, debtor, supplier_user, [(number, 10, face, face)],
                                   start + datetime.timedelta(days=90))
        financing = services.financing_request_create(supplier=supplier, receivables=receivables, value_date=start,
                                                      acting_user=supplier_user)
        _confirm_all(financing, debtor_user, {number: face})
        # The case's history starts 130 days back: 90 days' tenor, due 40 days ago, still unpaid.
        value_date = today - datetime.timedelta(days=130)
        due_date = value_date + datetime.timedelta(days=90)
        FactoringFinancing.objects.filter(pk=financing.pk).update(value_date=value_date, due_date=due_date)
        financing.receivables.update(issue_date=value_date - datetime.timedelta(days=10), due_date=due_date)
        process_sync(financing, due_date=due_date)  # the inbox sorts the case by its real due date
    financing = _approve(financing, [officer, risk])
    signers = {supplier.pk: supplier_user, debtor.pk: debtor_user, lender.pk: ops}
    # The seed runs in one transaction, so the after-commit rendering and sealing are run here.
    for document in Document.objects.filter(object_id=financing.pk, kind__in=services.SIGNED_KINDS,
                                            state=Document.State.DRAFT):
        document = document_issue(document_id=document.pk)
        for party in document.document_parties.filter(must_sign=True):
            document_sign(document=document, organization=party.organization, signer=signers[party.organization_id],
                          password=password, ip_address="127.0.0.1", user_agent="seed_demo")
        document_finalize(document_id=document.pk)
    financing.refresh_from_db()
    settlement.financing_disburse(financing=financing, acting_user=ops, on=value_date)
    jobs.factoring_daily(today)
