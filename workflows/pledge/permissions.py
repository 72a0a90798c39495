"""One predicate per pledge action: the view shows the button with it, the service refuses with it."""

from scf.parties.models import Organization, User
from scf.parties.permissions import staff_may

from .models import CommodityPrice

MANAGE_COMMODITIES = "pledge.manage_pledge_commodities"
PROPOSE_PRICE = "pledge.propose_commodity_price"
APPROVE_PRICE = "pledge.approve_commodity_price"


def can_manage_commodities(user: User, lender: Organization | int | None) -> bool:
    """Whether the user sets the lender's eligible commodities and approves its warehouses."""
    return staff_may(user, MANAGE_COMMODITIES, lender)


def can_propose_price(user: User, lender: Organization | int | None) -> bool:
    """Whether the user enters commodity prices for the lender."""
    return staff_may(user, PROPOSE_PRICE, lender)


def can_approve_price(user: User, price: CommodityPrice) -> bool:
    """Whether the user may approve or reject this price: the lender's staff entitled to it, not its maker."""
    return (price.state == CommodityPrice.State.PROPOSED and user.pk != price.created_by_id
            and staff_may(user, APPROVE_PRICE, price.lender_id))


def can_see_prices(user: User) -> bool:
    """Whether the Commodity prices page is in the user's menu: lender staff who enter or approve prices."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.is_lender_staff and (user.has_perm(PROPOSE_PRICE) or user.has_perm(APPROVE_PRICE))
