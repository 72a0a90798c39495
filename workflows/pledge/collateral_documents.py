"""The collateral intake's document kinds: the pledged goods list (质物清单) and the notice of pledge (出质通知书).

Both are about one CollateralIntake and both are signed by the warehouse alone: it signs the goods
list it counted, and signs the receipt block (回执) of the lender's notice to confirm it holds the
goods for the lender. The lender does not sign; its seal goes on its block when the document is
finalised. When both are signed, the signing set makes the intake effective.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent

from .models import CollateralIntake, Commodity, PledgedItem

RELATED = ("agreement__lender", "agreement__pledgor", "agreement__warehouse", "agreement__facility")

REQUIRED = [
    "lender.legal_name", "lender.uscc", "pledgor.legal_name", "pledgor.uscc", "warehouse.legal_name",
    "warehouse.uscc", "agreement.reference", "intake.reference", "lines",
]

UNITS_ZH = {Commodity.Unit.TONNE: "吨", Commodity.Unit.KILOGRAM: "千克", Commodity.Unit.CUBIC_METRE: "立方米",
            Commodity.Unit.PIECE: "件"}
UNITS_EN = {Commodity.Unit.TONNE: "t", Commodity.Unit.KILOGRAM: "kg", Commodity.Unit.CUBIC_METRE: "m³",
            Commodity.Unit.PIECE: "pcs"}


def quantity_text(quantity: Decimal, commodity: Commodity) -> str:
    """Print a quantity to its unit's precision, with thousands separators (120.500; 40)."""
    return f"{quantity.quantize(commodity.quantity_precision):,}"


def _line(item: PledgedItem) -> dict:
    commodity = item.commodity
    quantity = item.counted_quantity if item.counted_quantity is not None else item.declared_quantity
    if item.receipt_id is not None:
        number, location, kind = item.receipt.number, item.receipt.location, "receipt"
        description = ""
    else:
        number, location, kind = item.lot.lot_number, item.lot.location, "lot"
        description = item.lot.description
    return {
        "kind": kind, "number": number, "location": location or "—", "description": description,
        "commodity_code": commodity.code, "commodity_en": commodity.name_en, "commodity_zh": commodity.name_zh,
        "quantity": quantity_text(quantity, commodity), "declared": quantity_text(item.declared_quantity, commodity),
        "unit_en": UNITS_EN.get(commodity.unit, commodity.unit), "unit_zh": UNITS_ZH.get(commodity.unit, commodity.unit),
        "expires_on": item.receipt.expires_on if item.receipt_id is not None else None,
    }


def intake_context(intake: CollateralIntake) -> dict:
    """Return what the goods list and the notice print about an intake."""
    agreement = intake.agreement
    items = list(intake.items.exclude(status=PledgedItem.Status.REFUSED)
                 .select_related("commodity", "receipt", "lot").order_by("pk"))
    totals: dict[int, dict] = {}
    for item in items:
        quantity = item.counted_quantity if item.counted_quantity is not None else item.declared_quantity
        entry = totals.setdefault(item.commodity_id, {"commodity": item.commodity, "quantity": Decimal("0")})
        entry["quantity"] += quantity
    return {
        "lender": party(agreement.lender),
        "pledgor": party(agreement.pledgor),
        "warehouse": party(agreement.warehouse),
        "agreement": {
            "reference": agreement.reference,
            "kind": agreement.kind,
            "dynamic": agreement.kind == agreement.Kind.DYNAMIC,
            "start_date": agreement.start_date,
            "end_date": agreement.end_date,
            "maximum": amount(agreement.maximum_amount, agreement.currency),
            "pledge_rate": percent(agreement.pledge_rate),
            "floor_minimum": amount(agreement.floor_value_minimum, agreement.currency),
        },
        "intake": {
            "reference": intake.reference,
            "declared_on": intake.created_at.date() if intake.created_at else None,
            "counted_on": intake.counted_at.date() if intake.counted_at else None,
        },
        "lines": [_line(item) for item in items],
        "totals": [
            {"commodity_en": t["commodity"].name_en, "commodity_zh": t["commodity"].name_zh,
             "quantity": quantity_text(t["quantity"], t["commodity"]),
             "unit_en": UNITS_EN.get(t["commodity"].unit, ""), "unit_zh": UNITS_ZH.get(t["commodity"].unit, "")}
            for t in totals.values()
        ],
    }


SIGNERS: dict[str, tuple[str, ...]] = {
    "pledged_goods_list": ("warehouse",),
    "pledge_notice": ("warehouse",),
}


def _parties(kind: str, roles: tuple[str, ...]):
    def parties(intake: CollateralIntake) -> list[registry.SigningParty]:
        agreement = intake.agreement
        return [registry.SigningParty(getattr(agreement, role), role, must_sign=role in SIGNERS[kind])
                for role in roles]
    return parties


def demo_intake() -> CollateralIntake | None:
    """The demo's counted intake (seeded only once the demo has an active agreement with warehouse1)."""
    return CollateralIntake.objects.exclude(counted_at=None).order_by("id").first()


# demo_documents renders a kind from its sample and fails when the sample finds nothing; the demo
# intakes exist only once the demo seeds an active pledge agreement. Set `sample=demo_intake` then.
SAMPLE = None


PLEDGED_GOODS_LIST = registry.DocumentKind(
    code="pledged_goods_list", prefix="PGL", title=_("Pledged Goods List"), model=CollateralIntake,
    build_context=intake_context, parties=_parties("pledged_goods_list", ("warehouse", "pledgor", "lender")),
    required=REQUIRED, sample=SAMPLE, related=RELATED,
)
PLEDGE_NOTICE = registry.DocumentKind(
    code="pledge_notice", prefix="PLN", title=_("Notice of Pledge"), model=CollateralIntake,
    build_context=intake_context, parties=_parties("pledge_notice", ("lender", "warehouse", "pledgor")),
    required=REQUIRED, sample=SAMPLE, related=RELATED,
)


def register(on_complete) -> None:
    """Register the kinds and the intake's signing set (from the app's `ready`)."""
    registry.register(PLEDGED_GOODS_LIST, PLEDGE_NOTICE)
    registry.register_signing_set(registry.SigningSet(
        model=CollateralIntake, kinds=("pledged_goods_list", "pledge_notice"), signers=SIGNERS,
        on_complete=on_complete))
