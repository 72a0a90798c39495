"""One predicate per pledge action: the view shows the button with it, the service refuses with it."""

from django.db.models import Q

from scf.parties.models import Organization, User
from scf.parties.permissions import is_member, is_operator, is_signatory, is_staff_of, staff_may

from .models import CommodityPrice, PledgeAgreement

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


# --- collateral intake ------------------------------------------------------------------------

#: The lender's operations issue the notice of pledge: the operations staff's permission.
ISSUE_PLEDGE_NOTICE = "inbox.disburse"


def can_declare_collateral(user: User, agreement) -> bool:
    """Whether the user declares goods under the agreement: an operator of the pledgor."""
    return is_operator(user, agreement.pledgor_id)


def is_agreement_warehouse(user: User, agreement) -> bool:
    """Whether the user works for the agreement's warehouse (counts and confirms its goods)."""
    return is_operator(user, agreement.warehouse_id) or is_signatory(user, agreement.warehouse_id)


def can_count_intake(user: User, intake) -> bool:
    """Whether the user counts (or refuses) a declared intake: its agreement's warehouse, while declared."""
    return intake.state == intake.State.DECLARED and is_agreement_warehouse(user, intake.agreement)


def can_issue_pledge_notice(user: User, intake) -> bool:
    """Whether the user issues the notice of pledge of a counted intake: the lender's operations."""
    return intake.state == intake.State.COUNTED and staff_may(user, ISSUE_PLEDGE_NOTICE, intake.agreement.lender_id)


def can_withdraw_intake(user: User, intake) -> bool:
    """Whether the user withdraws a declared intake: the pledgor's operator, before the count."""
    return intake.state == intake.State.DECLARED and is_operator(user, intake.agreement.pledgor_id)


def is_warehouse_member(user: User) -> bool:
    """Whether the Goods to count page is in the user's menu: a member of a warehouse operator."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_lender_staff", False):
        return False
    return user.memberships.filter(organization__is_warehouse=True).exists()


def can_see_loan_figures(user: User, agreement) -> bool:
    """Whether the user sees the agreement's loan figures (exposure, LTV, what may be drawn): lender staff, pledgor.

    The warehouse holds the goods and sees them and the floor value, not the pledgor's borrowing.
    """
    return is_staff_of(user, agreement.lender_id) or is_member(user, agreement.pledgor_id)
# --- pledge agreements ----------------------------------------------------------------------------

# The staff who prepare credit (credit officers and risk managers) prepare an agreement; operations
# record its registration, as they disburse under it.
PREPARE_AGREEMENT = "facilities.add_creditfacility"
RECORD_REGISTRATION = "inbox.disburse"


def can_prepare_agreement(user: User, lender: Organization | int | None) -> bool:
    """Whether the user prepares (and edits, submits, cancels) the lender's pledge agreements."""
    return staff_may(user, PREPARE_AGREEMENT, lender)


def can_record_registration(user: User, lender: Organization | int | None) -> bool:
    """Whether the user records a pledge's registration (中登网) and its deregistration, and closes the file."""
    return staff_may(user, RECORD_REGISTRATION, lender)


def can_see_agreements(user: User) -> bool:
    """Whether "Pledge agreements" is in the user's menu: lender staff, and members of a pledgor or warehouse."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_lender_staff:
        return True
    own = user.memberships.values("organization_id")
    return PledgeAgreement.objects.filter(Q(pledgor_id__in=own) | Q(warehouse_id__in=own)).exists()


# --- drawdowns ------------------------------------------------------------------------------------

#: Operations disburse loans, as they disburse factoring's financings.
DISBURSE_DRAWDOWN = "inbox.disburse"


def can_request_drawdown(user: User, agreement) -> bool:
    """Whether the user asks for (or withdraws) a loan under the agreement: an operator of the pledgor."""
    return is_operator(user, agreement.pledgor_id)


def can_disburse_drawdown(user: User, agreement) -> bool:
    """Whether the user disburses loans under the agreement: the lender's operations."""
    return staff_may(user, DISBURSE_DRAWDOWN, agreement.lender_id)


def can_see_collateral_dashboard(user: User) -> bool:
    """Whether the Collateral dashboard is in the user's menu: the lender's staff."""
    return bool(getattr(user, "is_authenticated", False) and user.is_lender_staff)


def can_handle_disposal(user: User, agreement) -> bool:
    """Whether the user enters or approves a disposal's sale: the lender's operations (who disburse its loans)."""
    return staff_may(user, RECORD_REGISTRATION, agreement.lender_id)
# --- margin calls ---------------------------------------------------------------------------------

def is_lender_staff(user: User) -> bool:
    """Whether "Margin calls" (the open calls with their deadlines) is in the user's menu: the lender's staff."""
    return getattr(user, "is_authenticated", False) and (user.is_superuser or user.is_lender_staff)
