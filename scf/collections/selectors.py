"""Reads for collections, each for the user it reads for, and who may handle money received."""

from __future__ import annotations

from django.db.models import QuerySet

from scf.parties.models import Organization, StaffGroup, User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import Receipt


def can_handle_receipts(user: User, *, lender: Organization | None = None) -> bool:
    """Return whether the user may record, apply and return money received: operations staff.

    With `lender`, only the staff of that lender, whose collection account received the money.
    A superuser may, for any lender.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if StaffGroup.OPERATIONS not in user.staff_groups():
        return False
    return lender is None or lender.pk in user_organization_ids(user)


def suspense_waiting(*, user: User) -> QuerySet[Receipt]:
    """Return the receipts with money in suspense that came into the collection account of the user's lender."""
    waiting = Receipt.objects.filter(status=Receipt.Status.SUSPENSE)
    if user.is_superuser:
        return waiting
    return waiting.filter(lender_id__in=user_lender_ids(user))
