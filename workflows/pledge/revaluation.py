"""Revaluation: the lender's agreements valued again at once, in SQL, and the zone changes found (DESIGN §5).

An approved price (one, or a file of them) re-values every active agreement of the lender holding one of
its commodities; the daily job re-values every active agreement with the prices of the day, which marks
stale the valuations whose prices are older than the agreement's maximum age. The figures are exactly
those of `valuation.agreement_valuation` (and so of calculations.py) on the same day:

* the lender's latest approved price in the agreement's currency, effective on or before the day, the
  one approved last winning among prices of the same date;
* V = Σ round(quantity × price) half up per line, over the goods pledged now (quantity above 0); a line
  without an approved price is not valued (never at zero) and marks the valuation's price missing;
* E = max(0, principal outstanding − cash margin); LTV = E / V to 6 places half up (0 without exposure,
  empty when V = 0 and E > 0); the zone compares E with line × V exactly;
* stale: a price used is more than `price_max_age_days` days older than the day (`price_is_stale`).

The number of queries does not grow with the agreements: one statement computes every agreement's
figures (the latest price per commodity by a window, the lines' values aggregated per agreement) and
upserts them into `PledgeValuation`; a second reads the zone changes it recorded. On PostgreSQL the
arithmetic is the database's exact numeric. SQLite has no exact decimal type, so there the same
statement calls four functions registered on the connection, which use calculations.py itself.

The whole revaluation is one transaction with one audit record (on the `PledgeRevaluation` row); the
lender's row is locked first, so that two revaluations of the same lender follow one another and the
later one sees the prices the earlier one approved. The zone changes are handed to the registered
handlers inside the same transaction (margin calls and notices hook in there).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection
from django.utils import timezone

from scf.audit.services import audit_record, audited
from scf.parties.models import Organization, User

from . import calculations as calc
from .models import (
    Commodity,
    CommodityPrice,
    PledgeAgreement,
    PledgedItem,
    PledgeRevaluation,
    PledgeValuation,
    PriceBatch,
)

logger = logging.getLogger(__name__)

Trigger = PledgeRevaluation.Trigger


@dataclass(frozen=True)
class ZoneChange:
    """An agreement that entered another zone: `old_zone` is None for its first stored valuation."""

    agreement_id: int
    old_zone: str | None
    new_zone: str


@dataclass(frozen=True)
class RevaluationOutcome:
    """What a revaluation did: its row (None when no agreement was concerned), how many it valued, the changes."""

    revaluation: PledgeRevaluation | None
    agreements: int = 0
    changes: list[ZoneChange] = field(default_factory=list)


ZoneChangeHandler = Callable[[PledgeRevaluation, list[ZoneChange]], None]
_zone_change_handlers: list[ZoneChangeHandler] = []
_revaluation_handlers: list[ZoneChangeHandler] = []


def register_zone_change_handler(handler: ZoneChangeHandler) -> None:
    """Call `handler(revaluation, changes)` inside every revaluation's transaction that found zone changes."""
    if handler not in _zone_change_handlers:
        _zone_change_handlers.append(handler)


def register_revaluation_handler(handler: ZoneChangeHandler) -> None:
    """Call `handler(revaluation, changes)` inside every revaluation's transaction, with or without zone changes.

    The margin calls recompute their cure amount at every revaluation, a zone changed or not.
    """
    if handler not in _revaluation_handlers:
        _revaluation_handlers.append(handler)


# --- SQLite: exact decimal arithmetic through calculations.py -------------------------------------

def _dec(value, places: int) -> Decimal | None:
    """A number as SQLite hands it back (int, float or text) to the Decimal it was stored from."""
    if value is None:
        return None
    # repr() of a float is the shortest text that reads back as it: the stored decimal (≤ 15 digits).
    text = repr(value) if isinstance(value, float) else str(value)
    return Decimal(text).quantize(Decimal(1).scaleb(-places))


class _ValueAggregate:
    """V = Σ round(quantity × price) over the priced lines, as text."""

    def __init__(self) -> None:
        self.total = calc.ZERO_MONEY

    def step(self, quantity, price) -> None:
        if quantity is not None and price is not None:
            self.total += calc.line_value(_dec(quantity, 3), _dec(price, 6))

    def finalize(self) -> str:
        return str(self.total)


def _exposure(principal, margin) -> str:
    return str(calc.exposure(_dec(principal, 2), _dec(margin, 2)))


def _ltv(exposure, value) -> str | None:
    ratio = calc.ltv_display(_dec(exposure, 2), _dec(value, 2))
    return None if ratio is None else str(ratio)


def _zone(exposure, value, warning, call, liquidation) -> str:
    return calc.zone(_dec(exposure, 2), _dec(value, 2),
                     calc.Lines(warning=_dec(warning, 6), call=_dec(call, 6), liquidation=_dec(liquidation, 6)))


def _register_sqlite_functions() -> None:
    connection.ensure_connection()
    raw = connection.connection
    raw.create_aggregate("pledge_value", 2, _ValueAggregate)
    raw.create_function("pledge_exposure", 2, _exposure, deterministic=True)
    raw.create_function("pledge_ltv", 2, _ltv, deterministic=True)
    raw.create_function("pledge_zone", 5, _zone, deterministic=True)


# --- the statement --------------------------------------------------------------------------------

def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _id_filter(column: str, ids: list[int], pg: bool) -> tuple[str, list]:
    """`column` among `ids`: one array parameter on PostgreSQL (the statement's text does not grow), a list on SQLite."""
    if pg:
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN (" + ", ".join(["%s"] * len(ids)) + ")", list(ids)


def _pg_statement(*, lender_id: int, on: datetime.date, commodity_ids: list[int] | None, run_id: int,
                  at: datetime.datetime, agreement_ids: list[int] | None = None) -> tuple[str, list]:
    """PostgreSQL: one statement values the agreements, writes their stored valuations and answers the changes.

    The pledged lines are joined to the agreements and the day's prices once and aggregated per agreement
    in one GROUP BY (the agreement's own columns follow its key); the figures are kept in a CTE which an
    UPDATE … FROM writes over the stored rows (in place: no indexed column changes) and an INSERT adds for
    agreements never valued yet (those the UPDATE did not return). The statement answers one row per zone
    change (agreement, previous zone, zone), each with the number of agreements valued; one row with the
    number alone when no zone changed. "Holds one of the commodities" is a HAVING over the same lines,
    not a second scan of them.
    """
    ops = connection.ops
    day, stamp = ops.adapt_datefield_value(on), ops.adapt_datetimefield_value(at)
    agreements, items, prices, stored = (_table(PledgeAgreement), _table(PledgedItem), _table(CommodityPrice),
                                         _table(PledgeValuation))
    where, having, join = "a.lender_id = %s AND a.state = %s", "", "LEFT JOIN"
    where_params: list = [lender_id, PledgeAgreement.State.ACTIVE]
    if agreement_ids is not None:
        where += " AND a.id = ANY(%s)"
        where_params.append(list(agreement_ids))
    having_params: list = []
    if commodity_ids is not None:
        # An agreement holding one of them has lines: the inner join loses none of those concerned.
        join, having = "JOIN", " HAVING bool_or(i.commodity_id = ANY(%s))"
        having_params.append(list(commodity_ids))
    sql = (
        # The latest approved price of each commodity and currency on the day; of one date, the last approved.
        f"WITH price AS (SELECT commodity_id, currency, price, effective_date FROM ("
        f"SELECT p.commodity_id, p.currency, p.price, p.effective_date, ROW_NUMBER() OVER ("
        f"PARTITION BY p.commodity_id, p.currency ORDER BY p.effective_date DESC, p.decided_at DESC, p.id DESC) AS rn"
        f" FROM {prices} p WHERE p.lender_id = %s AND p.state = %s AND p.effective_date <= CAST(%s AS date)"
        f") ranked WHERE rn = 1),"
        # V per agreement: each line rounded half up, summed; a line without a price is not valued.
        f" val AS (SELECT a.id AS agreement_id, a.currency, a.warning_ltv AS w, a.call_ltv AS c,"
        f" a.liquidation_ltv AS l, a.price_max_age_days AS max_age,"
        f" GREATEST(a.principal_outstanding - a.cash_margin, 0) AS exposure,"
        f" COALESCE(SUM(ROUND(i.quantity * pr.price, 2)), 0) AS value,"
        f" COALESCE(bool_or(i.id IS NOT NULL AND pr.price IS NULL), false) AS missing,"
        f" MIN(pr.effective_date) AS oldest, MAX(pr.effective_date) AS newest"
        f" FROM {agreements} a {join} {items} i ON i.agreement_id = a.id AND i.status = %s AND i.quantity > 0"
        f" LEFT JOIN price pr ON pr.commodity_id = i.commodity_id AND pr.currency = a.currency"
        f" WHERE {where} GROUP BY a.id{having}),"
        # LTV half up to 6 places, exactly: floor((2·E·10⁶ + V) / 2V) / 10⁶; the zone compares E with line × V.
        # Stale: the oldest price used is more than the agreement's maximum age older than the day.
        f" fig AS MATERIALIZED (SELECT agreement_id, currency, value, exposure,"
        f" CASE WHEN exposure <= 0 THEN 0 WHEN value <= 0 THEN NULL"
        f" ELSE div(exposure * 2000000 + value, value * 2) / 1000000 END AS ltv,"
        f" CASE WHEN exposure <= 0 THEN 'normal' WHEN exposure >= l * value THEN 'liquidation'"
        f" WHEN exposure >= c * value THEN 'call' WHEN exposure >= w * value THEN 'warning' ELSE 'normal' END AS zone,"
        f" missing, COALESCE(oldest < CAST(%s AS date) - max_age, false) AS stale, oldest, newest FROM val),"
        f" upd AS (UPDATE {stored} s SET valued_on = CAST(%s AS date), currency = fig.currency, value = fig.value,"
        f" exposure = fig.exposure, ltv = fig.ltv,"
        f" previous_zone = CASE WHEN s.zone <> fig.zone THEN s.zone ELSE s.previous_zone END,"
        f" zone_changed_in_id = CASE WHEN s.zone <> fig.zone THEN %s ELSE s.zone_changed_in_id END,"
        f" zone = fig.zone, stale = fig.stale, missing_price = fig.missing, oldest_price_date = fig.oldest,"
        f" newest_price_date = fig.newest, revaluation_id = %s, revalued_at = %s"
        f" FROM fig WHERE s.agreement_id = fig.agreement_id"
        f" RETURNING s.agreement_id, s.previous_zone, s.zone, s.zone_changed_in_id),"
        f" ins AS (INSERT INTO {stored} (agreement_id, valued_on, currency, value, exposure, ltv, zone, previous_zone,"
        f" stale, missing_price, oldest_price_date, newest_price_date, revaluation_id, zone_changed_in_id, revalued_at)"
        f" SELECT fig.agreement_id, CAST(%s AS date), fig.currency, fig.value, fig.exposure, fig.ltv, fig.zone, '',"
        f" fig.stale, fig.missing, fig.oldest, fig.newest, %s, CASE WHEN fig.zone <> 'normal' THEN %s END, %s"
        f" FROM fig WHERE fig.agreement_id NOT IN (SELECT agreement_id FROM upd)"
        f" RETURNING agreement_id, previous_zone, zone, zone_changed_in_id),"
        f" done AS (SELECT * FROM upd UNION ALL SELECT * FROM ins)"
        f" SELECT t.valued, c.agreement_id, c.previous_zone, c.zone FROM (SELECT COUNT(*) AS valued FROM done) t"
        f" LEFT JOIN (SELECT * FROM done WHERE zone_changed_in_id = %s) c ON true ORDER BY c.agreement_id")
    params = [lender_id, CommodityPrice.State.APPROVED, day, PledgedItem.Status.PLEDGED, *where_params,
              *having_params, day, day, run_id, run_id, stamp, day, run_id, run_id, stamp, run_id]
    return sql, params


def _upsert_statement(*, lender_id: int, on: datetime.date, commodity_ids: list[int] | None, run_id: int,
                      at: datetime.datetime, agreement_ids: list[int] | None = None) -> tuple[str, list]:
    """Return the one statement that values the agreements and upserts their stored valuations, and its params.

    On PostgreSQL it is `_pg_statement`, which also answers the zone changes; SQLite upserts here and the
    changes are read after it.
    """
    pg = connection.vendor == "postgresql"
    if pg:
        return _pg_statement(lender_id=lender_id, on=on, commodity_ids=commodity_ids, run_id=run_id, at=at,
                             agreement_ids=agreement_ids)
    ops = connection.ops
    day = ops.adapt_datefield_value(on)
    stamp = ops.adapt_datetimefield_value(at)
    params: list = []
    agreements, items, prices, stored = (_table(PledgeAgreement), _table(PledgedItem), _table(CommodityPrice),
                                         _table(PledgeValuation))
    date_param = "CAST(%s AS date)" if pg else "%s"
    if pg:
        exposure = "GREATEST(a.principal_outstanding - a.cash_margin, 0)"
        value = "COALESCE(SUM(ROUND(i.quantity * pr.price, 2)), 0)"
        stale = f"pr.effective_date < {date_param} - agr.max_age"
        # round half up to 6 places, exactly: floor((2·E·10⁶ + V) / 2V) / 10⁶
        ltv = ("CASE WHEN agr.exposure <= 0 THEN 0 WHEN val.value <= 0 THEN NULL "
               "ELSE div(agr.exposure * 2000000 + val.value, val.value * 2) / 1000000 END")
        zone = ("CASE WHEN agr.exposure <= 0 THEN 'normal' "
                "WHEN agr.exposure >= agr.l * val.value THEN 'liquidation' "
                "WHEN agr.exposure >= agr.c * val.value THEN 'call' "
                "WHEN agr.exposure >= agr.w * val.value THEN 'warning' ELSE 'normal' END")
    else:
        exposure = "pledge_exposure(a.principal_outstanding, a.cash_margin)"
        value = "pledge_value(i.quantity, pr.price)"
        stale = f"julianday({date_param}) - julianday(pr.effective_date) > agr.max_age"
        ltv = "pledge_ltv(agr.exposure, val.value)"
        zone = "pledge_zone(agr.exposure, val.value, agr.w, agr.c, agr.l)"

    holding = ""
    params += [lender_id, PledgeAgreement.State.ACTIVE]
    if agreement_ids is not None:
        among, ids_params = _id_filter("a.id", agreement_ids, pg)
        holding += f" AND {among}"
        params += ids_params
    if commodity_ids is not None:
        among, ids_params = _id_filter("h.commodity_id", commodity_ids, pg)
        holding += (f" AND EXISTS (SELECT 1 FROM {items} h WHERE h.agreement_id = a.id AND h.status = %s"
                    f" AND h.quantity > 0 AND {among})")
        params += [PledgedItem.Status.PLEDGED, *ids_params]
    sql = [
        f"WITH agr AS (SELECT a.id, a.currency, a.price_max_age_days AS max_age, a.warning_ltv AS w,"
        f" a.call_ltv AS c, a.liquidation_ltv AS l, {exposure} AS exposure"
        f" FROM {agreements} a WHERE a.lender_id = %s AND a.state = %s{holding}),",
    ]
    # The latest approved price of each commodity and currency on the day; of one date, the last approved.
    sql.append(
        f" price AS (SELECT commodity_id, currency, price, effective_date FROM ("
        f"SELECT p.commodity_id, p.currency, p.price, p.effective_date, ROW_NUMBER() OVER ("
        f"PARTITION BY p.commodity_id, p.currency ORDER BY p.effective_date DESC, p.decided_at DESC, p.id DESC) AS rn"
        f" FROM {prices} p WHERE p.lender_id = %s AND p.state = %s AND p.effective_date <= {date_param}"
        f") ranked WHERE rn = 1),")
    params += [lender_id, CommodityPrice.State.APPROVED, day]
    sql.append(
        f" val AS (SELECT agr.id AS agreement_id, {value} AS value,"
        f" MAX(CASE WHEN i.id IS NOT NULL AND pr.price IS NULL THEN 1 ELSE 0 END) AS missing,"
        f" MAX(CASE WHEN pr.price IS NOT NULL AND {stale} THEN 1 ELSE 0 END) AS stale,"
        f" MIN(pr.effective_date) AS oldest, MAX(pr.effective_date) AS newest"
        f" FROM agr LEFT JOIN {items} i ON i.agreement_id = agr.id AND i.status = %s AND i.quantity > 0"
        f" LEFT JOIN price pr ON pr.commodity_id = i.commodity_id AND pr.currency = agr.currency"
        f" GROUP BY agr.id),")
    params += [day, PledgedItem.Status.PLEDGED]
    sql.append(
        f" fig AS (SELECT agr.id AS agreement_id, agr.currency, val.value, agr.exposure, {ltv} AS ltv,"
        f" {zone} AS zone, val.missing, val.stale, val.oldest, val.newest"
        f" FROM agr JOIN val ON val.agreement_id = agr.id)")
    sql.append(
        f" INSERT INTO {stored} (agreement_id, valued_on, currency, value, exposure, ltv, zone, previous_zone,"
        f" stale, missing_price, oldest_price_date, newest_price_date, revaluation_id, zone_changed_in_id,"
        f" revalued_at)"
        f" SELECT fig.agreement_id, {date_param}, fig.currency, fig.value, fig.exposure, fig.ltv, fig.zone, '',"
        f" fig.stale = 1, fig.missing = 1, fig.oldest, fig.newest, %s,"
        f" CASE WHEN fig.zone <> 'normal' THEN %s END, %s FROM fig WHERE 1 = 1"
        # WHERE 1 = 1: SQLite would read ON CONFLICT as a join's ON without it.
        f" ON CONFLICT (agreement_id) DO UPDATE SET valued_on = excluded.valued_on,"
        f" currency = excluded.currency, value = excluded.value, exposure = excluded.exposure,"
        f" ltv = excluded.ltv,"
        f" previous_zone = CASE WHEN {stored}.zone <> excluded.zone THEN {stored}.zone"
        f" ELSE {stored}.previous_zone END,"
        f" zone_changed_in_id = CASE WHEN {stored}.zone <> excluded.zone THEN excluded.revaluation_id"
        f" ELSE {stored}.zone_changed_in_id END,"
        f" zone = excluded.zone, stale = excluded.stale, missing_price = excluded.missing_price,"
        f" oldest_price_date = excluded.oldest_price_date, newest_price_date = excluded.newest_price_date,"
        f" revaluation_id = excluded.revaluation_id, revalued_at = excluded.revalued_at")
    params += [day, run_id, run_id, stamp]
    return "".join(sql), params


def _trigger(batch: PriceBatch | None, price: CommodityPrice | None, trigger: str | None) -> str:
    if trigger:
        return trigger
    if batch is not None:
        return Trigger.PRICE_FILE
    return Trigger.PRICE if price is not None else Trigger.MANUAL


@audited
def revalue_agreements(*, lender: Organization, commodities: Iterable[Commodity | int] | None = None,
                       on: datetime.date, acting_user: User | None, batch: PriceBatch | None = None,
                       price: CommodityPrice | None = None, trigger: str | None = None,
                       agreements: Iterable[PledgeAgreement | int] | None = None) -> RevaluationOutcome:
    """Re-value the lender's active agreements (those holding one of `commodities`, or all) on `on`.

    `agreements` narrows it to those agreements (of the lender): the same statement values one as it
    values a hundred thousand, so that a drawdown, a repayment or a stock count stores the same figures.

    Store each one's V, E, LTV, zone, stale and missing flags and the dates of the prices used; record
    one revaluation with one audit record; return the zone changes found, which the registered handlers
    also receive in this transaction. Nothing is written when no agreement is concerned.
    """
    commodity_ids = None if commodities is None else sorted(
        {c if isinstance(c, int) else c.pk for c in commodities})
    agreement_ids = None if agreements is None else sorted(
        {a if isinstance(a, int) else a.pk for a in agreements})
    # FOR NO KEY UPDATE: revaluations of the lender (and its price files) wait for one another, while rows
    # that merely refer to the lender are still written meanwhile.
    Organization.objects.select_for_update(no_key=True).filter(pk=lender.pk).first()
    concerned = PledgeAgreement.objects.filter(lender=lender, state=PledgeAgreement.State.ACTIVE)
    if agreement_ids is not None:
        concerned = concerned.filter(pk__in=agreement_ids)
    if commodity_ids is not None:
        concerned = concerned.filter(pk__in=PledgedItem.objects.filter(
            status=PledgedItem.Status.PLEDGED, quantity__gt=0, commodity_id__in=commodity_ids).values("agreement_id"))
    if commodity_ids == [] or agreement_ids == [] or not concerned.exists():
        return RevaluationOutcome(revaluation=None)
    at = timezone.now()
    run = PledgeRevaluation.objects.create(
        lender=lender, valued_on=on, trigger=_trigger(batch, price, trigger), price_batch=batch, price=price,
        run_by=acting_user if getattr(acting_user, "is_authenticated", False) else None, run_at=at)
    if connection.vendor == "sqlite":
        _register_sqlite_functions()
    sql, params = _upsert_statement(lender_id=lender.pk, on=on, commodity_ids=commodity_ids, run_id=run.pk, at=at,
                                    agreement_ids=agreement_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The aggregate per agreement and the joins fit in memory for this transaction instead of spilling.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            valued = rows[0][0]
            changed = [row[1:] for row in rows if row[1] is not None]
        else:
            cursor.execute(sql, params)
            valued = cursor.rowcount
    if connection.vendor != "postgresql":
        if valued < 0:  # Python's sqlite3 does not count the rows of a statement that starts with WITH
            valued = PledgeValuation.objects.filter(revaluation=run).count()
        changed = list(PledgeValuation.objects.filter(zone_changed_in=run).order_by("agreement_id")
                       .values_list("agreement_id", "previous_zone", "zone"))
    changes = [ZoneChange(agreement_id=agreement_id, old_zone=previous or None, new_zone=zone)
               for agreement_id, previous, zone in changed]
    run.agreements, run.zone_changes = valued, len(changes)
    run.save(update_fields=["agreements", "zone_changes"])
    audit_record(actor=acting_user, action="pledge.revaluation.revalue", target=run,
                 note=f"{valued} agreements on {on.isoformat()}, {len(changes)} zone changes")
    if changes:
        for handler in _zone_change_handlers:
            handler(run, changes)
    for handler in _revaluation_handlers:
        handler(run, changes)
    return RevaluationOutcome(revaluation=run, agreements=valued, changes=changes)


def revalue_after_price_batch(*, batch: PriceBatch, acting_user: User) -> RevaluationOutcome:
    """Re-value the agreements holding a commodity of the approved file, on today's date."""
    commodity_ids = list(batch.prices.filter(state=CommodityPrice.State.APPROVED)
                         .values_list("commodity_id", flat=True).distinct())
    return revalue_agreements(lender=batch.lender, commodities=commodity_ids, on=timezone.localdate(),
                              acting_user=acting_user, batch=batch)


def revalue_after_price(*, price: CommodityPrice, acting_user: User) -> RevaluationOutcome:
    """Re-value the agreements holding the approved price's commodity, on today's date."""
    return revalue_agreements(lender=price.lender, commodities=[price.commodity_id], on=timezone.localdate(),
                              acting_user=acting_user, price=price)


def revalue_agreement(*, agreement: PledgeAgreement | int | Iterable[PledgeAgreement | int], trigger: str,
                      acting_user: User | None = None, on: datetime.date | None = None) -> list[RevaluationOutcome]:
    """Re-value one agreement (or a list) after a change of its exposure or goods, in the caller's transaction.

    Called by the drawdown's disbursement, a repayment, an executed release, an effective intake and a
    stock count (DESIGN §5: re-evaluated on every such event), so that the stored valuation follows the
    books at once. The agreements' balances and goods are saved before. One revaluation per lender,
    through the same set-based statement as a price approval; an agreement no longer active is left
    as it is. Returns the outcomes, one per lender concerned.
    """
    many = [agreement] if isinstance(agreement, (PledgeAgreement, int)) else list(agreement)
    ids = sorted({a if isinstance(a, int) else a.pk for a in many})
    by_lender: dict[int, list[int]] = {}
    for pk, lender_id in PledgeAgreement.objects.filter(pk__in=ids).values_list("pk", "lender_id"):
        by_lender.setdefault(lender_id, []).append(pk)
    on = on or timezone.localdate()
    return [revalue_agreements(lender=lender, agreements=by_lender[lender.pk], on=on, acting_user=acting_user,
                               trigger=trigger)
            for lender in Organization.objects.filter(pk__in=by_lender).order_by("pk")]


def revalue_daily(on: datetime.date) -> int:
    """The daily job: every lender's active agreements re-valued with the prices of the day, once a day.

    A lender already re-valued for the day by the daily job is skipped (the constraint on
    `PledgeRevaluation` holds it under concurrency too), so that a second run changes nothing.
    Returns how many agreements were re-valued.
    """
    lender_ids = sorted(set(PledgeAgreement.objects.filter(state=PledgeAgreement.State.ACTIVE)
                            .values_list("lender_id", flat=True)))
    done = set(PledgeRevaluation.objects.filter(trigger=Trigger.DAILY, valued_on=on, lender_id__in=lender_ids)
               .values_list("lender_id", flat=True))
    total = 0
    for lender in Organization.objects.filter(pk__in=set(lender_ids) - done).order_by("pk"):
        try:
            outcome = revalue_agreements(lender=lender, on=on, acting_user=None, trigger=Trigger.DAILY)
        except IntegrityError:
            logger.info("The daily revaluation of %s for %s ran concurrently; skipped.", lender.pk, on)
            continue
        total += outcome.agreements
    return total
