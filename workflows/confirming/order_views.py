"""Purchase order pages in the portal, and the task pages of an order's flow.

Each view parses its form, calls one service and renders; a refused call comes back with the errors
in the user's language and nothing changed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.permissions import is_staff_of
from workflows.approval.models import ApprovalDecision
from workflows.inbox.assignment import can_act
from workflows.inbox.progress import case_progress
from workflows.inbox.services import OPEN, process_for
from workflows.inbox.steps import ConfirmForm, DecisionForm, apply_errors, case_object, form_step

from . import maturity, permissions
from . import orders as services
from .maturity_views import AdvanceRepaymentForm, RefundForm, maturity_context
from .models import ConfirmingAgreement, PurchaseOrder
from .money_releases import order_funding_prepare
from .selectors import order_list

PREPARED = gettext_lazy("Funding of %(ref)s prepared: a second operations user releases it on the Releases page.")

State = PurchaseOrder.State
Route = PurchaseOrder.Route


# --- forms ------------------------------------------------------------------------------------------

class OrderForm(forms.Form):
    route = forms.ChoiceField(label=gettext_lazy("Funding route"), choices=Route.choices)
    seller_order_number = forms.CharField(label=gettext_lazy("Seller's order number"), required=False,
                                          max_length=60)

    def __init__(self, *args, agreement: ConfirmingAgreement, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [(value, label) for value, label in Route.choices
                   if (value == Route.LOAN and agreement.allows_loan)
                   or (value == Route.ACCEPTANCE_BILL and agreement.allows_acceptance_bill)]
        self.fields["route"].choices = allowed
        if len(allowed) == 1:
            self.fields["route"].initial = allowed[0][0]


class OrderLineForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("Goods"), max_length=200)
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=20)
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), max_digits=20, decimal_places=3,
                                  min_value=Decimal("0.001"))
    unit_price = AmountField(label=gettext_lazy("Unit price"), max_digits=20, decimal_places=6,
                                    min_value=Decimal("0.000001"))


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]
        if not filled:
            raise ValidationError(_("An order has at least one line of goods."), code="required")


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=BaseLineFormSet, extra=3, max_num=100,
                                         validate_max=True)


def _lines_of(formset) -> list[dict]:
    return [form.cleaned_data for form in formset.forms if form.has_changed() and form.cleaned_data]


def _apply_line_errors(form: OrderForm, formset, error: Exception) -> None:
    """Put a refused service call's errors on the page: `lines[i]` on that line, the rest on the order form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        filled = [line for line in formset.forms if line.has_changed()]
        rest = {}
        for key, messages_ in error.message_dict.items():
            if key.startswith("lines[") and key.endswith("]"):
                index = int(key[6:-1])
                if index < len(filled):
                    filled[index].add_error(None, messages_)
                    continue
            rest[key] = messages_
        if rest:
            apply_errors(form, ValidationError(rest))
        return
    apply_errors(form, error)


class MarginForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount"), max_digits=20, decimal_places=2,
                                min_value=Decimal("0.01"))
    received_on = forms.DateField(label=gettext_lazy("Value date"), widget=DateInput())
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)


class FundForm(forms.Form):
    bill_number = forms.CharField(label=gettext_lazy("Acceptance bill number"), max_length=60, required=False)
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the details above"), required=True)

    def __init__(self, *args, order: PurchaseOrder, **kwargs):
        super().__init__(*args, **kwargs)
        if order.route == Route.ACCEPTANCE_BILL:
            self.fields["bill_number"].required = True
        else:
            del self.fields["bill_number"]


class SellerAnswerForm(forms.Form):
    ANSWERS = [("confirm", gettext_lazy("Confirm the order")),
               ("decline", gettext_lazy("Send it back to the distributor"))]
    answer = forms.ChoiceField(label=gettext_lazy("Answer"), choices=ANSWERS, widget=forms.RadioSelect,
                               initial="confirm")
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=2000,
                           help_text=gettext_lazy("Required to send the order back: say what is wrong with it."))


class ReviseForm(forms.Form):
    ACTIONS = [("resubmit", gettext_lazy("Send the order to the seller again")),
               ("cancel", gettext_lazy("Cancel the order"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               initial="resubmit")
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


# --- helpers ----------------------------------------------------------------------------------------

def _open_tasks_for(order: PurchaseOrder, user) -> list[Task]:
    process = process_for(order)
    if process is None:
        return []
    return [task for task in Task.objects.filter(process=process, status__in=OPEN) if can_act(user, task)]


def _documents(order: PurchaseOrder, user) -> list:
    found = list(documents_visible_of(order, user=user))
    for payment in order.margin_payments.all():
        found += list(documents_visible_of(payment, user=user))
    for demand in order.refund_demands.all():
        found += list(documents_visible_of(demand, user=user))
    return found


def orders_context(user, agreement: ConfirmingAgreement) -> dict:
    """Return the agreement page's Orders card: the limit's use, the exposure, the orders, the apply button."""
    return {
        "orders": order_list(user=user, agreement=agreement)[:200],
        "limit_used": services.agreement_limit_used(agreement),
        "exposure": services.agreement_exposure(agreement),
        "can_apply": (agreement.state == ConfirmingAgreement.State.ACTIVE
                      and permissions.can_create_order(user, agreement)),
    }


def order_context(user, order: PurchaseOrder) -> dict:
    """Return what an order's page and its task pages show beside the form."""
    agreement = order.agreement
    staff = is_staff_of(user, agreement.lender_id)
    return {
        "order": order, "agreement": agreement, "staff": staff,
        "lines": list(order.lines.all()),
        "margin_payments": list(order.margin_payments.all()),
        "remaining_initial": max(order.initial_margin - order.margin_paid, Decimal("0.00")),
    }


# --- pages ------------------------------------------------------------------------------------------

@login_required
def order_list_view(request):
    state = request.GET.get("state") or None
    if state not in State.values:
        state = None
    return render(request, "confirming/order_list.html", {
        "orders": order_list(user=request.user, state=state)[:500], "state": state, "states": State.choices,
    })


def _form_page(request, agreement: ConfirmingAgreement, order: PurchaseOrder | None):
    initial, line_initial = {}, []
    if order is not None:
        initial = {"route": order.route, "seller_order_number": order.seller_order_number}
        line_initial = [{"description": line.description, "unit": line.unit, "quantity": line.quantity,
                         "unit_price": line.unit_price} for line in order.lines.all()]
    form = OrderForm(request.POST or None, agreement=agreement, initial=initial)
    formset = OrderLineFormSet(request.POST or None, prefix="lines", initial=line_initial or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            if order is None:
                order = services.order_create(agreement=agreement, lines=_lines_of(formset), route=data["route"],
                                              seller_order_number=data["seller_order_number"],
                                              acting_user=request.user)
            else:
                order = services.order_update(order=order, lines=_lines_of(formset), route=data["route"],
                                              seller_order_number=data["seller_order_number"],
                                              acting_user=request.user)
        except (ValidationError, DomainError) as error:
            _apply_line_errors(form, formset, error)
        else:
            messages.success(request, _("Order %(ref)s saved: P = %(currency)s %(amount)s, initial margin "
                                        "%(margin)s. Send it to the seller when it is complete.")
                             % {"ref": order.reference, "currency": order.currency,
                                "amount": f"{order.order_amount:,.2f}", "margin": f"{order.initial_margin:,.2f}"})
            return redirect("confirming:order-detail", cw_order_pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "confirming/order_form.html", {
        "agreement": agreement, "order": order, "form": form, "formset": formset,
        "limit_used": services.agreement_limit_used(agreement, exclude=order),
    }, status=status)


@login_required
def order_new(request, cw_agreement_pk: int):
    """Apply for an order under the agreement (the distributor's operator)."""
    agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
    if not permissions.can_create_order(request.user, agreement):
        raise Http404
    return _form_page(request, agreement, None)


@login_required
def order_edit(request, cw_order_pk: int):
    """Revise a draft or returned order (the distributor's operator)."""
    order = tenancy.get_visible_or_404(PurchaseOrder, request.user, pk=cw_order_pk)
    if not permissions.can_edit_order(request.user, order):
        raise Http404
    return _form_page(request, order.agreement, order)


@login_required
def order_detail(request, cw_order_pk: int):
    order = (tenancy.visible(PurchaseOrder, request.user)
             .select_related("agreement__lender", "agreement__seller", "agreement__distributor",
                             "agreement__warehouse", "agreement__facility", "approval_case", "prepared_by")
             .filter(pk=cw_order_pk).first())
    if order is None:
        raise Http404
    user = request.user
    context = order_context(user, order)
    staff = context["staff"]
    context.update({
        "documents": _documents(order, user),
        "decisions": (ApprovalDecision.objects.filter(case_id=order.approval_case_id).select_related("approver")
                      if order.approval_case_id and staff else []),
        "history": history_for(order),
        "tasks": _open_tasks_for(order, user),
        "can_edit": permissions.can_edit_order(user, order),
        "can_submit": order.state == State.DRAFT and permissions.can_create_order(user, order.agreement),
        "can_cancel": permissions.can_cancel_order(user, order),
        "can_record_margin": (order.state in services.MARGIN_STATES and order.margin_paid < order.order_amount
                              and permissions.can_record_margin(user, order)),
        "margin_form": MarginForm(initial={"received_on": timezone.localdate(),
                                           "amount": context["remaining_initial"] or None}),
        "can_fund": order.state == State.AWAITING_FUNDING and permissions.can_fund_order(user, order),
        "fund_form": FundForm(order=order),
        "can_confirm_receipt": permissions.can_confirm_receipt(user, order),
    })
    context.update(maturity_context(user, order))
    context["progress"] = case_progress(order)
    return render(request, "confirming/order_detail.html", context)


def _action(request, cw_order_pk: int, act, done: str):
    """Run one POSTed action on a visible order, report it, go back to its page."""
    order = tenancy.get_visible_or_404(PurchaseOrder, request.user, pk=cw_order_pk)
    try:
        act(order)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": order.reference})
    return redirect("confirming:order-detail", cw_order_pk=order.pk)


@require_POST
@login_required
def order_submit_view(request, cw_order_pk: int):
    return _action(request, cw_order_pk, lambda order: services.order_submit(
        order=order, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s was sent to the seller to confirm."))


@require_POST
@login_required
def order_cancel_view(request, cw_order_pk: int):
    return _action(request, cw_order_pk, lambda order: services.order_cancel(
        order=order, acting_user=request.user, note=request.POST.get("note", "")), _("%(ref)s cancelled."))


def _form_refused(request, form, cw_order_pk: int):
    """Send a money form's field errors back to the order's page as messages (404 for an order not visible)."""
    order = tenancy.get_visible_or_404(PurchaseOrder, request.user, pk=cw_order_pk)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("confirming:order-detail", cw_order_pk=order.pk)


@require_POST
@login_required
def order_margin_view(request, cw_order_pk: int):
    """Record margin received for the order (the lender's operations); refusals come back as messages."""
    form = MarginForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, form, cw_order_pk)
    data = form.cleaned_data
    return _action(request, cw_order_pk, lambda order: services.order_margin_apply(
        order=order, amount=data["amount"], received_on=data["received_on"], bank_reference=data["bank_reference"],
        acting_user=request.user), _("Margin recorded on %(ref)s; its receipt is being issued."))


@require_POST
@login_required
def order_fund_view(request, cw_order_pk: int):
    return _action(request, cw_order_pk, lambda order: order_funding_prepare(
        order=order, acting_user=request.user, bill_number=request.POST.get("bill_number", "")), PREPARED)


@require_POST
@login_required
def order_receipt_view(request, cw_order_pk: int):
    return _action(request, cw_order_pk, lambda order: services.order_confirm_receipt(
        order=order, acting_user=request.user), _("Receipt of %(ref)s confirmed."))


# --- task pages -------------------------------------------------------------------------------------

def seller_confirm_task(request, task):
    order = case_object(task)

    def act(data):
        if data["answer"] == "decline":
            services.order_seller_decline(order=order, acting_user=request.user, note=data["note"])
        else:
            services.order_seller_confirm(order=order, acting_user=request.user, note=data["note"])

    return form_step(request, task, order, SellerAnswerForm(request.POST or None),
                     "confirming/order_task_seller_confirm.html", act, _("Your answer on %(ref)s was recorded."))


def review_task(request, task):
    order = case_object(task)
    return form_step(request, task, order, DecisionForm(request.POST or None), "confirming/order_task_review.html",
                     lambda data: services.order_review_decide(order=order, approver=request.user, **data),
                     _("Your decision on %(ref)s was recorded."))


def revise_task(request, task):
    order = case_object(task)

    def act(data):
        if data["action"] == "cancel":
            services.order_cancel(order=order, acting_user=request.user, note=data["note"])
        else:
            services.order_submit(order=order, acting_user=request.user, note=data["note"])

    # Why it came back: the seller's note, or the credit reviewer's return comment.
    returned = (ApprovalDecision.objects.filter(case_id=order.approval_case_id,
                                                decision=ApprovalDecision.Decision.RETURN).order_by("-pk").first())
    return form_step(request, task, order, ReviseForm(request.POST or None), "confirming/order_task_revise.html",
                     act, _("%(ref)s was updated."), return_comment=returned.comment if returned else "")


def fund_task(request, task):
    order = case_object(task)
    return form_step(request, task, order, FundForm(request.POST or None, order=order),
                     "confirming/order_task_fund.html",
                     lambda data: order_funding_prepare(order=order, acting_user=request.user,
                                                        bill_number=data.get("bill_number", "")),
                     PREPARED)


def receipt_task(request, task):
    order = case_object(task)
    return form_step(request, task, order, ConfirmForm(request.POST or None), "confirming/order_task_receipt.html",
                     lambda data: services.order_confirm_receipt(order=order, acting_user=request.user),
                     _("Receipt of %(ref)s confirmed."))


@require_POST
@login_required
def order_refund_view(request, cw_order_pk: int):
    """Record the seller's refund received (the lender's operations); refusals come back as messages."""
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, form, cw_order_pk)
    data = form.cleaned_data
    return _action(request, cw_order_pk, lambda order: maturity.order_refund_apply(
        order=order, amount=data["amount"], received_on=data["received_on"], bank_reference=data["bank_reference"],
        acting_user=request.user), _("Refund recorded on %(ref)s; the settlement follows."))


@require_POST
@login_required
def order_advance_repayment_view(request, cw_order_pk: int):
    """Record money repaying an advanced order (the lender's operations); refusals come back as messages."""
    from .advances import order_advance_repay

    form = AdvanceRepaymentForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, form, cw_order_pk)
    data = form.cleaned_data
    return _action(request, cw_order_pk, lambda order: order_advance_repay(
        order=order, amount=data["amount"], received_on=data["received_on"], bank_reference=data["bank_reference"],
        acting_user=request.user), _("Advance repayment recorded on %(ref)s."))
