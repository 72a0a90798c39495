"""The price-shock preview page: the collateral desk's "what if" before a price falls. Read-only."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from scf.core import charts
from scf.core.fields import CURRENCY_CHOICES
from scf.core.forms import AmountField

from . import selectors
from .calculations import Zone
from .shock import ShockInputError, ShockPreview, price_shock_preview
from .views import _lender_for

ZONE_LABELS = {Zone.NORMAL: _("Normal"), Zone.WARNING: _("Warning"), Zone.CALL: _("Margin call"),
               Zone.LIQUIDATION: _("Liquidation")}


class ShockForm(forms.Form):
    commodity = forms.ModelChoiceField(label=_("Commodity"), queryset=None, empty_label=None)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    move_percent = forms.DecimalField(
        label=_("Price move (%)"), required=False, max_digits=7, decimal_places=3,
        help_text=_("For example −20 for a fall of 20 %. Leave empty to give a new price instead."))
    new_price = AmountField(label=_("or the new unit price"), required=False, max_digits=20, decimal_places=6)

    def __init__(self, *args, commodities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commodity"].queryset = commodities
        self.fields["commodity"].label_from_instance = lambda c: f"{c.code} · {c.name}"

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("move_percent") is None) == (data.get("new_price") is None):
            raise forms.ValidationError(_("Give either a price move in per cent or a new price, not both."))
        return data


def _chart(preview: ShockPreview) -> dict:
    """The LTV distribution now and after as grouped columns, placed by scf.core.charts (no inline style)."""
    buckets = preview.distribution()
    labels = []
    for bucket in buckets:
        if bucket["low"] is None:
            labels.append(f"< {bucket['high']:.0%}")
        elif bucket["high"] is None:
            labels.append(f"≥ {bucket['low']:.0%}")
        else:
            labels.append(f"{bucket['low']:.0%}–{bucket['high']:.0%}")
    chart = charts.columns(labels, [charts.Series("now", _("Now"), [b["now"] for b in buckets]),
                                    charts.Series("after", _("After the move"), [b["after"] for b in buckets])])
    return {**chart, "id": "ltv", "title": _("Agreements by loan to value, now and after the move"), "money": False}


@login_required
@require_GET
def price_shock(request):
    """A form over the lender's eligible commodities; with its answer, the book before and after the move."""
    lender = _lender_for(request.user)
    commodities = selectors.eligible_commodities(lender=lender)
    form = ShockForm(request.GET or None, commodities=commodities)
    preview, status = None, 200
    if form.is_bound:
        if form.is_valid():
            try:
                preview = price_shock_preview(lender=lender, on=timezone.localdate(), **form.cleaned_data)
            except ShockInputError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        if preview is None:
            status = 400
    context = {"lender": lender, "form": form, "preview": preview}
    if preview is not None:
        context.update(
            chart=_chart(preview),
            rows=[{"row": row, "now": ZONE_LABELS[row.zone_now], "after": ZONE_LABELS[row.zone_after]}
                  for row in sorted(preview.rows, key=lambda r: (not r.worsens, r.agreement.reference))],
            zones=[{"code": zone, "label": ZONE_LABELS[zone], "now": preview.zones_now[zone],
                    "after": preview.zones_after[zone]} for zone in Zone.ALL],
            move=((preview.price_after - preview.price_now) / preview.price_now * 100).quantize(Decimal("0.01")))
    return render(request, "pledge/price_shock.html", context, status=status)
