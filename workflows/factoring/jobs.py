"""Daily jobs of factoring: maturity reminders, overdue marking, penalty accrual, recourse.

Each runs for a given day over its candidates in chunks of ids (`scf.core.jobs.in_chunks`): a
chunk is one transaction that locks its rows with one query, works out the changes in Python and
writes them set-based (bulk updates, the penalty entries posted together), so the nightly batch
costs a few statements per chunk rather than several per financing.

Each job is idempotent and restartable: run twice on the same day, or again after a crash
between chunks, it changes only what is still to do (reminders remember the days they were sent
for, overdue and recourse are state transitions, penalty postings are keyed by financing and
day and the candidates are those not yet accrued to the day). Mails go out after commit, one
task per chunk that enqueues one mail task per financing, each retried on its own (`tasks.py`).

The transitions keep their audit: one record per financing (its history shows when it fell
overdue or recourse was claimed), chained in one batch per chunk, under one lock of the chain.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from scf.audit.services import audit_batch
from scf.collections.models import Receipt
from scf.core.jobs import in_chunks
from scf.facilities.models import CreditFacility
from scf.facilities.services import facilities_risk_stop
from scf.ledger.models import Account
from scf.ledger.services import EntryToPost, Line, account_code, accounts_by_code, entry_key, ledger_post_many
from scf.money import round_money
from scf.parties.models import Organization

from . import tasks
from .models import FactoringFinancing
from .settlement import overdue_from, penalty_accrual

State = FactoringFinancing.State
P = Account.Purpose
REMINDER_DAYS = (7, 1)
UPDATE_BATCH = 100


def _past_due(on: datetime.date, days_field: str) -> Q:
    """Financings due more than their facility's `days_field` days before `on`: one term per distinct value."""
    terms = Q(pk__in=[])
    for days in CreditFacility.objects.order_by().values_list(days_field, flat=True).distinct():
        terms |= Q(**{f"facility__{days_field}": days, "due_date__lt": on - datetime.timedelta(days=days)})
    return terms


def _locked(ids: list[int]):
    return FactoringFinancing.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")


def send_maturity_reminders(on: datetime.date) -> int:
    """Remind supplier and debtor 7 and 1 days before maturity; return the number of financings reminded."""
    reminded = 0
    for days in REMINDER_DAYS:
        due = FactoringFinancing.objects.filter(state=State.DISBURSED, due_date=on + datetime.timedelta(days=days))

        def remind(ids: list[int], days: int = days) -> int:
            rows = [f for f in _locked(ids).filter(state=State.DISBURSED).only("id", "state", "reminded_days")
                    if days not in f.reminded_days]
            by_value: dict[tuple[int, ...], list[int]] = {}
            for financing in rows:
                financing.reminded_days = sorted([*financing.reminded_days, days])
                by_value.setdefault(tuple(financing.reminded_days), []).append(financing.pk)
            # One UPDATE for each list of days reminded (a handful), not a CASE over the chunk.
            for value, pks in by_value.items():
                FactoringFinancing.objects.filter(pk__in=pks).update(reminded_days=list(value))
            if rows:
                tasks.send_maturity_reminders_chunk.delay_on_commit(financing_ids=[f.pk for f in rows], days=days)
            return len(rows)

        reminded += in_chunks(f"factoring.reminded ({days} days)", due, remind)
    return reminded


def mark_overdue(on: datetime.date) -> int:
    """Mark financings still owing the advance after the grace days as overdue, and stop the obligor's lines.

    Every active facility the lender granted to the financing's obligor (the supplier, or the core
    enterprise whose line carries a reverse factoring) is frozen with the overdue financing as the
    reason (the first of the chunk, in id order, when several stop the same line). The freeze goes
    with the overdue transition, which fires once: a line a risk manager unfroze stays open when the
    day is run again.
    """
    candidates = FactoringFinancing.objects.filter(_past_due(on, "grace_days"), state=State.DISBURSED,
                                                   advance_outstanding__gt=0)
    note = _("unpaid after the grace days")

    def mark(ids: list[int]) -> int:
        rows = [f for f in _locked(ids).filter(state=State.DISBURSED, advance_outstanding__gt=0)
                .select_related("facility__obligor", "supplier", "debtor", "lender") if on >= overdue_from(f)]
        if not rows:
            return 0
        with audit_batch():
            for financing in rows:
                financing.mark_overdue(note=note)
            FactoringFinancing.objects.filter(pk__in=[f.pk for f in rows]).update(state=State.OVERDUE)
            _risk_stop(rows)
        return len(rows)

    return in_chunks("factoring.overdue", candidates, mark)


def _obligors(financing: FactoringFinancing) -> list[Organization]:
    obligors = [financing.facility.obligor]
    if financing.reverse and financing.debtor_id != financing.facility.obligor_id:
        obligors.append(financing.debtor)
    return obligors


def _risk_stop(rows: list[FactoringFinancing]) -> None:
    """Freeze the active lines of the chunk's overdue obligors: one query when none is left to freeze."""
    pairs = {(f.lender_id, o.pk) for f in rows for o in _obligors(f)}
    active = set(CreditFacility.objects.filter(
        state=CreditFacility.State.ACTIVE, lender_id__in={lender for lender, _o in pairs},
        obligor_id__in={obligor for _l, obligor in pairs}).values_list("lender_id", "obligor_id"))
    for financing in rows:
        obligors = [o for o in _obligors(financing) if (financing.lender_id, o.pk) in active]
        if not obligors:
            continue
        facilities_risk_stop(
            lender=financing.lender, obligors=obligors,
            note=_("Risk stop: financing %(ref)s of %(supplier)s on %(debtor)s is overdue (due %(date)s).")
            % {"ref": financing.reference, "supplier": financing.supplier.legal_name,
               "debtor": financing.debtor.legal_name, "date": financing.due_date.isoformat()})
        active -= {(financing.lender_id, o.pk) for o in obligors}


PENALTY_FIELDS = ("id", "reference", "currency", "advance_amount", "annual_rate", "day_count", "due_date",
                  "penalty_accrued", "penalty_outstanding", "penalty_accrued_to", "lender_id", "supplier_id",
                  "facility__grace_days", "facility__penalty_multiplier")


def accrue_penalties(on: datetime.date) -> int:
    """Post each overdue financing's penalty interest up to `on`; return how many got a posting.

    Each posts round(exact accrual to `on`) minus what is already posted (DESIGN §5), under the
    key factoring:<reference>:penalty:<day>. A financing already accrued to `on` or later has
    nothing more to post for `on` (the accrual only grows with the days, and no receipt may be
    dated before the day it was accrued to), so it is not a candidate: a re-run reads no rows.
    """
    candidates = FactoringFinancing.objects.filter(
        Q(penalty_accrued_to__isnull=True) | Q(penalty_accrued_to__lt=on),
        state__in=[State.OVERDUE, State.RECOURSE_CLAIMED], advance_outstanding__gt=0)
    financing_type = ContentType.objects.get_for_model(FactoringFinancing)

    def accrue(ids: list[int]) -> int:
        rows = list(_locked(ids).filter(state__in=[State.OVERDUE, State.RECOURSE_CLAIMED],
                                        advance_outstanding__gt=0).values(*PENALTY_FIELDS))
        repayments: dict[int, list] = {}
        for case_id, paid_on, paid in Receipt.objects.filter(
                case_type=financing_type, case_id__in=[r["id"] for r in rows], applied_advance__gt=0,
                value_date__lt=on).values_list("case_id", "value_date", "applied_advance"):
            repayments.setdefault(case_id, []).append((paid_on, paid))
        due = {}
        for row in rows:
            start = row["due_date"] + datetime.timedelta(days=row["facility__grace_days"] + 1)
            exact = penalty_accrual(advance=row["advance_amount"], annual_rate=row["annual_rate"],
                                    multiplier=row["facility__penalty_multiplier"], day_count=row["day_count"],
                                    start=start, to_date=on, repayments=repayments.get(row["id"], []))
            amount = round_money(exact) - row["penalty_accrued"]
            if amount > 0:
                due[row["id"]] = amount
        if not due:
            return 0
        _post_penalties([r for r in rows if r["id"] in due], due, on)
        _set_penalties([(r["id"], r["penalty_accrued"] + due[r["id"]], r["penalty_outstanding"] + due[r["id"]])
                        for r in rows if r["id"] in due], on)
        return len(due)

    return in_chunks("factoring.penalties", candidates, accrue)


def _set_penalties(balances: list[tuple[int, Decimal, Decimal]], on: datetime.date) -> None:
    """Write the chunk's new penalty balances (id, accrued, outstanding), accrued to `on`.

    On PostgreSQL one UPDATE … FROM (VALUES …); elsewhere bulk updates of 100 rows (Django builds
    a CASE per field whose cost grows with the square of the rows: 2,000 at once took seconds).
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(FactoringFinancing._meta.db_table)
        values = ", ".join(["(%s, %s::numeric, %s::numeric)"] * len(balances))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS f SET penalty_accrued = v.accrued, penalty_outstanding = v.outstanding, "
                f"penalty_accrued_to = %s FROM (VALUES {values}) AS v(id, accrued, outstanding) WHERE f.id = v.id",
                [on, *(value for row in balances for value in row)])
        return
    FactoringFinancing.objects.bulk_update(
        [FactoringFinancing(id=pk, penalty_accrued=accrued, penalty_outstanding=outstanding, penalty_accrued_to=on)
         for pk, accrued, outstanding in balances],
        ["penalty_accrued", "penalty_outstanding", "penalty_accrued_to"], batch_size=UPDATE_BATCH)


def _post_penalties(rows: list[dict], due: dict[int, Decimal], on: datetime.date) -> None:
    organizations = Organization.objects.in_bulk({r["lender_id"] for r in rows} | {r["supplier_id"] for r in rows})
    wanted = []
    for r in rows:
        lender, supplier = organizations[r["lender_id"]], organizations[r["supplier_id"]]
        wanted += [(lender, supplier, P.PENALTY_RECEIVABLE, r["currency"]), (lender, None, P.PENALTY_INCOME, r["currency"])]
    accounts = accounts_by_code(wanted)
    entries = []
    for r in rows:
        lender, supplier = organizations[r["lender_id"]], organizations[r["supplier_id"]]
        debit = accounts[account_code(lender=lender, owner=supplier, purpose=P.PENALTY_RECEIVABLE,
                                      currency=r["currency"])]
        credit = accounts[account_code(lender=lender, owner=None, purpose=P.PENALTY_INCOME, currency=r["currency"])]
        amount = due[r["id"]]
        entries.append(EntryToPost(
            idempotency_key=entry_key("factoring", r["reference"], "penalty", on),
            lines=[Line(account=debit, amount=amount), Line(account=credit, amount=-amount)],
            description=_("Penalty interest on %(ref)s to %(date)s") % {"ref": r["reference"], "date": on},
            value_date=on))
    ledger_post_many(entries)


def claim_recourse(on: datetime.date) -> int:
    """Claim the buy-back from suppliers of financings with recourse unpaid after the recourse days."""
    candidates = FactoringFinancing.objects.filter(_past_due(on, "recourse_days"), state=State.OVERDUE,
                                                   with_recourse=True, advance_outstanding__gt=0)

    def claim(ids: list[int]) -> int:
        rows = [f for f in _locked(ids).filter(state=State.OVERDUE, with_recourse=True, advance_outstanding__gt=0)
                .select_related("facility", "supplier")
                if on > f.due_date + datetime.timedelta(days=f.facility.recourse_days) and f.lender_owed > 0]
        if not rows:
            return 0
        with audit_batch():
            for financing in rows:
                financing.claim_recourse(note=_("unpaid %(days)d days after the due date")
                                         % {"days": (on - financing.due_date).days})
            FactoringFinancing.objects.filter(pk__in=[f.pk for f in rows]).update(state=State.RECOURSE_CLAIMED)
        tasks.send_recourse_demands_chunk.delay_on_commit(financing_ids=[f.pk for f in rows])
        return len(rows)

    return in_chunks("factoring.recourse", candidates, claim)


# In the order they run: overdue marking before the day's penalty, the penalty before a claim.
DAILY_JOBS = {
    "reminded": send_maturity_reminders,
    "overdue": mark_overdue,
    "penalties": accrue_penalties,
    "recourse": claim_recourse,
}


def factoring_daily(on: datetime.date) -> dict[str, int]:
    """Run factoring's daily jobs alone, in order (`scf.core.jobs.run_daily` runs every product's)."""
    return {name: job(on) for name, job in DAILY_JOBS.items()}
