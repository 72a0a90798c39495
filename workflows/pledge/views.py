"""Pledge's portal pages: commodity prices, entered by one person and approved by a second."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.tenancy import get_visible_or_404
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids

from . import permissions, selectors, services
from .forms import PriceForm
from .models import CommodityPrice, PriceBatch


def _lender_for(user) -> Organization:
    """Return the one lender whose prices the user works on; anyone else finds no such page."""
    if not permissions.can_see_prices(user):
        raise Http404
    lender_ids = sorted(user_lender_ids(user))
    if not lender_ids:
        raise Http404
    return Organization.objects.get(pk=lender_ids[0])


def _page(request, lender: Organization, form: PriceForm | None, status: int = 200):
    today = timezone.localdate()
    prices = list(selectors.price_list(user=request.user, lender=lender)[:200])
    for price in prices:
        price.mine = price.created_by_id == request.user.pk
        # A price of a file is decided with its file, on the file's page.
        price.may_decide = permissions.can_approve_price(request.user, price) and price.batch_id is None
    current = []
    # One row per commodity in the default currency, and one per other currency it has approved prices in:
    # a price in one currency never stands for another's.
    other_currencies = selectors.priced_currencies(lender=lender)
    for commodity in selectors.eligible_commodities(lender=lender):
        for currency in [selectors.DEFAULT_CURRENCY, *other_currencies.get(commodity.pk, [])]:
            check = selectors.price_check(commodity, today, lender=lender, currency=currency)
            current.append({"commodity": commodity, "currency": currency, "price": check.price,
                            "stale": check.stale, "age": check.age_days,
                            "row_id": commodity.code if currency == selectors.DEFAULT_CURRENCY
                            else f"{commodity.code}-{currency}"})
    return render(request, "pledge/price_list.html", {
        "lender": lender, "prices": prices, "current": current, "form": form,
        "batches": tenancy.visible(PriceBatch, request.user).filter(lender=lender).select_related("created_by")
        .annotate(count=Count("prices"))[:20],
        "max_age_days": selectors.DEFAULT_PRICE_MAX_AGE_DAYS,
    }, status=status)


def _price_form(request, lender: Organization) -> PriceForm | None:
    if not permissions.can_propose_price(request.user, lender):
        return None
    return PriceForm(request.POST or None, commodities=selectors.eligible_commodities(lender=lender),
                     initial={"effective_date": timezone.localdate()})


@login_required
@require_GET
def price_list(request):
    """The lender's current price per eligible commodity (stale or missing marked), and the price history."""
    lender = _lender_for(request.user)
    return _page(request, lender, _price_form(request, lender))


@login_required
@require_POST
def price_propose_view(request):
    """Enter a price; the page answers 400 with the form's errors and changes nothing when it is refused."""
    lender = _lender_for(request.user)
    form = _price_form(request, lender)
    if form is None:
        raise Http404
    if form.is_valid():
        try:
            price = services.price_propose(lender=lender, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field_name, errors in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
        except DomainError as error:
            form.add_error("commodity", error.message)
        else:
            messages.success(request, _("Price of %(commodity)s entered; a second person must approve it.")
                             % {"commodity": price.commodity.name})
            return redirect("pledge:price-list")
    return _page(request, lender, form, status=400)


@login_required
@require_POST
def price_decide_view(request, price_pk: int, verb: str):
    """Approve or reject a proposed price: a second person; the maker is refused (409) and nothing changes."""
    price = get_visible_or_404(CommodityPrice, request.user, pk=price_pk)
    lender = _lender_for(request.user)
    try:
        if verb == "approve":
            services.price_approve(price=price, acting_user=request.user)
            messages.success(request, _("Price of %(commodity)s approved: valuations use it from now on.")
                             % {"commodity": price.commodity.name})
        else:
            services.price_reject(price=price, acting_user=request.user, note=request.POST.get("comment", ""))
            messages.success(request, _("Price of %(commodity)s rejected.") % {"commodity": price.commodity.name})
    except DomainError as error:
        messages.error(request, error.message)
        return _page(request, lender, _price_form(request, lender), status=error.http_status)
    return redirect("pledge:price-list")
