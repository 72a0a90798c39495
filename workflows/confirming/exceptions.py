"""Confirming-warehouse refusals, each with a stable code a client can branch on."""

from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError, IllegalTransition


class ReleaseExceedsAllowance(DomainError):
    """A release larger than the release mode lets out for the margin paid so far."""

    code = "release_exceeds_allowance"
    http_status = 409
    default_message = _("This release is larger than the margin paid allows.")


class MarginExceedsOrder(DomainError):
    """Margin beyond what the order still needs."""

    code = "margin_exceeds_order"
    http_status = 409
    default_message = _("This margin is more than the order still needs.")


class MarginReferenceReused(DomainError):
    """A bank reference already applied to the order with another amount or date."""

    code = "margin_reference_reused"
    http_status = 409
    default_message = _("This bank reference was already applied to the order with another amount.")


class OrderNotOpen(DomainError):
    """Margin or a release on an order that is not funded (or awaiting margin), or already closed."""

    code = "order_not_open"
    http_status = 409
    default_message = _("This order does not take margin or releases in its current state.")


class AgreementNotActive(DomainError):
    """An order on an agreement not signed by every party (or closed)."""

    code = "agreement_not_active"
    http_status = 409
    default_message = _("Orders are financed only under an agreement every party signed.")


class OrderAboveLimit(DomainError):
    """An order that would take the agreement's open orders above its limit."""

    code = "order_above_limit"
    http_status = 409
    default_message = _("This order is above what the agreement's limit has left.")


class FundingRouteNotAllowed(DomainError):
    """A funding route the agreement does not allow."""

    code = "funding_route_not_allowed"
    http_status = 409
    default_message = _("The agreement does not allow this funding route.")


class AgreementStateConflict(DomainError):
    """The agreement's state does not allow the action (edit after submission, close a draft, ...)."""

    code = "confirming_agreement_state"
    http_status = 409
    default_message = _("The confirming-warehouse agreement's state does not allow this action.")


class AgreementClosingBlocked(DomainError):
    """The agreement cannot be closed yet; the message names what is still open."""

    code = "confirming_closing_blocked"
    http_status = 409
    default_message = _("The confirming-warehouse agreement cannot be closed yet.")


class DeliveryLineNotOnOrder(DomainError):
    """A delivery for goods that are not on the release's order (another order, another seller's goods)."""

    code = "delivery_line_not_on_order"
    http_status = 409
    default_message = _("These goods are not on the release's order.")


class DeliveryAboveAvailable(DomainError):
    """A delivery notice for more of a line than the order still holds undelivered and not notified."""

    code = "delivery_above_available"
    http_status = 409
    default_message = _("This quantity is more than the order line still holds.")


class DeliveryExceedsRelease(DomainError):
    """Goods worth more than the release notice lets out."""

    code = "delivery_exceeds_release"
    http_status = 409
    default_message = _("These goods are worth more than the release notice lets out.")


class DeliveryAboveNotice(DomainError):
    """A delivery confirmed above the quantity the delivery notice named."""

    code = "delivery_above_notice"
    http_status = 409
    default_message = _("This quantity is more than the delivery notice named.")


class ReleaseStateConflict(DomainError):
    """The release's state does not allow the action (a notice twice, a delivery before the notice, ...)."""

    code = "confirming_release_state"
    http_status = 409
    default_message = _("The release's state does not allow this action.")
class OrderStateConflict(IllegalTransition):
    """The order's state does not allow the action (confirm twice, fund before the margin, edit once submitted)."""

    code = "confirming_order_state"
    http_status = 409
    default_message = _("The purchase order's state does not allow this action.")


class RefundAlreadyOpen(DomainError):
    """A second refund demand on an order that has one in flight."""

    code = "confirming_refund_already_open"
    http_status = 409
    default_message = _("A refund demand is already open for this order.")


class RefundNotDue(DomainError):
    """A refund demand, or a refund, on an order whose margin leaves nothing to refund or that is not funded."""

    code = "confirming_refund_not_due"
    http_status = 409
    default_message = _("Nothing is to be refunded on this order now.")


class OrderClosingBlocked(IllegalTransition):
    """Closing an order before its money is settled or its goods are all out."""

    code = "confirming_order_closing_blocked"
    http_status = 409
    default_message = _("The purchase order cannot be closed yet.")
