"""The collateral dashboard page of the lender's staff; the figures come from dashboard.py, the charts' geometry from scf.core.charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from scf.core import charts
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids

from .dashboard import PriceSeries, collateral_dashboard
from .permissions import can_see_collateral_dashboard


def price_chart(series: PriceSeries) -> dict:
    """A line over the dates (x by day) between the period's low and high price (y); labels at both ends."""
    return charts.line(series.points, low=series.low, high=series.high)


@login_required
@require_GET
def collateral_dashboard_view(request):
    """The lender's collateral: zones, stale valuations, concentration per warehouse, prices, stock counts."""
    if not can_see_collateral_dashboard(request.user):
        raise Http404
    lender_ids = sorted(user_lender_ids(request.user))
    if not lender_ids:
        raise Http404
    lender = Organization.objects.get(pk=lender_ids[0])
    board = collateral_dashboard(lender=lender)
    return render(request, "pledge/dashboard.html", {
        "board": board, "charts": [{"series": s, "chart": price_chart(s)} for s in board.prices]})
