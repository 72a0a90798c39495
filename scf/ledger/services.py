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
from scf.core.races import insert_once
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


def account_for(*, lender: Organization, owner: Organization | None, purpose: str, currency: str = "CNY") -> Account:
    """Return the account in `lender`'s books of a party (or of the lender itself, when owner is None)
    for a purpose, creating it once."""
    if lender is None or not lender.pk:
        raise ValueError("An account belongs to one lender's books; name the lender.")
    code = account_code(lender=lender, owner=owner, purpose=purpose, currency=currency)
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account, _created = Account.objects.get_or_create(
                code=code, defaults={"lender": lender, "owner": owner, "purpose": purpose, "currency": currency}
            )
    except IntegrityError:
        account = Account.objects.get(code=code)
    return account


def house_account(purpose: str, currency: str, *, lender: Organization) -> Account:
    """Return the lender's own account (its books, no party) for a purpose and currency."""
    return account_for(lender=lender, owner=None, purpose=purpose, currency=currency)


def party_account(owner: Organization, purpose: str, currency: str, *, lender: Organization) -> Account:
    """Return a party's account in the lender's books for a purpose and currency (one per lender)."""
    return account_for(lender=lender, owner=owner, purpose=purpose, currency=currency)


AccountRef = Account | Callable[[], Account]


def _account(ref: AccountRef) -> Account:
    return ref if isinstance(ref, Account) else ref()


def lines(*pairs: tuple[AccountRef, Decimal]) -> list[Line]:
    """Return ledger lines from (account, amount) pairs, leaving out zero amounts (a zero posting says nothing).

    An account may be given as a function returning it: it is looked up only when its amount is not zero.
    """
    return [Line(account=_account(account), amount=amount) for account, amount in pairs if amount]


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
    existing = _existing(idempotency_key, fingerprint)
    if existing is not None:
        return existing

    def post() -> JournalEntry:
        entry = JournalEntry.objects.create(
            idempotency_key=idempotency_key, fingerprint=fingerprint, description=description[:300],
            posted_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            value_date=value_date or timezone.localdate(), reverses=reverses,
        )
        Posting.objects.bulk_create(
            Posting(entry=entry, account_id=account, currency=currency, amount=amount)
            for account, currency, amount in normalized
        )
        return entry

    # A concurrent request posting the same key first: answer as a replay would.
    entry, _created = insert_once(post, lambda: _existing(idempotency_key, fingerprint))
    return entry


def accrual_post(*, exact: Decimal, posted: Decimal, idempotency_key: str, debit: AccountRef, credit: AccountRef,
                 description: str, acting_user: User | None, value_date: datetime.date) -> Decimal:
    """Post what brings an accrual up to round(exact accrual to date); return what was posted, 0 when nothing is due.

    Each run posts round(`exact`) − `posted` (DESIGN §5: penalty and pledge interest), so the
    daily postings always add up to the rounded exact accrual of the whole period and never drift
    the way rounding each day's own accrual would. A negative difference posts nothing: an accrual
    is never taken back here. The caller adds the answer to what it keeps as `posted`, under the
    lock of the row that keeps it. `debit` and `credit` may be functions returning the accounts,
    so that they are looked up only when something is posted.
    """
    due = round_money(exact) - posted
    if due <= 0:
        return Decimal("0.00")
    ledger_post(idempotency_key=idempotency_key, lines=lines((_account(debit), due), (_account(credit), -due)),
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
