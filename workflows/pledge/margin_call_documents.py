"""The margin call notice (跌价补偿通知书) and the warning notice (预警通知书), EN and ZH, lender to pledgor.

Neither needs a signature: the pledgor answers a margin call by curing it (cash margin, repayment or
more goods) before the deadline. Each prints the stored valuation the revaluation made.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent

from .collateral_documents import UNITS_EN, UNITS_ZH, quantity_text
from .models import PledgeMarginCall, PledgeWarningNotice

RELATED = ("agreement__lender", "agreement__pledgor", "agreement__warehouse")


def _agreement(agreement) -> dict:
    return {"reference": agreement.reference, "pledge_rate": percent(agreement.pledge_rate),
            "warning_ltv": percent(agreement.warning_ltv), "call_ltv": percent(agreement.call_ltv),
            "liquidation_ltv": percent(agreement.liquidation_ltv), "cure_days": agreement.cure_days}


def _parties(obj) -> dict:
    agreement = obj.agreement
    return {"lender": party(agreement.lender), "pledgor": party(agreement.pledgor),
            "warehouse": party(agreement.warehouse), "agreement": _agreement(agreement)}


def margin_call_context(call: PledgeMarginCall) -> dict:
    """Return what the margin call notice prints: V, E, LTV, the lines, K, the three ways, the deadline."""
    from .margin_calls import cure_goods

    goods = []
    for row in cure_goods(call):
        commodity = row["commodity"]
        goods.append({"commodity_en": commodity.name_en, "commodity_zh": commodity.name_zh,
                      "price": f"{row['price']:,.2f}", "quantity": quantity_text(row["quantity"], commodity),
                      "unit_en": UNITS_EN.get(commodity.unit, commodity.unit),
                      "unit_zh": UNITS_ZH.get(commodity.unit, "")})
    return {
        **_parties(call),
        "call": {"reference": call.reference, "opened_on": call.opened_on, "deadline": call.deadline,
                 "ltv": percent(call.ltv_at_opening) if call.ltv_at_opening is not None else "—"},
        "value": amount(call.value_at_opening, call.currency),
        "exposure": amount(call.exposure_at_opening, call.currency),
        "cure": amount(call.cure_amount, call.currency),
        "goods": goods,
    }


def warning_context(notice: PledgeWarningNotice) -> dict:
    """Return what the warning notice prints: V, E, LTV and the lines."""
    return {
        **_parties(notice),
        "notice": {"reference": notice.reference, "issued_on": notice.issued_on,
                   "ltv": percent(notice.ltv) if notice.ltv is not None else "—"},
        "value": amount(notice.value, notice.currency),
        "exposure": amount(notice.exposure, notice.currency),
    }


def _notice_parties(obj) -> list[registry.SigningParty]:
    agreement = obj.agreement
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False)]


REQUIRED = ["lender.legal_name", "lender.uscc", "pledgor.legal_name", "pledgor.uscc", "agreement.reference"]

MARGIN_CALL_NOTICE = registry.DocumentKind(
    code="pledge_margin_call_notice", prefix="PMC", title=_("Margin Call Notice"), model=PledgeMarginCall,
    build_context=margin_call_context, parties=_notice_parties,
    required=[*REQUIRED, "call.reference", "call.deadline", "cure.figures"], related=RELATED,
)
WARNING_NOTICE = registry.DocumentKind(
    code="pledge_warning_notice", prefix="PWN", title=_("Pledge Warning Notice"), model=PledgeWarningNotice,
    build_context=warning_context, parties=_notice_parties, required=[*REQUIRED, "notice.reference"],
    related=RELATED,
)


def register() -> None:
    registry.register(MARGIN_CALL_NOTICE, WARNING_NOTICE)
