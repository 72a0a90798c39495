"""Demo factoring case: three receivables of supplier1 on core1, confirmed and approved for financing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from .calculations import factoring_quote
from .models import FactoringFinancing, Receivable

INVOICES = [
    # invoice number, issued days ago, face, confirmed
    ("INV-2026-0815", 20, Decimal("450000.00"), Decimal("450000.00")),
    ("INV-2026-0822", 15, Decimal("380000.00"), Decimal("360000.00")),
    ("INV-2026-0901", 5, Decimal("620500.50"), Decimal("620500.50")),
]


def seed_factoring_demo(*, supplier, debtor, lender, facility, supplier_user, debtor_user, officer) -> None:
    """Create the demo financing once (idempotent)."""
    if FactoringFinancing.objects.filter(supplier=supplier, debtor=debtor).exists():
        return
    today = timezone.localdate()
    due = today + datetime.timedelta(days=120)
    receivables = []
    for number, age, face, confirmed in INVOICES:
        receivable = Receivable(supplier=supplier, debtor=debtor, invoice_number=number,
                                issue_date=today - datetime.timedelta(days=age), due_date=due, face_amount=face,
                                created_by=supplier_user)
        receivable.save()
        receivable.submit(by=supplier_user)
        receivable.save()
        note = "" if confirmed == face else "20,000.00 withheld for a quality claim on lot 7."
        receivable.confirm(by=debtor_user, amount=confirmed, note=note)
        receivable.save()
        receivables.append(receivable)
    confirmed_total = sum(r.confirmed_amount for r in receivables)
    quote = factoring_quote(
        confirmed_amount=confirmed_total, advance_rate=facility.advance_rate, annual_rate=facility.annual_rate,
        fee_rate=facility.fee_rate, value_date=today, due_date=due, day_count=facility.day_count,
        interest_mode=facility.interest_mode, max_tenor_days=facility.max_tenor_days,
    )
    financing = FactoringFinancing.objects.create(
        reference=f"FF-{today.year}-00001", facility=facility, supplier=supplier, debtor=debtor, lender=lender,
        currency=facility.currency, confirmed_amount=confirmed_total, advance_rate=facility.advance_rate,
        annual_rate=facility.annual_rate, fee_rate=facility.fee_rate, day_count=facility.day_count,
        interest_mode=facility.interest_mode, value_date=today, due_date=due, advance_amount=quote.advance,
        tenor_days=quote.tenor_days, interest_amount=quote.interest, fee_amount=quote.fee,
        net_disbursement=quote.net_disbursement, all_in_rate=quote.all_in_rate, with_recourse=facility.with_recourse,
        prepared_by=supplier_user,
    )
    financing.receivables.set(receivables)
    for receivable in receivables:
        receivable.finance(by=supplier_user)
        receivable.save()
    financing.submit(by=supplier_user)
    financing.save()
    financing.approve(by=officer, note="Demo: approved within the credit officer's authority.")
    financing.save()
