"""Price files on the portal: upload one (checked row by row), then a second person approves it as a whole."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from scf.core.exceptions import DomainError
from scf.core.tabular import UploadUnreadable
from scf.core.tenancy import get_visible_or_404

from . import permissions
from .models import CommodityPrice, PriceBatch
from .price_import import can_decide_batch, price_batch_decide, price_batch_import, read_price_file
from .views import _lender_for


class PriceFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"), help_text=gettext_lazy(
        "Columns: commodity, price, date, and optionally source, currency, reference (Chinese headers are "
        "accepted too: 商品代码, 结算价, 交易日期, 来源, 币种, 合约)."))
    source = forms.ChoiceField(label=gettext_lazy("Source of rows that name none"),
                               choices=CommodityPrice.Source.choices, initial=CommodityPrice.Source.EXCHANGE)
    only_valid = forms.BooleanField(label=gettext_lazy("Import the valid rows even if others have problems"),
                                    required=False)


@login_required
def price_file_upload(request):
    """The upload form; its answer is the row report, and the file's page when something was saved."""
    lender = _lender_for(request.user)
    if not permissions.can_propose_price(request.user, lender):
        raise Http404
    form = PriceFileForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows, titles = read_price_file(upload.read())
                report, batch = price_batch_import(
                    lender=lender, rows=rows, titles=titles, name=upload.name, acting_user=request.user,
                    default_source=form.cleaned_data["source"], only_valid=form.cleaned_data["only_valid"])
            except UploadUnreadable as error:
                form.add_error("file", str(error))
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if batch is not None:
                    messages.success(request, _("%(n)d prices entered from %(file)s; a second person must approve "
                                                "the file.") % {"n": report.created, "file": batch.name})
                    return redirect("pledge:price-file", price_batch_pk=batch.pk)
        status = 400
    return render(request, "pledge/price_file_upload.html", {"form": form, "report": report, "lender": lender},
                  status=status)


def _detail(request, batch: PriceBatch, status: int = 200):
    return render(request, "pledge/price_file_detail.html", {
        "batch": batch, "may_decide": can_decide_batch(request.user, batch),
        "mine": batch.created_by_id == request.user.pk,
        "prices": batch.prices.select_related("commodity").order_by("commodity__code", "effective_date", "pk"),
    }, status=status)


@login_required
def price_file_detail(request, price_batch_pk: int):
    """The file's prices and its state; the approve and reject buttons for a second person."""
    batch = get_visible_or_404(PriceBatch, request.user, pk=price_batch_pk)
    if not permissions.can_see_prices(request.user):
        raise Http404
    return _detail(request, batch)


@login_required
@require_POST
def price_file_decide(request, price_batch_pk: int, verb: str):
    """Approve or reject the whole file; its maker is refused (409) and nothing changes."""
    batch = get_visible_or_404(PriceBatch, request.user, pk=price_batch_pk)
    if not permissions.can_see_prices(request.user):
        raise Http404
    try:
        price_batch_decide(batch=batch, acting_user=request.user, verb=verb, note=request.POST.get("comment", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return _detail(request, batch, status=error.http_status)
    else:
        messages.success(request, _("Price file approved: its prices count from now on.") if verb == "approve"
                         else _("Price file rejected: none of its prices counts."))
    return redirect("pledge:price-file", price_batch_pk=batch.pk)
