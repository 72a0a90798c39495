"""Reads for collections, each for the user it reads for."""

from __future__ import annotations

from django.db.models import QuerySet

from scf.core.tenancy import rule
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids

from .models import Receipt


@rule(Receipt)
def receipts_visible(user: User) -> QuerySet[Receipt]:
    """The lender's staff see the receipts of its collection account; superusers all; clients none here.

    Clients read the receipts of their own cases on the case's page, through the case's rule.
    """
    if user.is_superuser:
        return Receipt.objects.all()
    if not getattr(user, "is_lender_staff", False):
        return Receipt.objects.none()
    return Receipt.objects.filter(lender_id__in=user_lender_ids(user))


def suspense_waiting(*, user: User) -> QuerySet[Receipt]:
    """Return the receipts with money in suspense that came into the collection account of the user's lender."""
    waiting = Receipt.objects.filter(status=Receipt.Status.SUSPENSE)
    if user.is_superuser:
        return waiting
    return waiting.filter(lender_id__in=user_lender_ids(user))
