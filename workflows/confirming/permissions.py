"""One predicate per confirming-warehouse action: the view shows the button with it, the service refuses with it."""

from django.db.models import Q

from scf.parties.models import Organization, User
from scf.parties.permissions import is_operator, staff_may

from .models import ConfirmingAgreement, PurchaseOrder, ReleaseRequest

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


# --- agreements -----------------------------------------------------------------------------------

# The staff who prepare credit (credit officers and risk managers) prepare an agreement, as they do a
# pledge agreement; operations close it once its orders are closed, as they run the orders' money.
PREPARE_AGREEMENT = "facilities.add_creditfacility"
CLOSE_AGREEMENT = "inbox.disburse"


def can_prepare_agreement(user: User, lender: Organization | int | None) -> bool:
    """Whether the user prepares (and edits, submits, cancels) the lender's confirming-warehouse agreements."""
    return staff_may(user, PREPARE_AGREEMENT, lender)


def can_close_agreement(user: User, lender: Organization | int | None) -> bool:
    """Whether the user closes the lender's confirming-warehouse agreements: its operations."""
    return staff_may(user, CLOSE_AGREEMENT, lender)


def can_see_agreements(user: User) -> bool:
    """Whether "Confirming-warehouse agreements" is in the user's menu: lender staff, and members of a party."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_lender_staff:
        return True
    own = user.memberships.values("organization_id")
    return ConfirmingAgreement.objects.filter(
        Q(distributor_id__in=own) | Q(seller_id__in=own) | Q(warehouse_id__in=own)).exists()


# --- releases -------------------------------------------------------------------------------------

# The lender's operations issue the release notice, as they run the orders' money.
ISSUE_RELEASE_NOTICE = "inbox.disburse"


def can_issue_release_notice(user: User, release: ReleaseRequest) -> bool:
    """Whether the user issues the release notice (提货通知书): the lender's operations, while requested."""
    return (release.state == ReleaseRequest.State.REQUESTED
            and staff_may(user, ISSUE_RELEASE_NOTICE, release.order.agreement.lender_id))


def can_notify_delivery(user: User, release: ReleaseRequest) -> bool:
    """Whether the user gives the delivery notice (发货通知书): an operator of the seller, once the notice is out."""
    return (release.state == ReleaseRequest.State.NOTICE_ISSUED
            and is_operator(user, release.order.agreement.seller_id))


def can_confirm_delivery(user: User, release: ReleaseRequest) -> bool:
    """Whether the user confirms the goods delivered: an operator of who holds them (warehouse, or the seller)."""
    agreement = release.order.agreement
    custodian_id = agreement.warehouse_id or agreement.seller_id
    return release.state == ReleaseRequest.State.DELIVERY_NOTIFIED and is_operator(user, custodian_id)
# --- orders ---------------------------------------------------------------------------------------

# The lender's operations pay the seller or issue the bill, as they disburse every other loan.
FUND_ORDER = "inbox.disburse"


def can_edit_order(user: User, order: PurchaseOrder) -> bool:
    """Whether the user revises, submits or cancels the order: an operator of its distributor, before funding."""
    return (order.state in (PurchaseOrder.State.DRAFT, PurchaseOrder.State.RETURNED)
            and is_operator(user, order.agreement.distributor_id))


def can_cancel_order(user: User, order: PurchaseOrder) -> bool:
    """Whether the user cancels the order: an operator of its distributor, while no margin was paid on it."""
    return (order.state in (PurchaseOrder.State.DRAFT, PurchaseOrder.State.SELLER_CONFIRMATION,
                            PurchaseOrder.State.RETURNED, PurchaseOrder.State.AWAITING_MARGIN)
            and order.margin_paid == 0 and is_operator(user, order.agreement.distributor_id))


def can_fund_order(user: User, order: PurchaseOrder) -> bool:
    """Whether the user pays the seller (loan) or issues the bill for the order: the lender's operations."""
    return staff_may(user, FUND_ORDER, order.agreement.lender_id)


def can_confirm_receipt(user: User, order: PurchaseOrder) -> bool:
    """Whether the user confirms, for the seller, that the money or the bill arrived: an operator of the seller."""
    return (order.funded_on is not None and order.receipt_confirmed_at is None
            and is_operator(user, order.agreement.seller_id))
