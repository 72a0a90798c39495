"""Reads for pledge, and its tenancy rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.money import DEFAULT_CURRENCY
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import (
    CollateralIntake,
    Commodity,
    CommodityEligibility,
    CommodityPrice,
    InventoryLot,
    PledgeAgreement,
    PledgeDisposal,
    PledgedItem,
    PledgeDrawdown,
    PledgeDrawdownRepayment,
    PledgeMarginCall,
    PledgeRegistration,
    PledgeRelease,
    PledgeRevaluation,
    PledgeValuation,
    PledgeWarningNotice,
    PriceBatch,
    WarehouseApproval,
    WarehouseReceipt,
)

#: DESIGN §5: a price older than the agreement's `price_max_age_days` (default 5) marks the valuation stale.
DEFAULT_PRICE_MAX_AGE_DAYS = 5


@tenancy.rule(Commodity)
def commodity_visible(user: User) -> QuerySet[Commodity]:
    """The commodity catalogue is common reference data: every signed-in user sees it."""
    return Commodity.objects.all()


@tenancy.rule(CommodityEligibility)
def eligibility_visible(user: User) -> QuerySet[CommodityEligibility]:
    """A lender's eligible commodities are seen by its own people."""
    if user.is_superuser:
        return CommodityEligibility.objects.all()
    return CommodityEligibility.objects.filter(lender_id__in=user_organization_ids(user))


@tenancy.rule(WarehouseApproval)
def warehouse_approval_visible(user: User) -> QuerySet[WarehouseApproval]:
    """The lender and the approved warehouse see an approval; nobody else."""
    if user.is_superuser:
        return WarehouseApproval.objects.all()
    own = user_organization_ids(user)
    return WarehouseApproval.objects.filter(Q(lender_id__in=own) | Q(warehouse_id__in=own))


@tenancy.rule(CommodityPrice)
def price_visible(user: User) -> QuerySet[CommodityPrice]:
    """A lender's prices are seen by its own people (its pledgors see values through their agreements)."""
    if user.is_superuser:
        return CommodityPrice.objects.all()
    return CommodityPrice.objects.filter(lender_id__in=user_organization_ids(user))


@tenancy.rule(PriceBatch)
def price_batch_visible(user: User) -> QuerySet[PriceBatch]:
    """A lender's price files are seen by its own people, as its prices are."""
    if user.is_superuser:
        return PriceBatch.objects.all()
    return PriceBatch.objects.filter(lender_id__in=user_organization_ids(user))


def price_list(*, user: User, lender: Organization | None = None) -> QuerySet[CommodityPrice]:
    """Return the prices the user sees, newest first, optionally of one lender."""
    prices = tenancy.visible(CommodityPrice, user).select_related("commodity", "lender", "created_by", "decided_by")
    if lender is not None:
        prices = prices.filter(lender=lender)
    return prices.order_by("-effective_date", "-created_at", "-pk")


def eligible_commodities(*, lender: Organization) -> QuerySet[Commodity]:
    """Return the commodities the lender accepts as collateral now."""
    return Commodity.objects.filter(is_active=True, eligibilities__lender=lender,
                                    eligibilities__is_active=True).order_by("code")


def approved_warehouses(*, lender: Organization) -> QuerySet[WarehouseApproval]:
    """Return the lender's approved supervisors (active approvals), with their concentration limits."""
    return (WarehouseApproval.objects.filter(lender=lender, is_active=True, warehouse__is_warehouse=True)
            .select_related("warehouse").order_by("warehouse__legal_name"))


def latest_approved_price(commodity: Commodity, on: datetime.date, *, lender: Organization | int,
                          currency: str = DEFAULT_CURRENCY) -> CommodityPrice | None:
    """Return the lender's latest approved price of the commodity in `currency` effective on or before `on`.

    None means there is no price: a caller must treat the valuation as missing, never as zero. A price
    in another currency is never taken for one in the agreement's (a USD quote is not a CNY price).
    Among prices of the same effective date the one approved last wins.
    """
    lender_id = lender if isinstance(lender, int) else lender.pk
    return (CommodityPrice.objects.filter(lender_id=lender_id, commodity=commodity, currency=currency,
                                          state=CommodityPrice.State.APPROVED, effective_date__lte=on)
            .order_by("-effective_date", "-decided_at", "-pk").first())


def priced_currencies(*, lender: Organization) -> dict[int, list[str]]:
    """Return, by commodity id, the currencies other than the default the lender has approved prices in."""
    rows = (CommodityPrice.objects.filter(lender=lender, state=CommodityPrice.State.APPROVED)
            .exclude(currency=DEFAULT_CURRENCY).values_list("commodity_id", "currency").distinct())
    found: dict[int, list[str]] = {}
    for commodity_id, currency in sorted(rows):
        found.setdefault(commodity_id, []).append(currency)
    return found


def price_is_stale(price: CommodityPrice | None, *, on: datetime.date,
                   max_age_days: int = DEFAULT_PRICE_MAX_AGE_DAYS) -> bool:
    """Whether a valuation on `on` with this price is stale: no price, or older than `max_age_days` days.

    The age is counted in calendar days from the effective date; a price exactly `max_age_days`
    old is still fresh.
    """
    if price is None:
        return True
    return (on - price.effective_date).days > max_age_days


@dataclass(frozen=True)
class PriceCheck:
    """The price a valuation uses, and whether it may be relied on."""

    price: CommodityPrice | None
    stale: bool
    on: datetime.date | None = None

    @property
    def missing(self) -> bool:
        return self.price is None

    @property
    def age_days(self) -> int | None:
        return None if self.price is None else (self.on - self.price.effective_date).days


def price_check(commodity: Commodity, on: datetime.date, *, lender: Organization | int,
                max_age_days: int = DEFAULT_PRICE_MAX_AGE_DAYS, currency: str = DEFAULT_CURRENCY) -> PriceCheck:
    """Return the latest approved price in `currency` for a valuation on `on` and whether it is stale (or missing)."""
    price = latest_approved_price(commodity, on, lender=lender, currency=currency)
    return PriceCheck(price=price, stale=price_is_stale(price, on=on, max_age_days=max_age_days), on=on)


# --- collateral: receipts, lots, intakes and pledged items --------------------------------------

def agreement_party_q(user: User, prefix: str = "") -> Q:
    """The agreements a user is a party to: the lender's staff, the pledgor's and the warehouse's members."""
    own = user_organization_ids(user)
    lenders = user_lender_ids(user)
    return (Q(**{f"{prefix}lender_id__in": lenders}) | Q(**{f"{prefix}pledgor_id__in": own})
            | Q(**{f"{prefix}warehouse_id__in": own}))


def collateral_agreements(user: User) -> QuerySet[PledgeAgreement]:
    """Return the agreements whose collateral the user may see (as a party to them)."""
    if user.is_superuser:
        return PledgeAgreement.objects.all()
    if not getattr(user, "is_authenticated", False):
        return PledgeAgreement.objects.none()
    return PledgeAgreement.objects.filter(agreement_party_q(user))


@tenancy.rule(CollateralIntake)
def intake_visible(user: User) -> QuerySet[CollateralIntake]:
    """An intake is seen by its agreement's lender staff, pledgor and warehouse."""
    if user.is_superuser:
        return CollateralIntake.objects.all()
    return CollateralIntake.objects.filter(agreement_party_q(user, "agreement__"))


@tenancy.rule(PledgedItem)
def pledged_item_visible(user: User) -> QuerySet[PledgedItem]:
    """A pledged item is seen by its agreement's lender staff, pledgor and warehouse."""
    if user.is_superuser:
        return PledgedItem.objects.all()
    return PledgedItem.objects.filter(agreement_party_q(user, "agreement__"))


@tenancy.rule(WarehouseReceipt)
def receipt_visible(user: User) -> QuerySet[WarehouseReceipt]:
    """A receipt is seen by its warehouse and its owner, and by the staff of a lender it was pledged to."""
    if user.is_superuser:
        return WarehouseReceipt.objects.all()
    own = user_organization_ids(user)
    return WarehouseReceipt.objects.filter(
        Q(warehouse_id__in=own) | Q(owner_id__in=own)
        | Q(pk__in=PledgedItem.objects.filter(agreement__lender_id__in=user_lender_ids(user)).values("receipt_id")))


@tenancy.rule(InventoryLot)
def lot_visible(user: User) -> QuerySet[InventoryLot]:
    """A lot is seen by its warehouse and its owner, and by the staff of a lender it was pledged to."""
    if user.is_superuser:
        return InventoryLot.objects.all()
    own = user_organization_ids(user)
    return InventoryLot.objects.filter(
        Q(warehouse_id__in=own) | Q(owner_id__in=own)
        | Q(pk__in=PledgedItem.objects.filter(agreement__lender_id__in=user_lender_ids(user)).values("lot_id")))


@tenancy.rule(PledgeRelease)
def release_visible(user: User) -> QuerySet[PledgeRelease]:
    """A release is seen by its agreement's lender staff, pledgor and warehouse (which executes it)."""
    if user.is_superuser:
        return PledgeRelease.objects.all()
    return PledgeRelease.objects.filter(agreement_party_q(user, "agreement__"))


def release_list(*, user: User, agreement: PledgeAgreement) -> QuerySet[PledgeRelease]:
    """Return the agreement's releases the user sees, newest first."""
    return (tenancy.visible(PledgeRelease, user).filter(agreement=agreement)
            .select_related("requested_by", "substitution_for").order_by("-requested_at", "-pk"))


def releases_to_execute(*, user: User) -> QuerySet[PledgeRelease]:
    """Return the release orders the user's warehouses must execute (goods to let out), oldest first."""
    return (PledgeRelease.objects
            .filter(agreement__warehouse_id__in=user_organization_ids(user), state=PledgeRelease.State.ORDERED)
            .select_related("agreement__pledgor", "agreement__lender", "agreement__warehouse")
            .order_by("ordered_at", "pk"))


def substitution_intakes(agreement: PledgeAgreement) -> QuerySet[CollateralIntake]:
    """Return the intakes a substitution may be for: a dynamic pledge's intakes whose goods are pledged."""
    if agreement.kind != PledgeAgreement.Kind.DYNAMIC:
        return CollateralIntake.objects.none()
    return agreement.intakes.filter(state=CollateralIntake.State.EFFECTIVE).order_by("-effective_at", "-pk")


def intakes_to_count(*, user: User) -> QuerySet[CollateralIntake]:
    """Return the intakes the user's warehouses must count, or whose notice they must confirm, oldest first."""
    return (CollateralIntake.objects
            .filter(agreement__warehouse_id__in=user_organization_ids(user),
                    state__in=[CollateralIntake.State.DECLARED, CollateralIntake.State.COUNTED,
                               CollateralIntake.State.NOTICE_ISSUED])
            .select_related("agreement__pledgor", "agreement__lender", "agreement__warehouse")
            .order_by("created_at", "pk"))


def agreements_to_stock_count(*, user: User) -> QuerySet[PledgeAgreement]:
    """Return the active agreements whose goods the user's warehouses hold, for a stock count (盘库)."""
    return (PledgeAgreement.objects
            .filter(warehouse_id__in=user_organization_ids(user), state=PledgeAgreement.State.ACTIVE)
            .select_related("pledgor", "lender").order_by("reference"))


# --- pledge agreements ----------------------------------------------------------------------------

def _agreements_of(user: User) -> Q:
    own = user_organization_ids(user)
    return Q(pledgor_id__in=own) | Q(warehouse_id__in=own) | Q(lender_id__in=user_lender_ids(user))


@tenancy.rule(PledgeAgreement)
def agreement_visible(user: User) -> QuerySet[PledgeAgreement]:
    """The lender's staff, the pledgor's and the warehouse's members see an agreement; nobody else."""
    if user.is_superuser:
        return PledgeAgreement.objects.all()
    return PledgeAgreement.objects.filter(_agreements_of(user))


@tenancy.rule(PledgeRegistration)
def registration_visible(user: User) -> QuerySet[PledgeRegistration]:
    """A registration is seen by whoever sees its agreement."""
    if user.is_superuser:
        return PledgeRegistration.objects.all()
    return PledgeRegistration.objects.filter(agreement__in=PledgeAgreement.objects.filter(_agreements_of(user)))


def _loans_of(user: User, prefix: str = "") -> Q:
    """Loans are seen by the lender's staff and the pledgor's members; the warehouse does not see the borrowing."""
    return (Q(**{f"{prefix}pledgor_id__in": user_organization_ids(user)})
            | Q(**{f"{prefix}lender_id__in": user_lender_ids(user)}))


@tenancy.rule(PledgeDrawdown)
def drawdown_visible(user: User) -> QuerySet[PledgeDrawdown]:
    """A drawdown is seen by its agreement's lender staff and pledgor."""
    if user.is_superuser:
        return PledgeDrawdown.objects.all()
    return PledgeDrawdown.objects.filter(_loans_of(user, "agreement__"))


@tenancy.rule(PledgeDrawdownRepayment)
def drawdown_repayment_visible(user: User) -> QuerySet[PledgeDrawdownRepayment]:
    """A repayment is seen by whoever sees its drawdown."""
    if user.is_superuser:
        return PledgeDrawdownRepayment.objects.all()
    return PledgeDrawdownRepayment.objects.filter(_loans_of(user, "drawdown__agreement__"))


def drawdown_list(*, user: User, agreement: PledgeAgreement) -> QuerySet[PledgeDrawdown]:
    """Return the agreement's drawdowns the user sees, newest first."""
    return tenancy.visible(PledgeDrawdown, user).filter(agreement=agreement).order_by("-created_at", "-pk")


def agreement_list(*, user: User, state: str | None = None) -> QuerySet[PledgeAgreement]:
    """Return the agreements the user sees, newest first, optionally in one state, with their stored valuation."""
    agreements = tenancy.visible(PledgeAgreement, user).select_related("lender", "pledgor", "warehouse", "facility",
                                                                        "stored_valuation")
    if state:
        agreements = agreements.filter(state=state)
    return agreements.order_by("-created_at", "-pk")


@tenancy.rule(PledgeValuation)
def stored_valuation_visible(user: User) -> QuerySet[PledgeValuation]:
    """A stored valuation (with the exposure, LTV and zone) is seen by the lender's staff and the pledgor."""
    if user.is_superuser:
        return PledgeValuation.objects.all()
    return PledgeValuation.objects.filter(_loans_of(user, "agreement__"))


@tenancy.rule(PledgeRevaluation)
def revaluation_visible(user: User) -> QuerySet[PledgeRevaluation]:
    """A revaluation of the lender's book is seen by its own staff."""
    if user.is_superuser:
        return PledgeRevaluation.objects.all()
    return PledgeRevaluation.objects.filter(lender_id__in=user_lender_ids(user))


def loan_figures_visible(user: User, agreements) -> set[int]:
    """Return the ids of the agreements whose loan figures (E, LTV, zone) the user sees: its lender staff, pledgor.

    The same rule as `permissions.can_see_loan_figures`, for a list in two queries.
    """
    if getattr(user, "is_superuser", False):
        return {a.pk for a in agreements}
    lenders, own = user_lender_ids(user), user_organization_ids(user)
    return {a.pk for a in agreements if a.lender_id in lenders or a.pledgor_id in own}


def stored_valuation_of(agreement: PledgeAgreement):
    """Return the agreement's valuation as the last revaluation stored it, or None before the first."""
    return PledgeValuation.objects.filter(agreement=agreement).select_related("revaluation").first()


def registration_of(agreement: PledgeAgreement) -> PledgeRegistration | None:
    """Return the agreement's registration (中登网), if one was recorded."""
    return PledgeRegistration.objects.filter(agreement=agreement).select_related(
        "evidence", "deregistration_evidence", "recorded_by", "deregistered_by").first()


def registration_in_force(agreement: PledgeAgreement, on: datetime.date) -> bool:
    """Whether the pledge is registered on `on`: recorded, not yet expired, not deregistered.

    No loan is disbursed under an agreement without it (DESIGN §5).
    """
    registration = registration_of(agreement)
    return registration is not None and registration.in_force_on(on)


@tenancy.rule(PledgeDisposal)
def disposal_visible(user: User) -> QuerySet[PledgeDisposal]:
    """A disposal is seen by its agreement's lender staff and pledgor, as the loans it pays."""
    if user.is_superuser:
        return PledgeDisposal.objects.all()
    return PledgeDisposal.objects.filter(_loans_of(user, "agreement__"))


def disposal_list(*, user: User, agreement: PledgeAgreement) -> QuerySet[PledgeDisposal]:
    """Return the agreement's disposals the user sees, newest first."""
    return tenancy.visible(PledgeDisposal, user).filter(agreement=agreement).order_by("-created_at", "-pk")


@tenancy.rule(PledgeMarginCall)
def margin_call_visible(user: User) -> QuerySet[PledgeMarginCall]:
    """A margin call is seen by the lender's staff and the pledgor (not the warehouse: it is about the loan)."""
    if user.is_superuser:
        return PledgeMarginCall.objects.all()
    return PledgeMarginCall.objects.filter(_loans_of(user, "agreement__"))


@tenancy.rule(PledgeWarningNotice)
def warning_notice_visible(user: User) -> QuerySet[PledgeWarningNotice]:
    """A warning notice is seen by the lender's staff and the pledgor."""
    if user.is_superuser:
        return PledgeWarningNotice.objects.all()
    return PledgeWarningNotice.objects.filter(_loans_of(user, "agreement__"))
