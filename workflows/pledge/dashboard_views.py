"""The collateral dashboard page of the lender's staff; the figures come from dashboard.py, the charts' geometry from here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids

from .dashboard import PriceSeries, collateral_dashboard
from .permissions import can_see_collateral_dashboard

CHART_WIDTH, CHART_HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 560, 180, 70, 24, 10


def price_chart(series: PriceSeries) -> dict:
    """A line over the dates (x by day) between the period's low and high price (y); labels at both ends."""
    points = series.points
    first, last = points[0].on, points[-1].on
    span_days = max((last - first).days, 1)
    low, high = series.low, series.high
    span_price = high - low
    plot_w, plot_h = CHART_WIDTH - PAD_LEFT - 10, CHART_HEIGHT - PAD_BOTTOM - PAD_TOP
    coords = []
    for point in points:
        x = PAD_LEFT + plot_w * (point.on - first).days / span_days if len(points) > 1 else PAD_LEFT + plot_w / 2
        y = PAD_TOP + (plot_h / 2 if not span_price else float((high - point.price) / span_price) * plot_h)
        coords.append({"x": round(x, 1), "y": round(y, 1), "point": point})
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "coords": coords,
            "polyline": " ".join(f"{c['x']},{c['y']}" for c in coords),
            "axis_x": PAD_LEFT, "axis_y": CHART_HEIGHT - PAD_BOTTOM, "label_y": CHART_HEIGHT - 6,
            "top_y": PAD_TOP + 4, "right_x": CHART_WIDTH - 10, "low": low, "high": high, "first": first, "last": last}


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
