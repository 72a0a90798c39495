"""One predicate per confirming-warehouse action: the view shows the button with it, the service refuses with it."""

from scf.parties.models import User
from scf.parties.permissions import is_operator, staff_may

from .models import PurchaseOrder, ReleaseRequest

RECORD_MARGIN = "confirming.record_confirming_margin"


def can_record_margin(user: User, order: PurchaseOrder) -> bool:
    """Whether the user applies margin received to the order: the lender's operations."""
    return staff_may(user, RECORD_MARGIN, order.agreement.lender_id)


def can_request_release(user: User, order: PurchaseOrder) -> bool:
    """Whether the user asks for goods out of custody: an operator of the distributor."""
    return is_operator(user, order.agreement.distributor_id)


def can_withdraw_release(user: User, release: ReleaseRequest) -> bool:
    """Whether the user withdraws a release request: an operator of the distributor that asked."""
    return release.state == ReleaseRequest.State.REQUESTED and is_operator(user, release.order.agreement.distributor_id)


def can_create_order(user: User, agreement) -> bool:
    """Whether the user applies for an order under the agreement: an operator of its distributor."""
    return is_operator(user, agreement.distributor_id)


def can_confirm_order(user: User, order: PurchaseOrder) -> bool:
    """Whether the user confirms the order as the seller: an operator of the core enterprise selling."""
    return order.state == PurchaseOrder.State.SELLER_CONFIRMATION and is_operator(user, order.agreement.seller_id)
