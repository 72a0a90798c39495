"""Confirming-warehouse writes: the releases the margin pays for (the order's own life is in `orders.py`).

The cumulative rule of DESIGN §5 — released plus requested never above what the release mode
allows for the margin paid — is kept under the order's row lock here and held by the check
constraint `confirming_order_released_within_allowance` in the database: every release request
locks its order first, so concurrent requests queue and each sees the value the one before took.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from scf.audit.services import audit_record, audited
from scf.core.sequences import sequence_next
from scf.parties.models import User
from scf.parties.permissions import require
from workflows.inbox.services import case_start, process_cancel

from .exceptions import OrderNotOpen, ReleaseExceedsAllowance, ReleaseStateConflict
from .models import PurchaseOrder, ReleaseRequest

# The order's services and helpers, where the release services and their callers have always found them.
from .orders import (  # noqa: F401
    LIMIT_USING_STATES,
    MARGIN_STATES,
    RELEASE_STATES,
    _money,
    _order_lock,
    agreement_limit_used,
    order_allowance,
    order_create,
    order_margin_apply,
    order_seller_confirm,
    order_submit,
)
from .permissions import can_request_release, can_withdraw_release


@audited
def release_request(*, order: PurchaseOrder, value: Decimal, acting_user: User) -> ReleaseRequest:
    """Ask for goods worth `value` out of custody: refused above what the margin paid allows now."""
    value = _money(value, "value")
    order = _order_lock(order)
    require(can_request_release(acting_user, order))
    if order.state not in RELEASE_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: nothing can be released.")
                           % {"order": order.reference, "state": order.get_state_display()})
    if value > order.releasable_value:
        raise ReleaseExceedsAllowance(
            _("At most %(releasable)s can be released now on order %(order)s (the margin paid allows %(allowed)s, "
              "%(released)s is released or requested); %(value)s was asked.")
            % {"releasable": f"{order.releasable_value:,.2f}", "order": order.reference,
               "allowed": f"{order.allowed_value:,.2f}", "released": f"{order.released_value:,.2f}",
               "value": f"{value:,.2f}"},
            releasable=str(order.releasable_value))
    today = timezone.localdate()
    number = sequence_next("confirming.release", today.year)
    release = ReleaseRequest.objects.create(order=order, reference=f"CWR-{today.year}-{number:05d}", value=value,
                                            requested_by=acting_user)
    order.released_value += value
    order.save(update_fields=["released_value"])
    audit_record(actor=acting_user, action="confirming.release.request", target=release, target_state=release.state,
                 note=f"{order.reference} {order.currency} {value}; released or requested {order.released_value} "
                      f"of {order.allowed_value}")
    # Its own small flow: the lender's operations find the release notice to issue in their inbox.
    case_start(release)
    return release


@audited
def release_withdraw(*, release: ReleaseRequest, acting_user: User) -> ReleaseRequest:
    """Withdraw a request the lender has not noticed yet: its value is free to request again."""
    with transaction.atomic():
        order = _order_lock(release.order)
        release = ReleaseRequest.objects.select_for_update().get(pk=release.pk)
        if not can_proceed(release.withdraw):
            raise ReleaseStateConflict(_("Release %(release)s is %(state)s: it can no longer be withdrawn.")
                               % {"release": release.reference, "state": release.get_state_display()})
        require(can_withdraw_release(acting_user, release))
        release.withdraw()
        release.save(update_fields=["state"])
        order.released_value -= release.value
        order.save(update_fields=["released_value"])
        audit_record(actor=acting_user, action="confirming.release.withdraw", target=release,
                     source_state=ReleaseRequest.State.REQUESTED, target_state=release.state)
        process_cancel(release)
    return release
