"""The release order (解押通知书 / 放货指令) and the floor value notice (最低控货价值通知书), EN and ZH.

Both go from the lender to the warehouse and need no signature in the service: the warehouse answers a
release order by confirming the goods went out (release_execute), and supervises to the floor a notice
states. The floor notice is about the agreement; each issue makes a new version of it.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent

from . import calculations as calc
from .collateral_documents import UNITS_EN, UNITS_ZH, quantity_text
from .models import PledgeAgreement, PledgeRelease

RELATED = ("agreement__lender", "agreement__pledgor", "agreement__warehouse")


def _agreement(agreement: PledgeAgreement) -> dict:
    return {"reference": agreement.reference, "dynamic": agreement.kind == PledgeAgreement.Kind.DYNAMIC,
            "pledge_rate": percent(agreement.pledge_rate)}


def release_context(release: PledgeRelease) -> dict:
    """Return what the release order prints: the parties, the goods to release, their value."""
    agreement = release.agreement
    lines = []
    for line in release.lines.select_related("item__commodity", "item__receipt", "item__lot").order_by("pk"):
        item, commodity = line.item, line.item.commodity
        lines.append({
            "kind": "receipt" if item.receipt_id else "lot",
            "number": item.receipt.number if item.receipt_id else item.lot.lot_number,
            "commodity_en": commodity.name_en, "commodity_zh": commodity.name_zh,
            "quantity": quantity_text(line.quantity, commodity),
            "unit_en": UNITS_EN.get(commodity.unit, commodity.unit), "unit_zh": UNITS_ZH.get(commodity.unit, ""),
            "value": f"{line.value:,.2f}",
        })
    return {
        "lender": party(agreement.lender), "pledgor": party(agreement.pledgor), "warehouse": party(agreement.warehouse),
        "agreement": _agreement(agreement),
        "release": {"reference": release.reference, "requested_on": release.requested_at.date()
                    if release.requested_at else None,
                    "value": amount(release.requested_value, release.currency),
                    "substitution_for": release.substitution_for.reference if release.substitution_for_id else ""},
        "lines": lines,
    }


def floor_context(agreement: PledgeAgreement) -> dict:
    """Return what the floor value notice prints: exposure, pledge rate, the floor now."""
    exposure = calc.exposure(agreement.principal_outstanding, agreement.cash_margin)
    floor = calc.floor_value(exposure, agreement.pledge_rate, agreement.floor_value_minimum)
    return {
        "lender": party(agreement.lender), "pledgor": party(agreement.pledgor), "warehouse": party(agreement.warehouse),
        "agreement": _agreement(agreement),
        "exposure": amount(exposure, agreement.currency),
        "floor": amount(floor, agreement.currency),
        "lender_floor": amount(agreement.floor_value_minimum, agreement.currency),
        "effective_on": timezone.localdate(),
    }


def _release_parties(release: PledgeRelease) -> list[registry.SigningParty]:
    agreement = release.agreement
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.warehouse, "warehouse", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False)]


def _floor_parties(agreement: PledgeAgreement) -> list[registry.SigningParty]:
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.warehouse, "warehouse", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False)]


REQUIRED = ["lender.legal_name", "lender.uscc", "pledgor.legal_name", "warehouse.legal_name", "warehouse.uscc",
            "agreement.reference"]

RELEASE_ORDER = registry.DocumentKind(
    code="pledge_release_order", prefix="PRO", title=_("Release Order"), model=PledgeRelease,
    build_context=release_context, parties=_release_parties, required=[*REQUIRED, "release.reference", "lines"],
    related=RELATED,
)
FLOOR_NOTICE = registry.DocumentKind(
    code="pledge_floor_notice", prefix="PFN", title=_("Floor Value Notice"), model=PledgeAgreement,
    build_context=floor_context, parties=_floor_parties, required=[*REQUIRED, "floor.figures"],
    related=("lender", "pledgor", "warehouse"),
)


def register() -> None:
    registry.register(RELEASE_ORDER, FLOOR_NOTICE)
