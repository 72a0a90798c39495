"""An order's maturity in the portal: the maturity panel of the order's page, the refund recorded by
operations, and the seller's task on the refund notice."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.context import percent
from documents.selectors import documents_visible_of
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.permissions import is_operator
from workflows.inbox.steps import ConfirmForm, case_object, form_step

from . import maturity, permissions
from .models import PurchaseOrder, RefundDemand


class RefundForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount refunded"), max_digits=20, decimal_places=2,
                                min_value=0.01)
    received_on = forms.DateField(label=gettext_lazy("Value date"), widget=DateInput)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)


class AdvanceRepaymentForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount received"), max_digits=20, decimal_places=2,
                                min_value=0.01)
    received_on = forms.DateField(label=gettext_lazy("Value date"), widget=DateInput)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)


def advance_context(user, order: PurchaseOrder) -> dict:
    """Return what the order's advance card shows: the advance, the penalty, the claim, the repayment form."""
    if order.advanced_on is None:
        return {"advance": None}
    from . import advances

    can_record = order.state == PurchaseOrder.State.ADVANCED and permissions.can_record_margin(user, order)
    owed = order.advance_outstanding + order.penalty_outstanding
    return {
        "advance": {
            "penalty_rate": percent(advances.penalty_rate(order)),
            "owed": owed,
            "repaid": order.advance_outstanding == 0 and order.penalty_outstanding == 0,
            "can_record": can_record,
            "form": AdvanceRepaymentForm(initial={"received_on": timezone.localdate(), "amount": owed or None}),
        },
    }


def maturity_context(user, order: PurchaseOrder) -> dict:
    """Return what the order's maturity panel shows: S, the demands and their notices, what the seller does."""
    demands = list(order.refund_demands.order_by("-created_at", "-pk"))
    open_demand = next((demand for demand in demands if demand.state == RefundDemand.State.OPEN), None)
    notices = {}
    for demand in demands:
        notices[demand.pk] = [document for document in documents_visible_of(demand, user=user)
                              if document.kind == maturity.REFUND_NOTICE]
    notice_date = (maturity.refund_notice_date(order)
                   if order.maturity_date is not None and order.state in maturity.MATURING_STATES else None)
    can_record_refund = open_demand is not None and permissions.can_record_margin(user, order)
    return {
        **advance_context(user, order),
        "maturity": {
            "shortfall": max(order.order_amount - order.margin_paid, order.refund_paid),
            "outstanding": maturity.refund_outstanding(order),
            "notice_date": notice_date,
            "demands": [{"demand": demand, "notices": notices[demand.pk]} for demand in demands],
            "open_demand": open_demand,
            "seller_to_act": open_demand is not None and is_operator(user, order.agreement.seller_id),
            "can_record_refund": can_record_refund,
            # Its own ids: the margin form on the same page has fields of the same names.
            "refund_form": RefundForm(auto_id="refund_%s",
                                      initial={"received_on": timezone.localdate(),
                                               "amount": maturity.refund_outstanding(order) or None}),
            "closing_blockers": (maturity.order_closing_blockers(order)
                                 if order.state in (*maturity.MATURING_STATES, PurchaseOrder.State.ADVANCED)
                                 and order.funded_on else []),
        },
    }


def acknowledge_task(request, task):
    demand = case_object(task)
    return form_step(request, task, demand, ConfirmForm(request.POST or None),
                     "confirming/refund_task_acknowledge.html",
                     lambda data: maturity.refund_demand_acknowledge(demand=demand, acting_user=request.user),
                     _("Refund notice of %(ref)s acknowledged: the lender awaits the payment."))
