"""The dashboards' charts: the figures of dashboard.py placed by scf.core.charts, with their titles.

One chart per currency where amounts are charted (amounts of two currencies are never drawn on
one scale). Labels are translated and dates formatted for the reader's language here; amounts are
formatted (grouped) by the template.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from scf.core import charts

from .dashboard import ClientDashboard, StaffDashboard


def _week_label(bucket) -> str:
    if bucket.start == bucket.end:
        return date_format(bucket.start, "MONTH_DAY_FORMAT")
    return f"{date_format(bucket.start, 'MONTH_DAY_FORMAT')}–{date_format(bucket.end, 'MONTH_DAY_FORMAT')}"


def _chart(chart: dict, *, slug: str, title: str, money: bool = True) -> dict:
    return {**chart, "id": slug, "title": title, "money": money}


def maturity_charts(maturities: dict) -> list[dict]:
    return [_chart(charts.columns([_week_label(w) for w in weeks],
                                  [charts.Series("after", _("Falling due"), [w.amount for w in weeks])],
                                  axis_labels=[date_format(w.start, "n/j") for w in weeks]),
                   slug=f"maturities-{currency}",
                   title=_("Falling due in the next 30 days by week (%(currency)s)") % {"currency": currency})
            for currency, weeks in maturities.items()]


def ageing_charts(ageing: dict) -> list[dict]:
    return [_chart(charts.columns([str(b.label) for b in buckets],
                                  [charts.Series("overdue", _("Overdue"), [b.amount for b in buckets])]),
                   slug=f"ageing-{currency}",
                   title=_("Overdue by days past due (%(currency)s)") % {"currency": currency})
            for currency, buckets in ageing.items()]


def utilisation_chart(rows) -> dict | None:
    if not rows:
        return None
    return _chart(charts.bars([(f"{r.label} · {r.currency}", r.share) for r in rows], top=100),
                  slug="utilisation", title=_("Facility limits used (%)"), money=False)


def staff_charts(board: StaffDashboard) -> dict:
    """Return the staff dashboard's charts by section."""
    exposure = []
    for currency in board.exposure_totals:
        exposure.append(_chart(
            charts.bars([(r.label, r.amount) for r in board.exposure_by_product if r.currency == currency]),
            slug=f"exposure-product-{currency}",
            title=_("Exposure by product (%(currency)s)") % {"currency": currency}))
    counterparties = [
        _chart(charts.bars([(r.organization.legal_name if r.organization else _("All others"), r.amount)
                            for r in rows]),
               slug=f"exposure-counterparty-{currency}",
               title=_("Exposure by counterparty, top 10 (%(currency)s)") % {"currency": currency})
        for currency, rows in board.counterparties.items()]
    flows = [
        _chart(charts.columns([date_format(m.month, "YEAR_MONTH_FORMAT") for m in months],
                              [charts.Series("after", _("Disbursed"), [m.disbursed for m in months]),
                               charts.Series("now", _("Collected"), [m.collected for m in months])],
                              axis_labels=[date_format(m.month, "M") for m in months]),
               slug=f"flows-{currency}",
               title=_("Disbursements and collections by month (%(currency)s)") % {"currency": currency})
        for currency, months in board.flows.items()]
    tasks = None
    if board.tasks:
        tasks = _chart(charts.bars([(r.label, r.total) for r in board.tasks]), slug="tasks",
                       title=_("Open tasks by step"), money=False)
        ages = [sum(r.counts[i] for r in board.tasks) for i in range(len(board.task_ages))]
        tasks_by_age = _chart(charts.columns([str(label) for label in board.task_ages],
                                             [charts.Series("after", _("Open tasks"), ages)]),
                              slug="tasks-age", title=_("Open tasks by age"), money=False)
    return {"exposure": exposure, "counterparties": counterparties, "utilisation": utilisation_chart(
        board.utilisation), "maturities": maturity_charts(board.maturities), "ageing": ageing_charts(board.ageing),
        "flows": flows, "tasks": tasks, "tasks_by_age": tasks_by_age if tasks else None}


def client_charts(board: ClientDashboard) -> dict:
    """Return the client dashboard's charts by section."""
    return {"utilisation": utilisation_chart(board.utilisation), "maturities": maturity_charts(board.maturities),
            "ageing": ageing_charts(board.ageing)}
