"""Pledge's writes: eligible commodities, approved warehouses, commodity prices (maker-checker)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from scf.audit.services import audit_record, audited
from scf.core.exceptions import IllegalTransition
from scf.parties.models import Organization, User
from scf.parties.permissions import require, staff_may

from . import calculations as calc
from .exceptions import CommodityNotEligible, PriceAlreadyDecided, PriceFourEyes, PriceInBatch
from .models import Commodity, CommodityEligibility, CommodityPrice, WarehouseApproval
from .permissions import APPROVE_PRICE, MANAGE_COMMODITIES, can_manage_commodities, can_propose_price
from .revaluation import revalue_after_price


def _require_lender(lender: Organization) -> None:
    if not lender.is_lender:
        raise ValidationError({"lender": ValidationError(_("%(org)s is not a lender.") % {"org": lender},
                                                         code="not_a_lender")})


@audited
def commodity_create(*, code: str, name_en: str, name_zh: str, unit: str, precision: str,
                     acting_user: User) -> Commodity:
    """Add a commodity to the catalogue (any lender's administrator or risk manager)."""
    require(acting_user.is_superuser or acting_user.has_perm(MANAGE_COMMODITIES))
    commodity = Commodity(code=(code or "").strip().upper(), name_en=(name_en or "").strip(),
                          name_zh=(name_zh or "").strip(), unit=unit, precision=precision)
    commodity.full_clean()
    commodity.save()
    audit_record(actor=acting_user, action="pledge.commodity.create", target=commodity)
    return commodity


@audited
def commodity_eligibility_set(*, lender: Organization, commodity: Commodity, pledge_rate: Decimal,
                              acting_user: User, eligible: bool = True) -> CommodityEligibility:
    """Accept (or stop accepting) a commodity as the lender's collateral, at its pledge rate 0 < r < 1."""
    _require_lender(lender)
    require(can_manage_commodities(acting_user, lender))
    try:
        calc.validate_pledge_rate(pledge_rate)
    except calc.PledgeCalculationError as error:
        raise ValidationError({"pledge_rate": ValidationError(error.message, code="pledge_rate_invalid")}) from None
    if eligible and not commodity.is_active:
        raise ValidationError({"commodity": ValidationError(_("This commodity is no longer in use."),
                                                            code="commodity_inactive")})
    eligibility = (CommodityEligibility.objects.select_for_update().filter(lender=lender, commodity=commodity).first()
                   or CommodityEligibility(lender=lender, commodity=commodity, created_by=acting_user))
    eligibility.pledge_rate = pledge_rate
    eligibility.is_active = eligible
    eligibility.full_clean(validate_unique=eligibility.pk is None)
    eligibility.save()
    audit_record(actor=acting_user, action="pledge.commodity.eligible" if eligible else "pledge.commodity.ineligible",
                 target=eligibility, note=f"r={pledge_rate}")
    return eligibility


@audited
def warehouse_approve(*, lender: Organization, warehouse: Organization, concentration_limit: Decimal,
                      acting_user: User, currency: str = "CNY") -> WarehouseApproval:
    """Approve a warehouse operator as the lender's supervisor, with the value it may hold for the lender.

    Approving it again changes its limit (and restores a suspended approval).
    """
    _require_lender(lender)
    require(can_manage_commodities(acting_user, lender))
    if not warehouse.is_warehouse:
        raise ValidationError({"warehouse": ValidationError(
            _("%(org)s is not a warehouse operator.") % {"org": warehouse}, code="not_a_warehouse")})
    if warehouse.pk == lender.pk:
        raise ValidationError({"warehouse": ValidationError(_("A lender cannot supervise its own pledges."),
                                                            code="warehouse_is_lender")})
    if concentration_limit is None or concentration_limit <= 0:
        raise ValidationError({"concentration_limit": ValidationError(
            _("The concentration limit must be greater than zero."), code="limit_not_positive")})
    approval = (WarehouseApproval.objects.select_for_update().filter(lender=lender, warehouse=warehouse).first()
                or WarehouseApproval(lender=lender, warehouse=warehouse))
    approval.concentration_limit = concentration_limit
    approval.currency = currency
    approval.is_active = True
    approval.approved_by = acting_user
    approval.full_clean(validate_unique=approval.pk is None)
    approval.save()
    audit_record(actor=acting_user, action="pledge.warehouse.approve", target=approval,
                 note=f"{currency} {concentration_limit}")
    return approval


@audited
def warehouse_suspend(*, approval: WarehouseApproval, acting_user: User) -> WarehouseApproval:
    """Withdraw the lender's approval of a warehouse: no new collateral goes to it."""
    require(can_manage_commodities(acting_user, approval.lender_id))
    approval = WarehouseApproval.objects.select_for_update().get(pk=approval.pk)
    approval.is_active = False
    approval.save(update_fields=["is_active"])
    audit_record(actor=acting_user, action="pledge.warehouse.suspend", target=approval)
    return approval


# --- prices ---------------------------------------------------------------------------------

@audited
def price_propose(*, lender: Organization, commodity: Commodity, price: Decimal, source: str,
                  effective_date: datetime.date, acting_user: User, currency: str = "CNY",
                  reference: str = "") -> CommodityPrice:
    """Enter a price of an eligible commodity; it counts only once a second person approved it."""
    _require_lender(lender)
    require(can_propose_price(acting_user, lender))
    if price is None or price <= 0:
        raise ValidationError({"price": ValidationError(_("The price must be greater than zero."),
                                                        code="price_not_positive")})
    if effective_date > timezone.localdate():
        raise ValidationError({"effective_date": ValidationError(
            _("A price cannot take effect in the future."), code="effective_date_future")})
    if not CommodityEligibility.objects.filter(lender=lender, commodity=commodity, is_active=True).exists():
        raise CommodityNotEligible(_("%(lender)s does not accept %(commodity)s as collateral.")
                                   % {"lender": lender, "commodity": commodity})
    entry = CommodityPrice(lender=lender, commodity=commodity, price=price, currency=currency, source=source,
                           effective_date=effective_date, reference=(reference or "").strip(),
                           created_by=acting_user)
    entry.full_clean(exclude=["state"])
    entry.save()
    audit_record(actor=acting_user, action="pledge.price.propose", target=entry,
                 note=f"{commodity.code} {currency} {price} @ {effective_date}")
    return entry


def _decide(price: CommodityPrice, acting_user: User, verb: str, note: str) -> CommodityPrice:
    price = CommodityPrice.objects.select_for_update().select_related("commodity", "lender").get(pk=price.pk)
    if price.state != CommodityPrice.State.PROPOSED:
        raise PriceAlreadyDecided(_("This price was already %(state)s.") % {"state": price.get_state_display()})
    if price.batch_id is not None:
        raise PriceInBatch()
    if acting_user.pk == price.created_by_id:
        raise PriceFourEyes()
    require(staff_may(acting_user, APPROVE_PRICE, price.lender_id),
            _("Only a risk manager or the credit committee of %(lender)s approves its prices.")
            % {"lender": price.lender})
    source_state = price.state
    transition = getattr(price, verb)
    try:
        transition(by=acting_user, at=timezone.now())
    except TransitionNotAllowed as error:
        raise IllegalTransition(str(error)) from None
    price.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(actor=acting_user, action=f"pledge.price.{verb}", target=price, source_state=source_state,
                 target_state=price.state, note=note)
    return price


@audited
def price_approve(*, price: CommodityPrice, acting_user: User) -> CommodityPrice:
    """Approve a proposed price: a second person of the lender entitled to it, never its maker.

    The agreements holding its commodity are re-valued in the same transaction.
    """
    price = _decide(price, acting_user, "approve", "")
    revalue_after_price(price=price, acting_user=acting_user)
    return price


@audited
def price_reject(*, price: CommodityPrice, acting_user: User, note: str = "") -> CommodityPrice:
    """Reject a proposed price (a second person, as for approving); it never counts."""
    return _decide(price, acting_user, "reject", (note or "").strip())
