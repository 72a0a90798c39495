"""Margin calls (跌价补偿) and warning notices, opened and followed by the revaluations (DESIGN §5).

Every revaluation hands its run and its zone changes to `on_revaluation`, inside its transaction:

* an agreement that entered the call or liquidation zone without an open call gets one (issued), with
  K = E − V × r rounded up to 0.01 from its stored valuation, and a deadline `cure_days` business days
  (Chinese calendar) after the valuation day; the default work acts on liquidation;
* an agreement that entered the warning zone gets a warning notice (no obligation);
* every open call of an agreement valued in the run has K recomputed from the stored valuation: LTV
  below the call line cures it (`PledgeMarginCall.cure`); a lower K with the LTV still at or above the
  line makes it partly met (`meet_partly`); a higher K is written as it is, the state unchanged.

All of it is set-based, a fixed number of statements whatever the number of agreements: one INSERT …
SELECT opens the calls from the stored valuations, one records the warning notices, one UPDATE … FROM
follows the open calls. The state is written in SQL with the values and from the sources of the
transitions above (issued or partly met → cured | partly met). The run gets one audit record summing
up what it did to the calls and notices (each call keeps its opening run and its last revaluation).
On PostgreSQL the arithmetic is the database's exact numeric; on SQLite the statements call functions
registered on the connection, which use calculations.py itself. The notices are rendered and mailed
after commit by Celery tasks, `CHUNK` calls a task.

The pledgor cures with a cash margin (`margin_call_pay_cash`), a repayment (the drawdown repayment
service) or more goods (the collateral intake confirmed by the warehouse): each is followed by a
revaluation of that agreement alone, which moves the call. The daily job `margin_calls_expire` closes
the calls past their deadline.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.collections.permissions import require_receipts_staff
from scf.core.sequences import sequence_next_block
from scf.money import add_business_days
from scf.parties.models import User

from . import calculations as calc
from .exceptions import MarginCallClosed
from .models import (
    PledgeAgreement,
    PledgeCashMargin,
    PledgeMarginCall,
    PledgeRevaluation,
    PledgeValuation,
    PledgeWarningNotice,
)

#: The calls (or notices) one Celery task renders and mails.
CHUNK = 200

OPENING_ZONES = (calc.Zone.CALL, calc.Zone.LIQUIDATION)

#: The margin calls' references run per year: PMC-2026-00001.
CALL_SEQUENCE = "pledge.margin_call"

State = PledgeMarginCall.State


def _lines(agreement: PledgeAgreement) -> calc.Lines:
    return calc.Lines(warning=agreement.warning_ltv, call=agreement.call_ltv, liquidation=agreement.liquidation_ltv)


def call_cure_amount(valuation: PledgeValuation, agreement: PledgeAgreement) -> Decimal:
    """K = E − V × r rounded up to 0.01 from the stored valuation (0.00 below the call line)."""
    return calc.cure_amount(valuation.exposure, valuation.value, agreement.pledge_rate, _lines(agreement))


# --- SQLite: exact decimal arithmetic through calculations.py -------------------------------------

def _sqlite_dec(value, places: int) -> Decimal:
    from .revaluation import _dec

    return _dec(value, places)


def _sqlite_cure(exposure, value, rate, call_line) -> str:
    return str(calc.cure_amount(_sqlite_dec(exposure, 2), _sqlite_dec(value, 2), _sqlite_dec(rate, 6),
                                calc.Lines(call=_sqlite_dec(call_line, 6))))


def _sqlite_follow(exposure, value, rate, call_line, current) -> str:
    e, v = _sqlite_dec(exposure, 2), _sqlite_dec(value, 2)
    lines = calc.Lines(call=_sqlite_dec(call_line, 6))
    return _action(calc.is_margin_call(e, v, lines), calc.cure_amount(e, v, _sqlite_dec(rate, 6), lines),
                   _sqlite_dec(current, 2))


def _action(still_called: bool, k: Decimal, current: Decimal) -> str:
    """What a revaluation does to an open call: 'cure', 'partly' (K lower), 'raise' (K higher) or '' (nothing)."""
    if not still_called:
        return "cure"
    if k < current:
        return "partly"
    return "raise" if k != current else ""


def _register_sqlite_functions() -> None:
    connection.ensure_connection()
    raw = connection.connection
    raw.create_function("pledge_cure", 4, _sqlite_cure, deterministic=True)
    raw.create_function("pledge_follow", 5, _sqlite_follow, deterministic=True)


def _sql_parts(pg: bool) -> tuple[str, str]:
    """The SQL of K and of the action on an open call `m`, from the stored valuation `v` and the agreement `a`."""
    if not pg:
        return ("pledge_cure(v.exposure, v.value, a.pledge_rate, a.call_ltv)",
                "pledge_follow(v.exposure, v.value, a.pledge_rate, a.call_ltv, m.cure_amount)")
    called = "(v.exposure > 0 AND v.exposure >= a.call_ltv * v.value)"
    k = f"(CASE WHEN {called} THEN GREATEST(0, CEIL((v.exposure - v.value * a.pledge_rate) * 100) / 100) ELSE 0 END)"
    action = (f"CASE WHEN NOT {called} THEN 'cure' WHEN {k} < m.cure_amount THEN 'partly'"
              f" WHEN {k} <> m.cure_amount THEN 'raise' ELSE '' END")
    return k, action


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _follow_open_calls(run: PledgeRevaluation, now: datetime.datetime) -> dict[str, int]:
    """Recompute K of the open calls of the agreements valued in `run`; cure or mark partly met. Two statements.

    Returns how many calls each action moved ({'cure': n, 'partly': n, 'raise': n}).
    """
    pg = connection.vendor == "postgresql"
    k, action = _sql_parts(pg)
    calls, stored, agreements = _table(PledgeMarginCall), _table(PledgeValuation), _table(PledgeAgreement)
    following = (f"SELECT m.id, {k} AS k, {action} AS action FROM {calls} m"
                 f" JOIN {stored} v ON v.agreement_id = m.agreement_id JOIN {agreements} a ON a.id = m.agreement_id"
                 f" WHERE v.revaluation_id = %s AND m.state IN (%s, %s)")
    params = [run.pk, State.ISSUED, State.PARTLY_MET]
    # The transitions cure and meet_partly, in SQL: from issued or partly met (the WHERE above) to
    # cured (K 0.00, closed now) or partly met (the lower K); a higher K keeps the state.
    update = (f" UPDATE {calls} SET"
              f" state = CASE f.action WHEN 'cure' THEN %s WHEN 'partly' THEN %s ELSE {calls}.state END,"
              f" cure_amount = CASE WHEN f.action = 'cure' THEN 0 ELSE f.k END,"
              f" closed_at = CASE WHEN f.action = 'cure' THEN %s ELSE {calls}.closed_at END,"
              f" last_revaluation_id = %s FROM f WHERE {calls}.id = f.id AND f.action <> ''")
    update_params = [State.CURED, State.PARTLY_MET, connection.ops.adapt_datetimefield_value(now), run.pk]
    with connection.cursor() as cursor:
        if pg:
            # One statement: the update answers the action of each call it moved, counted here.
            cursor.execute(f"WITH f AS ({following}), moved AS ({update} RETURNING f.action)"
                           f" SELECT action, COUNT(*) FROM moved GROUP BY action", [*params, *update_params])
            return dict(cursor.fetchall())
        cursor.execute(f"SELECT f.action, COUNT(*) FROM ({following}) f WHERE f.action <> '' GROUP BY f.action",
                       params)
        counts = dict(cursor.fetchall())
        if not counts:
            return {}
        cursor.execute(f"WITH f AS ({following}){update}", [*params, *update_params])
    return counts


def _open_calls(run: PledgeRevaluation, now: datetime.datetime) -> list[int]:
    """Open a call for each agreement that entered the call or liquidation zone in `run` without one open.

    One read of the cure periods in use (the deadlines come from the Chinese calendar, once per period),
    one INSERT … SELECT, one read of the ids opened.
    """
    pg = connection.vendor == "postgresql"
    ops = connection.ops
    k, _action_sql = _sql_parts(pg)
    calls, stored, agreements = _table(PledgeMarginCall), _table(PledgeValuation), _table(PledgeAgreement)
    entering = (f" FROM {stored} v JOIN {agreements} a ON a.id = v.agreement_id"
                f" WHERE v.zone_changed_in_id = %s AND v.zone IN (%s, %s) AND v.previous_zone NOT IN (%s, %s)"
                f" AND NOT EXISTS (SELECT 1 FROM {calls} o WHERE o.agreement_id = v.agreement_id"
                f" AND o.state IN (%s, %s))")
    entering_params = [run.pk, *OPENING_ZONES, *OPENING_ZONES, State.ISSUED, State.PARTLY_MET]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a.cure_days, COUNT(*){entering} GROUP BY a.cure_days", entering_params)
        by_period = dict(cursor.fetchall())
        if not by_period:
            return []
        periods = sorted(by_period)
        # References numbered per year (PMC-2026-00001), in the order of the agreements: one block of numbers.
        year = run.valued_on.year
        first = sequence_next_block(CALL_SEQUENCE, year, sum(by_period.values()))
        number = f"({first} - 1 + ROW_NUMBER() OVER (ORDER BY v.agreement_id))"
        padded = (f"CASE WHEN {number} >= 100000 THEN CAST({number} AS text)"
                  f" ELSE lpad(CAST({number} AS text), 5, '0') END" if pg else f"printf('%%05d', {number})")
        date_param = "CAST(%s AS date)" if pg else "%s"
        deadline = ("CASE a.cure_days " + " ".join([f"WHEN %s THEN {date_param}"] * len(periods)) + " END")
        deadline_params = [x for days in periods
                           for x in (days, ops.adapt_datefield_value(add_business_days(run.valued_on, days)))]
        cursor.execute(
            f"INSERT INTO {calls} (agreement_id, reference, state, opened_by_id, last_revaluation_id, opened_on,"
            f" deadline, currency, value_at_opening, exposure_at_opening, ltv_at_opening, call_line,"
            f" amount_at_opening, cure_amount, closed_at, created_at)"
            f" SELECT v.agreement_id, CAST(%s AS text) || {padded}, %s, %s, %s, {date_param}, {deadline},"
            f" v.currency, v.value, v.exposure, v.ltv, a.call_ltv, {k}, {k}, NULL, %s{entering}"
            + (" RETURNING id" if pg else ""),
            [f"PMC-{year}-", State.ISSUED, run.pk, run.pk, ops.adapt_datefield_value(run.valued_on),
             *deadline_params, ops.adapt_datetimefield_value(now), *entering_params])
        if cursor.rowcount != sum(by_period.values()):  # the numbers must run without gaps
            raise RuntimeError("the margin calls opened differ from those counted under the same lock")
        if pg:
            return sorted(row[0] for row in cursor.fetchall())
    return list(PledgeMarginCall.objects.filter(opened_by=run).order_by("pk").values_list("pk", flat=True))


def _warning_notices(run: PledgeRevaluation, now: datetime.datetime) -> list[int]:
    """Record a warning notice for each agreement that entered the warning zone in `run`: one insert, one read."""
    pg = connection.vendor == "postgresql"
    ops = connection.ops
    date_param = "CAST(%s AS date)" if pg else "%s"
    notices, stored, agreements = _table(PledgeWarningNotice), _table(PledgeValuation), _table(PledgeAgreement)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {notices} (agreement_id, reference, revaluation_id, issued_on, currency, value, exposure,"
            f" ltv, warning_line, created_at)"
            f" SELECT v.agreement_id, CAST(%s AS text) || CAST(v.agreement_id AS text), %s, {date_param}, v.currency, v.value,"
            f" v.exposure, v.ltv, a.warning_ltv, %s"
            f" FROM {stored} v JOIN {agreements} a ON a.id = v.agreement_id"
            f" WHERE v.zone_changed_in_id = %s AND v.zone = %s" + (" RETURNING id" if pg else ""),
            [f"PWN-{run.pk}-", run.pk, ops.adapt_datefield_value(run.valued_on), ops.adapt_datetimefield_value(now),
             run.pk, calc.Zone.WARNING])
        if cursor.rowcount == 0:
            return []
        if pg:
            return sorted(row[0] for row in cursor.fetchall())
    return list(PledgeWarningNotice.objects.filter(revaluation=run).order_by("pk").values_list("pk", flat=True))


def on_revaluation(run: PledgeRevaluation, changes) -> None:
    """The revaluation handler: follow the open calls, open calls, record warning notices; mail after commit.

    The work reads the zone changes the run stored (`changes` are the same, handed to every handler).
    """
    if connection.vendor == "sqlite":
        _register_sqlite_functions()
    now = timezone.now()
    # The open calls first, so that a call opened now is not followed in the same run.
    followed = _follow_open_calls(run, now)
    opened = _open_calls(run, now) if changes else []
    notices = _warning_notices(run, now) if changes else []
    if followed or opened or notices:
        audit_record(
            action="pledge.revaluation.margin_calls", target=run, actor=run.run_by,
            note=(f"margin calls opened {len(opened)}, cured {followed.get('cure', 0)}, partly met "
                  f"{followed.get('partly', 0)}, cure amount raised {followed.get('raise', 0)}; "
                  f"warning notices {len(notices)}"))
    _notify_after_commit(opened, notices)


def _write_states(calls: list[PledgeMarginCall]) -> None:
    """Write the calls' state, K, closing time and last revaluation back in one statement.

    On PostgreSQL one UPDATE joins the rows to arrays of the new values (Django's bulk_update builds a CASE
    per field whose cost grows with the square of the rows: minutes for ten thousand calls).
    """
    if not calls:
        return
    if connection.vendor != "postgresql":
        PledgeMarginCall.objects.bulk_update(calls, ["state", "cure_amount", "closed_at", "last_revaluation"],
                                             batch_size=500)
        return
    table = connection.ops.quote_name(PledgeMarginCall._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET state = v.state, cure_amount = v.cure_amount, closed_at = v.closed_at,"
            f" last_revaluation_id = v.last_revaluation_id"
            f" FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[], %s::timestamptz[], %s::bigint[])"
            f" AS v(id, state, cure_amount, closed_at, last_revaluation_id) WHERE t.id = v.id",
            [[c.pk for c in calls], [c.state for c in calls], [c.cure_amount for c in calls],
             [c.closed_at for c in calls], [c.last_revaluation_id for c in calls]])


def _notify_after_commit(call_ids: list[int], notice_ids: list[int]) -> None:
    from . import tasks

    def send() -> None:
        for start in range(0, len(call_ids), CHUNK):
            tasks.issue_margin_call_notices.delay(call_ids=call_ids[start:start + CHUNK])
        for start in range(0, len(notice_ids), CHUNK):
            tasks.issue_warning_notices.delay(notice_ids=notice_ids[start:start + CHUNK])

    if call_ids or notice_ids:
        transaction.on_commit(send)


# --- the cures -----------------------------------------------------------------------------------

def _lock_call(call: PledgeMarginCall) -> PledgeMarginCall:
    return PledgeMarginCall.objects.select_for_update().select_related("agreement").get(pk=call.pk)


def require_open(call: PledgeMarginCall) -> None:
    """Refuse a cure of a call that is no longer open (409 pledge_margin_call_closed)."""
    if call.state not in PledgeMarginCall.OPEN:
        raise MarginCallClosed(_("Margin call %(ref)s is %(state)s: it can no longer be cured.")
                               % {"ref": call.reference, "state": call.get_state_display()})


def agreement_revalue(agreement: PledgeAgreement, *, acting_user: User | None, on: datetime.date | None = None):
    """Re-value one agreement (after a cure), which moves its open call."""
    from .revaluation import Trigger, revalue_agreement

    return revalue_agreement(agreement=agreement.pk, trigger=Trigger.MANUAL, acting_user=acting_user, on=on)


@audited
def margin_call_pay_cash(*, call: PledgeMarginCall, amount: Decimal, bank_reference: str,
                         received_on: datetime.date, acting_user: User) -> PledgeMarginCall:
    """Record a cash margin paid against the call: the agreement's cash margin held rises, then it is re-valued.

    Refused on a closed call (409); the amount must be positive and the bank reference new for the agreement.
    """
    call = _lock_call(call)
    require_open(call)
    require_receipts_staff(acting_user, lender=call.agreement.lender, action=_("record a cash margin"))
    bank_reference = (bank_reference or "").strip()
    errors = {}
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("Enter an amount greater than zero, to 0.01.")
    if not bank_reference:
        errors["bank_reference"] = _("Enter the bank reference of the payment.")
    elif PledgeCashMargin.objects.filter(agreement_id=call.agreement_id, bank_reference=bank_reference).exists():
        errors["bank_reference"] = _("A cash margin with this bank reference is already recorded.")
    if errors:
        raise ValidationError(errors)
    agreement = PledgeAgreement.objects.select_for_update().get(pk=call.agreement_id)
    PledgeCashMargin.objects.create(agreement=agreement, margin_call=call, amount=amount, currency=agreement.currency,
                                    bank_reference=bank_reference, received_on=received_on, recorded_by=acting_user)
    agreement.cash_margin += amount
    agreement.save(update_fields=["cash_margin"])
    audit_record(action="pledge.pledgeagreement.margin_received", target=agreement, actor=acting_user,
                 note=f"{call.reference}: {agreement.currency} {amount} ({bank_reference})")
    agreement_revalue(agreement, acting_user=acting_user)
    call.refresh_from_db()
    return call


# --- expiry ------------------------------------------------------------------------------------

@audited
def margin_calls_expire(on: datetime.date) -> list[PledgeMarginCall]:
    """Close as expired the open calls whose deadline passed before `on`; return them (the default work's hook).

    Idempotent: an expired call is no longer open, so a second run on the same day expires nothing.
    """
    calls = list(PledgeMarginCall.objects.select_for_update()
                 .filter(state__in=PledgeMarginCall.OPEN, deadline__lt=on).order_by("pk"))
    now = timezone.now()
    for call in calls:
        call.expire(at=now, note=f"deadline {call.deadline} passed, K {call.cure_amount}")
    _write_states(calls)
    return calls


@audited
def margin_calls_expire_daily(on: datetime.date) -> int:
    """The daily job: the calls past their deadline expire and put their agreements in default; returns how many.

    DESIGN §5: a call not cured by its deadline is a default (facility frozen, a disposal opened). The
    default is idempotent, so an agreement already in default (it reached the liquidation line) keeps
    its disposal; the expired call is marked as having led to the default.
    """
    from .disposals import agreement_default

    expired = margin_calls_expire(on)
    for call in PledgeMarginCall.objects.select_for_update().filter(
            pk__in=[c.pk for c in expired]).select_related("agreement").order_by("pk"):
        agreement = call.agreement
        if agreement.state in (PledgeAgreement.State.ACTIVE, PledgeAgreement.State.DEFAULTED):
            reason = _("Margin call %(call)s not cured by its deadline %(deadline)s.") % {
                "call": call.reference, "deadline": call.deadline.isoformat()}
            agreement_default(agreement=agreement, reason=reason, on=on)
            call.declare_default(note=reason)
            call.save(update_fields=["state"])
    return len(expired)


# --- the three ways to cure -------------------------------------------------------------------

def cure_goods(call: PledgeMarginCall, on: datetime.date | None = None) -> list[dict]:
    """For each commodity pledged under the agreement, the extra quantity that cures alone: K / (price × r), up.

    The price is the one the valuation uses (latest approved on the day); a commodity without one is left out.
    """
    from .valuation import agreement_valuation

    agreement = call.agreement
    valuation = agreement_valuation(agreement, on or call.last_revaluation.valued_on)
    seen: dict[int, dict] = {}
    for line in valuation.lines:
        if line.price is None or line.commodity.pk in seen:
            continue
        commodity = line.commodity
        seen[commodity.pk] = {
            "commodity": commodity, "price": line.price,
            "quantity": calc.cure_quantity(call.cure_amount, line.price, agreement.pledge_rate,
                                           commodity.quantity_precision)}
    return list(seen.values())
