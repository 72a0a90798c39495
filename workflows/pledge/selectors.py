"""Reads for pledge, and its tenancy rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import (
    Commodity,
    CommodityEligibility,
    CommodityPrice,
    PledgeAgreement,
    PledgeRegistration,
    WarehouseApproval,
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


def latest_approved_price(commodity: Commodity, on: datetime.date, *, lender: Organization | int
                          ) -> CommodityPrice | None:
    """Return the lender's latest approved price of the commodity effective on or before `on`, or None.

    None means there is no price: a caller must treat the valuation as missing, never as zero.
    Among prices of the same effective date the one approved last wins.
    """
    lender_id = lender if isinstance(lender, int) else lender.pk
    return (CommodityPrice.objects.filter(lender_id=lender_id, commodity=commodity,
                                          state=CommodityPrice.State.APPROVED, effective_date__lte=on)
            .order_by("-effective_date", "-decided_at", "-pk").first())


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
                max_age_days: int = DEFAULT_PRICE_MAX_AGE_DAYS) -> PriceCheck:
    """Return the latest approved price for a valuation on `on` and whether it is stale (or missing)."""
    price = latest_approved_price(commodity, on, lender=lender)
    return PriceCheck(price=price, stale=price_is_stale(price, on=on, max_age_days=max_age_days), on=on)


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


def agreement_list(*, user: User, state: str | None = None) -> QuerySet[PledgeAgreement]:
    """Return the agreements the user sees, newest first, optionally in one state."""
    agreements = tenancy.visible(PledgeAgreement, user).select_related("lender", "pledgor", "warehouse", "facility")
    if state:
        agreements = agreements.filter(state=state)
    return agreements.order_by("-created_at", "-pk")


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
