"""Helpers shared by the ledger tests."""

from scf.ledger.models import JournalEntry, Posting


def ledger_row_counts() -> tuple[int, int]:
    """Return (journal entries, postings) stored, to show that a refused post stored nothing."""
    return JournalEntry.objects.count(), Posting.objects.count()
