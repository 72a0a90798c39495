"""Reads for the ledger: balances are always derived from postings."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from scf.core import tenancy
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import Account, JournalEntry, Posting

CENT = Decimal("0.01")


def _to_cent(total: Decimal | None) -> Decimal:
    # SQLite sums decimals as floats and Django does not round aggregates there, so -0.03 + 0.01 + 0.02
    # comes back as 3.47E-18 (and its negation as -0.00 once rounded); PostgreSQL sums exactly.
    total = total.quantize(CENT) if total is not None else None
    return total if total else Decimal("0.00")


def account_balance(*, account: Account) -> Decimal:
    """Return the sum of the account's postings (debits positive)."""
    return _to_cent(Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"])


def balances_by_account(*, accounts: QuerySet[Account]) -> dict[int, Decimal]:
    rows = Posting.objects.filter(account__in=accounts).values("account").annotate(total=Sum("amount"))
    return {row["account"]: _to_cent(row["total"]) for row in rows}


@tenancy.rule(Account)
def account_visible(user: User) -> QuerySet[Account]:
    """Lender staff see the accounts in their lender's books; a party sees its own accounts; superusers all."""
    if user.is_superuser:
        return Account.objects.all()
    if user.is_lender_staff:
        return Account.objects.filter(lender_id__in=user_lender_ids(user))
    return Account.objects.filter(owner_id__in=user_organization_ids(user))


@tenancy.rule(JournalEntry)
def journal_entry_visible(user: User) -> QuerySet[JournalEntry]:
    """An entry is posted in one lender's books: that lender's staff see it, and the parties it posts to."""
    if user.is_superuser:
        return JournalEntry.objects.all()
    if user.is_lender_staff:
        return JournalEntry.objects.filter(postings__account__lender_id__in=user_lender_ids(user)).distinct()
    return JournalEntry.objects.filter(postings__account__owner_id__in=user_organization_ids(user)).distinct()


@tenancy.rule(Posting)
def posting_visible(user: User) -> QuerySet[Posting]:
    """A posting is seen with its account: by the staff of the account's lender, or by the account's party."""
    return Posting.objects.filter(account__in=account_visible(user))
