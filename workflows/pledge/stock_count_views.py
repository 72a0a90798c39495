"""The stock count page (盘库) of an agreement: the warehouse enters its count; every party sees past counts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from scf.core.exceptions import DomainError

from . import selectors, stock_counts
from .models import PledgeAgreement
from .stock_count_forms import StockCountForm, count_field_name


def _agreement_or_404(user, agreement_pk: int) -> PledgeAgreement:
    try:
        return (selectors.collateral_agreements(user).select_related("lender", "pledgor", "warehouse")
                .get(pk=agreement_pk))
    except PledgeAgreement.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def stock_count(request, agreement_pk: int):
    """GET: the form (for the warehouse) and the agreement's counts; POST: record the count."""
    agreement = _agreement_or_404(request.user, agreement_pk)
    may_count = stock_counts.can_record_stock_count(request.user, agreement)
    items = stock_counts.items_to_count(agreement)
    form, status = None, 200
    if may_count:
        form = StockCountForm(request.POST if request.method == "POST" else None, items=items)
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Only the agreement's warehouse counts its goods, while the agreement is active."))
            status = 403
        elif form.is_valid():
            try:
                count = stock_counts.stock_count_record(
                    agreement=agreement, counts=form.counts(), counted_on=form.cleaned_data["counted_on"],
                    note=form.cleaned_data["note"], acting_user=request.user)
            except ValidationError as error:
                for key, errors in getattr(error, "error_dict", {"__all__": error.error_list}).items():
                    field = count_field_name(int(key.split(".", 1)[1])) if key.startswith("counts.") else key
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                status = 400
            except DomainError as error:
                messages.error(request, error.message)
                status = error.http_status
            else:
                if count.shortfall:
                    messages.warning(request, _("Count recorded with a shortfall: the pledged quantities now follow "
                                                "the count and the lender has been told."))
                else:
                    messages.success(request, _("Count recorded."))
                return redirect("pledge:stock-count", agreement_pk=agreement.pk)
        else:
            status = 400
    counts = agreement.stock_counts.select_related("counted_by").prefetch_related(
        "lines__item__commodity", "lines__item__receipt", "lines__item__lot")[:20]
    return render(request, "pledge/stock_count.html", {
        "agreement": agreement, "form": form, "counts": counts}, status=status)
