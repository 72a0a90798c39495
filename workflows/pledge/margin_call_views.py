"""Margin call pages: the open calls with their deadlines (lender's staff), a call (staff and pledgor), the
cash margin a cure records (operations), and the calls card of the agreement page.

A refused cure comes back with the errors in the user's language and nothing changed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.collections.permissions import can_handle_receipts
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.models import User

from . import permissions
from .margin_calls import cure_goods, margin_call_pay_cash
from .models import PledgeAgreement, PledgeMarginCall


class CashMarginForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount"), max_digits=20, decimal_places=2, min_value=0.01)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DateInput())


def calls_card(user: User, agreement: PledgeAgreement) -> dict:
    """The agreement page's margin calls: seen by the lender's staff and the pledgor."""
    if not permissions.can_see_loan_figures(user, agreement):
        return {"margin_calls_visible": False}
    return {"margin_calls_visible": True,
            "margin_calls": list(PledgeMarginCall.objects.filter(agreement=agreement).order_by("-opened_on", "-pk")[:50])}


def _visible_call(user, margin_call_pk: int) -> PledgeMarginCall:
    calls = tenancy.visible(PledgeMarginCall, user).select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse", "last_revaluation")
    try:
        return calls.get(pk=margin_call_pk)
    except (PledgeMarginCall.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_GET
def margin_call_list(request):
    """The open margin calls the user sees, nearest deadline first; the lender's staff work from it."""
    calls = (tenancy.visible(PledgeMarginCall, request.user).filter(state__in=PledgeMarginCall.OPEN)
             .select_related("agreement__pledgor").order_by("deadline", "pk"))
    return render(request, "pledge/margin_call_list.html", {"calls": calls[:500], "today": timezone.localdate()})


def _call_page(request, call: PledgeMarginCall, form=None, status: int = 200):
    user = request.user
    may_record = call.is_open and can_handle_receipts(user, lender=call.agreement.lender_id)
    return render(request, "pledge/margin_call_detail.html", {
        "call": call, "agreement": call.agreement, "goods": cure_goods(call) if call.is_open else [],
        "documents": documents_visible_of(call, user=user), "history": history_for(call),
        "cash_form": (form or CashMarginForm(initial={"received_on": timezone.localdate()})) if may_record else None,
    }, status=status)


@login_required
@require_GET
def margin_call_detail(request, margin_call_pk: int):
    """A margin call: figures, cure amount now, the three ways, deadline, its notice and history."""
    return _call_page(request, _visible_call(request.user, margin_call_pk))


@login_required
@require_POST
def margin_call_cash_view(request, margin_call_pk: int):
    """Operations record a cash margin paid against the call; the agreement is re-valued."""
    call = _visible_call(request.user, margin_call_pk)
    form = CashMarginForm(request.POST)
    if not form.is_valid():
        return _call_page(request, call, form=form, status=400)
    try:
        call = margin_call_pay_cash(call=call, amount=form.cleaned_data["amount"],
                                    bank_reference=form.cleaned_data["bank_reference"],
                                    received_on=form.cleaned_data["received_on"], acting_user=request.user)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _call_page(request, _visible_call(request.user, margin_call_pk), form=form, status=400)
    except DomainError as error:
        messages.error(request, error.message)
        return _call_page(request, _visible_call(request.user, margin_call_pk), form=form,
                          status=error.http_status)
    messages.success(request, _("Cash margin recorded: margin call %(ref)s is %(state)s.")
                     % {"ref": call.reference, "state": call.get_state_display()})
    return redirect("pledge:margin-call-detail", margin_call_pk=call.pk)
