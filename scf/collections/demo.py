"""The demo's money waiting for a second pair of eyes: a receipt prepared by ops2 for ops to release."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from scf.core.demo import DemoContext
from scf.money import BusinessDayConvention, adjust
from scf.releases.models import Release

from .releases import unmatched_prepare

BANK_REFERENCE = "CN-TT-DEMO-7731"


def seed_collections_demo(context: DemoContext) -> None:
    """ops2 prepares an unmatched receipt from the bank statement; it waits on the Releases page for ops."""
    preparer = context.staff.get("ops2")
    if not context.lifecycle or preparer is None:
        return
    if Release.objects.filter(lender=context.lender, reference=BANK_REFERENCE).exists():
        return
    # The last business day up to today: a statement line is never dated in the future.
    today = timezone.localdate()
    value_date = adjust(today, BusinessDayConvention.PRECEDING)
    unmatched_prepare(lender=context.lender, amount=Decimal("12800.00"), value_date=value_date,
                      bank_reference=BANK_REFERENCE, payer_name="浙江恒信供应链管理有限公司 / HX SUPPLY CHAIN",
                      acting_user=preparer)
