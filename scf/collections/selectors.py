"""Reads for collections, each for the user it reads for."""

from __future__ import annotations

from django.db.models import QuerySet

from scf.parties.models import User
from scf.parties.selectors import user_lender_ids

from .models import Receipt


def suspense_waiting(*, user: User) -> QuerySet[Receipt]:
    """Return the receipts with money in suspense that came into the collection account of the user's lender."""
    waiting = Receipt.objects.filter(status=Receipt.Status.SUSPENSE)
    if user.is_superuser:
        return waiting
    return waiting.filter(lender_id__in=user_lender_ids(user))
