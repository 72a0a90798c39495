"""Navigation by role: each person sees only the sections they can use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scf.parties.models import StaffGroup


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (_("Dashboard"), reverse("portal:dashboard"), "dashboard"),
        (_("Tasks"), reverse("inbox:list"), "inbox"),
        (_("Organizations"), reverse("portal:organization-list"), "organizations"),
        (_("Facilities"), reverse("portal:facility-list"), "facilities"),
        (_("Receivables"), reverse("factoring:receivable-list"), "receivables"),
        (_("Factoring"), reverse("factoring:financing-list"), "factoring"),
        (_("Documents"), reverse("documents:list"), "documents"),
    ]
    groups = user.staff_groups()
    if user.is_superuser or groups & {StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.ADMIN}:
        items.append((_("KYC review"), reverse("portal:kyc-review"), "kyc-review"))
    if user.is_superuser or StaffGroup.OPERATIONS in groups:
        items.append((_("Suspense"), reverse("collections:suspense"), "suspense"))
    items.append((_("API tokens"), reverse("portal:token-list"), "tokens"))
    if user.is_staff:
        items.append((_("Back office"), reverse("admin:index"), "admin"))
    # The section is the item whose address is the longest prefix of the page's (/factoring/ holds
    # /factoring/receivables/, which is its own section).
    path = request.path
    matches = [(len(url), key) for _label, url, key in items if path == url or (url != "/" and path.startswith(url))]
    return {"nav_items": items, "nav_active": max(matches)[1] if matches else "",
            "user_staff_groups": [StaffGroup(g).label for g in sorted(groups)]}
