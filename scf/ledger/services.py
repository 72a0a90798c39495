"""Post to the ledger: balanced, idempotent, append-only."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.core.exceptions import IdempotencyConflict
from scf.core.races import insert_unless_taken
from scf.money import round_money, to_decimal
from scf.parties.models import Organization, User

from .exceptions import AlreadyReversed, UnbalancedEntry
from .models import Account, JournalEntry, Posting

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One line to post: a positive amount debits the account, a negative one credits it."""

    account: Account
    amount: Decimal
    currency: str | None = None

    @property
    def posting_currency(self) -> str:
        return self.currency or self.account.currency


def account_code(*, lender: Organization, owner: Organization | None, purpose: str, currency: str) -> str:
    """Return the code of an account: `HOUSE:<lender>:<purpose>:<currency>` for the lender's own books,
    `<lender>:<party>:<purpose>:<currency>` for a party's account in them (organizations by USCC)."""
    if owner is None:
        return f"HOUSE:{lender.uscc}:{purpose}:{currency}"
    return f"{lender.uscc}:{owner.uscc}:{purpose}:{currency}"


# Accounts never change once opened (no column of theirs is ever updated, none is deleted): each process keeps the
# ones it has used, by code, and looks them up once. An account enters the cache only once the transaction that read
# or opened it has committed, so a rolled back opening is never remembered.
ACCOUNT_CACHE_SIZE = 4096
_accounts: dict[str, Account] = {}


def _remember(account: Account) -> None:
    if len(_accounts) >= ACCOUNT_CACHE_SIZE:
        _accounts.pop(next(iter(_accounts)))
    _accounts[account.code] = account


def accounts_forget() -> None:
    """Empty this process's cache of accounts (tests do, when their database is rolled back)."""
    _accounts.clear()


def account_for(*, lender: Organization, owner: Organization | None, purpose: str, currency: str = "CNY") -> Account:
    """Return the account in `lender`'s books of a party (or of the lender itself, when owner is None)
    for a purpose, creating it once."""
    if lender is None or not lender.pk:
        raise ValueError("An account belongs to one lender's books; name the lender.")
    code = account_code(lender=lender, owner=owner, purpose=purpose, currency=currency)
    account = _accounts.get(code)
    if account is not None:
        return account
    account = Account.objects.filter(code=code).first()
    if account is None:
        account = Account(code=code, lender=lender, owner=owner, purpose=purpose, currency=currency)
        if not insert_unless_taken(account):
            # Opened at the same moment by another transaction: its account answers.
            account = Account.objects.get(code=code)
    transaction.on_commit(lambda: _remember(account))
    return account


def house_account(purpose: str, currency: str, *, lender: Organization) -> Account:
    """Return the lender's own account (its books, no party) for a purpose and currency."""
    return account_for(lender=lender, owner=None, purpose=purpose, currency=currency)


def party_account(owner: Organization, purpose: str, currency: str, *, lender: Organization) -> Account:
    """Return a party's account in the lender's books for a purpose and currency (one per lender)."""
    return account_for(lender=lender, owner=owner, purpose=purpose, currency=currency)


@dataclass(frozen=True)
class AccountKey:
    """An account named by whose books, whose, what for and in which currency: opened when a line needs it.

    Given to `lines`, every key of a non-zero line is looked up (and the missing accounts opened) together.
    """

    lender: Organization
    owner: Organization | None
    purpose: str
    currency: str

    @property
    def code(self) -> str:
        return account_code(lender=self.lender, owner=self.owner, purpose=self.purpose, currency=self.currency)


def house_key(purpose: str, currency: str, *, lender: Organization) -> AccountKey:
    """The key of the lender's own account for a purpose and currency (see `house_account`)."""
    return AccountKey(lender=lender, owner=None, purpose=purpose, currency=currency)


def party_key(owner: Organization, purpose: str, currency: str, *, lender: Organization) -> AccountKey:
    """The key of a party's account in the lender's books (see `party_account`)."""
    return AccountKey(lender=lender, owner=owner, purpose=purpose, currency=currency)


AccountRef = Account | AccountKey | Callable[[], Account]


def _account(ref: AccountRef, keyed: dict[str, Account]) -> Account:
    if isinstance(ref, Account):
        return ref
    if isinstance(ref, AccountKey):
        return keyed[ref.code]
    return ref()


def lines(*pairs: tuple[AccountRef, Decimal]) -> list[Line]:
    """Return ledger lines from (account, amount) pairs, leaving out zero amounts (a zero posting says nothing).

    An account may be given as a function returning it (looked up only when its amount is not zero), or as an
    `AccountKey`: the keys of the non-zero lines are looked up together, the missing accounts opened together.
    """
    wanted = [(ref.lender, ref.owner, ref.purpose, ref.currency) for ref, amount in pairs
              if amount and isinstance(ref, AccountKey)]
    keyed = accounts_by_code(wanted) if wanted else {}
    return [Line(account=_account(account, keyed), amount=amount) for account, amount in pairs if amount]


def entry_key(*parts: object) -> str:
    """Return the idempotency key of an entry: its parts joined by colons, dates in ISO 8601.

    entry_key("factoring", "FF-2026-00001", "receipt", "B1") == "factoring:FF-2026-00001:receipt:B1".
    Every entry ever posted carries a key in this form; a replay matches it only if the form never
    changes. An empty part is refused: it would let the keys of two different events collide.
    """
    if not parts:
        raise ValueError("An idempotency key needs at least one part.")
    texts = []
    for part in parts:
        text = part.isoformat() if isinstance(part, datetime.date) else str(part)
        if not text:
            raise ValueError(f"Empty part in the idempotency key {parts!r}.")
        texts.append(text)
    return ":".join(texts)


def _normalized(lines: list[Line]) -> list[tuple[int, str, Decimal]]:
    normalized = []
    for line in lines:
        amount = to_decimal(line.amount)
        if amount != amount.quantize(CENT):
            raise UnbalancedEntry(_("Amounts are posted to the cent; %(amount)s has more places.")
                                  % {"amount": amount})
        if amount == 0:
            raise UnbalancedEntry(_("A posting of zero says nothing; leave the line out."))
        if line.posting_currency != line.account.currency:
            raise UnbalancedEntry(_("Account %(code)s is kept in %(cur)s.")
                                  % {"code": line.account.code, "cur": line.account.currency})
        normalized.append((line.account.pk, line.posting_currency, amount.quantize(CENT)))
    if len({line.account.lender_id for line in lines}) > 1:
        raise UnbalancedEntry(_("An entry is posted in one lender's books; these accounts belong to several lenders."))
    return sorted(normalized)


def entry_fingerprint(normalized: list[tuple[int, str, Decimal]]) -> str:
    """Return a hash of the lines, so a replayed key can be told from a different request."""
    text = "|".join(f"{account}:{currency}:{amount}" for account, currency, amount in normalized)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_balanced(normalized) -> None:
    if len(normalized) < 2:
        raise UnbalancedEntry(_("An entry needs at least two postings."))
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for _account, currency, amount in normalized:
        sums[currency] += amount
    off = {currency: total for currency, total in sums.items() if total != 0}
    if off:
        raise UnbalancedEntry(
            _("The postings do not balance: %(detail)s.")
            % {"detail": ", ".join(f"{cur} {total:+}" for cur, total in sorted(off.items()))}
        )


def _existing(idempotency_key: str, fingerprint: str) -> JournalEntry | None:
    entry = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if entry is not None and entry.fingerprint != fingerprint:
        raise IdempotencyConflict(
            _("Entry %(key)s was already posted with different lines; nothing was posted.")
            % {"key": idempotency_key}
        )
    return entry


def ledger_post(*, idempotency_key: str, lines: list[Line], description: str, acting_user: User | None,
                value_date: datetime.date | None = None, reverses: JournalEntry | None = None) -> JournalEntry:
    """Post one balanced entry; the same key again returns the first entry and posts nothing."""
    normalized = _normalized(lines)
    _check_balanced(normalized)
    fingerprint = entry_fingerprint(normalized)

    entry = JournalEntry(
        idempotency_key=idempotency_key, fingerprint=fingerprint, description=description[:300],
        posted_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        value_date=value_date or timezone.localdate(), reverses=reverses,
    )
    # No look-up first and no savepoint: the key's unique index skips a replay (or a concurrent request's entry
    # posted first); the entry posted under the key answers it, or its other lines raise the conflict.
    if not insert_unless_taken(entry):
        existing = _existing(idempotency_key, fingerprint)
        if existing is None:
            raise IntegrityError(f"Journal entry {idempotency_key} was refused by the database.")
        return existing
    Posting.objects.bulk_create(
        Posting(entry=entry, account_id=account, currency=currency, amount=amount)
        for account, currency, amount in normalized
    )
    return entry


@dataclass(frozen=True)
class EntryToPost:
    """One entry for `ledger_post_many`: the same arguments as `ledger_post`'s."""

    idempotency_key: str
    lines: list[Line]
    description: str
    value_date: datetime.date


def ledger_post_many(entries: list[EntryToPost], *, acting_user: User | None = None) -> int:
    """Post many balanced entries at once (three statements), each once per idempotency key; return how many.

    The set-based `ledger_post` for the nightly jobs: every entry is checked as `ledger_post` checks
    one, a key already posted with the same lines is left alone (a re-run posts nothing) and one
    posted with other lines refuses the whole batch. The caller holds the locks of the rows whose
    movements these are, so no concurrent request posts the same keys meanwhile.
    """
    prepared: dict[str, tuple[EntryToPost, list, str]] = {}
    for entry in entries:
        normalized = _normalized(entry.lines)
        _check_balanced(normalized)
        fingerprint = entry_fingerprint(normalized)
        seen = prepared.get(entry.idempotency_key)
        if seen is not None and seen[2] != fingerprint:
            raise IdempotencyConflict(_("Entry %(key)s was already posted with different lines; nothing was posted.")
                                      % {"key": entry.idempotency_key})
        prepared[entry.idempotency_key] = (entry, normalized, fingerprint)
    if not prepared:
        return 0
    posted = dict(JournalEntry.objects.filter(idempotency_key__in=list(prepared))
                  .values_list("idempotency_key", "fingerprint"))
    for key, fingerprint in posted.items():
        if prepared[key][2] != fingerprint:
            raise IdempotencyConflict(_("Entry %(key)s was already posted with different lines; nothing was posted.")
                                      % {"key": key})
    posted_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    todo = [item for key, item in prepared.items() if key not in posted]
    created = JournalEntry.objects.bulk_create([
        JournalEntry(idempotency_key=entry.idempotency_key, fingerprint=fingerprint,
                     description=entry.description[:300], posted_by=posted_by, value_date=entry.value_date)
        for entry, _normalized_lines, fingerprint in todo])
    Posting.objects.bulk_create([
        Posting(entry=journal, account_id=account, currency=currency, amount=amount)
        for journal, (_entry, normalized, _fingerprint) in zip(created, todo, strict=True)
        for account, currency, amount in normalized])
    return len(created)


def accounts_by_code(wanted: list[tuple[Organization, Organization | None, str, str]]) -> dict[str, Account]:
    """Return the accounts (lender, owner or None, purpose, currency) by their codes, opening the missing ones as
    `account_for` does: those this process has not used yet are read in one statement, and the ones never opened are
    inserted in another."""
    specs: dict[str, tuple[Organization, Organization | None, str, str]] = {}
    for lender, owner, purpose, currency in wanted:
        if lender is None or not lender.pk:
            raise ValueError("An account belongs to one lender's books; name the lender.")
        specs[account_code(lender=lender, owner=owner, purpose=purpose, currency=currency)] = (
            lender, owner, purpose, currency)
    found = {code: _accounts[code] for code in specs if code in _accounts}
    unknown = [code for code in specs if code not in found]
    if not unknown:
        return found
    found.update(Account.objects.in_bulk(unknown, field_name="code"))
    new = [Account(code=code, lender=lender, owner=owner, purpose=purpose, currency=currency)
           for code, (lender, owner, purpose, currency) in specs.items() if code not in found]
    if new:
        # One statement, whose RETURNING gives every key: an account opened at the same moment by another transaction
        # is not inserted twice, its key answers (the conflict "updates" its code to itself; nothing else is written).
        Account.objects.bulk_create(new, update_conflicts=True, unique_fields=["code"], update_fields=["code"])
        found.update({account.code: account for account in new})
    for code in unknown:
        transaction.on_commit(lambda account=found[code]: _remember(account))
    return found



def accrual_post(*, exact: Decimal, posted: Decimal, idempotency_key: str, debit: AccountRef, credit: AccountRef,
                 description: str, acting_user: User | None, value_date: datetime.date) -> Decimal:
    """Post what brings an accrual up to round(exact accrual to date); return what was posted, 0 when nothing is due.

    Each run posts round(`exact`) − `posted` (DESIGN §5: penalty and pledge interest), so the
    daily postings always add up to the rounded exact accrual of the whole period and never drift
    the way rounding each day's own accrual would. A negative difference posts nothing: an accrual
    is never taken back here. The caller adds the answer to what it keeps as `posted`, under the
    lock of the row that keeps it. `debit` and `credit` may be keys or functions returning the accounts,
    so that they are looked up only when something is posted.
    """
    due = round_money(exact) - posted
    if due <= 0:
        return Decimal("0.00")
    ledger_post(idempotency_key=idempotency_key, lines=lines((debit, due), (credit, -due)),
                description=description, acting_user=acting_user, value_date=value_date)
    return due


@transaction.atomic
def ledger_reverse(*, entry: JournalEntry, reason: str, acting_user: User | None) -> JournalEntry:
    """Undo an entry with a mirror entry; an entry is reversed at most once."""
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise AlreadyReversed()
    reversal = [Line(account=p.account, amount=-p.amount, currency=p.currency)
                for p in entry.postings.select_related("account")]
    return ledger_post(
        idempotency_key=entry_key("reversal", entry.idempotency_key), lines=reversal,
        description=_("Reversal of %(entry)s: %(reason)s") % {"entry": entry, "reason": reason},
        acting_user=acting_user, reverses=entry,
    )
