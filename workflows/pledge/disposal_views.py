"""The disposal case's page (违约处置) for the lender's staff and the pledgor, and its POSTed actions.

The lender's operations enter the sale; a second person approves and settles it; the pledgor sees the
case, the application of the proceeds and the statement. Refusals come back on the form with nothing changed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from workflows.inbox.steps import apply_errors

from . import disposals as services
from . import permissions
from .models import PledgeDisposal


class SaleForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Method of sale"), choices=PledgeDisposal.Method.choices)
    buyer = forms.CharField(label=gettext_lazy("Buyer"), max_length=200)
    sale_date = forms.DateField(label=gettext_lazy("Sale date"), widget=DateInput())
    gross_proceeds = AmountField(label=gettext_lazy("Gross proceeds"), max_digits=20, decimal_places=2,
                                        min_value=Decimal("0.00"))
    costs_of_sale = AmountField(label=gettext_lazy("Costs of sale"), max_digits=20, decimal_places=2,
                                       min_value=Decimal("0.00"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _context(request, disposal: PledgeDisposal, form: SaleForm | None = None) -> dict:
    user = request.user
    agreement = disposal.agreement
    operations = permissions.can_handle_disposal(user, agreement)
    is_open = disposal.state in PledgeDisposal.OPEN
    if form is None and operations and is_open:
        initial = {"method": disposal.method, "buyer": disposal.buyer, "sale_date": disposal.sale_date}
        if disposal.state == PledgeDisposal.State.SALE_RECORDED:
            initial |= {"gross_proceeds": disposal.gross_proceeds, "costs_of_sale": disposal.costs_of_sale}
        form = SaleForm(initial=initial)
    return {
        "disposal": disposal, "agreement": agreement,
        "sale_form": form if operations and is_open else None,
        "can_settle": operations and disposal.state == PledgeDisposal.State.SALE_RECORDED
        and disposal.recorded_by_id != user.pk,
        "awaiting_checker": operations and disposal.state == PledgeDisposal.State.SALE_RECORDED
        and disposal.recorded_by_id == user.pk,
        "can_cancel": operations and is_open,
        "documents": documents_visible_of(disposal, user=user),
        "history": history_for(disposal),
    }


@login_required
def disposal_detail(request, pledge_disposal_pk: int):
    disposal = tenancy.get_visible_or_404(PledgeDisposal, request.user, pk=pledge_disposal_pk)
    return render(request, "pledge/disposal_detail.html", _context(request, disposal))


@require_POST
@login_required
def disposal_sale_view(request, pledge_disposal_pk: int):
    """Enter the sale (the maker); refusals come back on the form, 400, nothing changed."""
    disposal = tenancy.get_visible_or_404(PledgeDisposal, request.user, pk=pledge_disposal_pk)
    form = SaleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.disposal_record_sale(disposal=disposal, method=data["method"], buyer=data["buyer"],
                                          sale_date=data["sale_date"], gross_proceeds=data["gross_proceeds"],
                                          costs_of_sale=data["costs_of_sale"], note=data["note"],
                                          acting_user=request.user)
        except (ValidationError, DomainError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Sale of %(ref)s entered: a second person approves and settles it.")
                             % {"ref": disposal.reference})
            return redirect("pledge:disposal-detail", pledge_disposal_pk=disposal.pk)
    disposal = PledgeDisposal.objects.select_related("agreement").get(pk=disposal.pk)
    return render(request, "pledge/disposal_detail.html", _context(request, disposal, form), status=400)


def _action(request, pledge_disposal_pk: int, act, done: str):
    disposal = tenancy.get_visible_or_404(PledgeDisposal, request.user, pk=pledge_disposal_pk)
    try:
        act(disposal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": disposal.reference})
    return redirect("pledge:disposal-detail", pledge_disposal_pk=disposal.pk)


@require_POST
@login_required
def disposal_settle_view(request, pledge_disposal_pk: int):
    """Approve the sale entered by another person and settle it (the checker)."""
    return _action(request, pledge_disposal_pk,
                   lambda d: services.disposal_settle(disposal=d, acting_user=request.user),
                   _("Disposal %(ref)s approved and settled."))


@require_POST
@login_required
def disposal_cancel_view(request, pledge_disposal_pk: int):
    return _action(request, pledge_disposal_pk,
                   lambda d: services.disposal_cancel(disposal=d, acting_user=request.user,
                                                      reason=request.POST.get("reason", "")),
                   _("Disposal %(ref)s cancelled."))
