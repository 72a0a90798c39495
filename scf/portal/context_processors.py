"""Navigation by role: each person sees only the sections they can use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scf.core.menus import MenuItem, menu_items
from scf.parties.accounts import can_verify_accounts
from scf.parties.models import StaffGroup


def _reviews_kyc(user) -> bool:
    return user.is_superuser or bool(
        user.staff_groups() & {StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.ADMIN})


def _administers_a_lender(user) -> bool:
    # A lender administrator manages the lender's staff and approval matrix in the portal; a platform
    # superuser does it in the back office.
    return not user.is_superuser and StaffGroup.ADMIN in user.staff_groups()


def _sees_settlement_accounts(user) -> bool:
    # Clients manage their accounts; of the lender's staff, operations verify them.
    return not user.is_lender_staff or can_verify_accounts(user)


# The portal's own sections; the products register theirs (scf.core.menus) between them.
PORTAL_ITEMS = [
    MenuItem("dashboard", _("Dashboard"), "portal:dashboard", 100),
    MenuItem("inbox", _("Tasks"), "inbox:list", 200),
    MenuItem("organizations", _("Organizations"), "portal:organization-list", 300),
    MenuItem("facilities", _("Facilities"), "portal:facility-list", 400),
    MenuItem("settlement-accounts", _("Settlement accounts"), "portal:settlement-account-list", 450,
             visible=_sees_settlement_accounts),
    MenuItem("documents", _("Documents"), "documents:list", 700),
    MenuItem("kyc-review", _("KYC review"), "portal:kyc-review", 800, visible=_reviews_kyc),
    MenuItem("staff", _("Staff and groups"), "portal:staff-list", 850, visible=_administers_a_lender),
    MenuItem("approval-matrix", _("Approval matrix"), "portal:approval-matrix", 860, visible=_administers_a_lender),
    MenuItem("tokens", _("API tokens"), "portal:token-list", 900),
    MenuItem("admin", _("Back office"), "admin:index", 1000, visible=lambda user: user.is_superuser),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if request.path.startswith(reverse("second-factor")):
        return {"nav_items": []}  # signed in halfway: the sections open once the code is entered
    entries = sorted([*PORTAL_ITEMS, *menu_items()], key=lambda item: item.order)
    items = [(item.label, reverse(item.url_name), item.key) for item in entries if item.visible(user)]
    # The section is the item whose address is the longest prefix of the page's (/factoring/ holds
    # /factoring/receivables/, which is its own section).
    path = request.path
    matches = [(len(url), key) for _label, url, key in items if path == url or (url != "/" and path.startswith(url))]
    return {"nav_items": items, "nav_active": max(matches)[1] if matches else "",
            "user_staff_groups": [StaffGroup(g).label for g in sorted(user.staff_groups())]}
