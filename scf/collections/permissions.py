"""Who may handle money received: the lender's operations, through the staff permission below.

The factoring flow assigns its "record the payment" and "settle" steps by the same permission
(`workflows/factoring/permissions.py` builds its predicates on these).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from scf.core.exceptions import ActionNotPermitted
from scf.parties.models import Organization, StaffGroup, User
from scf.parties.permissions import staff_may

# A staff permission (on workflows.inbox's CaseProcess), given to operations in scf/parties/groups.py.
RECORD_RECEIPTS = "inbox.record_receipts"


def can_handle_receipts(user: User, *, lender: Organization | int | None = None) -> bool:
    """Whether the user may record, apply and return money received.

    With `lender`, only within that lender, whose collection account received the money; without,
    whether the user does this work for any lender (to show the Suspense page). A superuser may.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if lender is None:
        return user.is_lender_staff and user.has_perm(RECORD_RECEIPTS)
    return staff_may(user, RECORD_RECEIPTS, lender)


def require_receipts_staff(user: User, *, lender: Organization, action: str) -> None:
    """Refuse anyone but the lender's operations, saying which of the two the user is not."""
    if can_handle_receipts(user, lender=lender):
        return
    if not can_handle_receipts(user):
        raise ActionNotPermitted(_("Only %(groups)s may %(action)s.") % {"groups": StaffGroup(StaffGroup.OPERATIONS).label,
                                                                  "action": action})
    raise ActionNotPermitted(_("Only the staff of %(lender)s may %(action)s.")
                             % {"lender": lender.legal_name, "action": action})
