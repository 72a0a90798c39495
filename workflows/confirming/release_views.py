"""Release pages: the request on an order, a release with its notices, and the task pages of the release's flow
(issue the release notice, give the delivery notice, confirm the goods delivered line by line).

Each view parses its form, calls one service and renders; a refused call comes back with the errors in
the user's language and nothing changed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.parties.models import User
from scf.parties.permissions import is_staff_of
from workflows.inbox.steps import case_object, render_step, step_done

from . import permissions, release_selectors, services
from . import releases as release_services
from .models import OrderLine, PurchaseOrder, ReleaseRequest
from .releases import DeliveryLine

ZERO_QUANTITY = Decimal("0.000")


# --- what a release's pages show --------------------------------------------------------------------------

def release_context(user: User, release: ReleaseRequest) -> dict:
    """Return what a release's page and its task pages show of it, and what this user may do on it."""
    order = release.order
    agreement = order.agreement
    return {
        "release": release,
        "order": order,
        "agreement": agreement,
        "custodian": release.custodian,
        "release_lines": list(release.lines.select_related("order_line").order_by("order_line_id")),
        "position": release_services.release_position(order),
        "staff": is_staff_of(user, agreement.lender_id),
        "may_withdraw": permissions.can_withdraw_release(user, release),
        "may_issue_notice": permissions.can_issue_release_notice(user, release),
        "may_notify_delivery": permissions.can_notify_delivery(user, release),
        "may_confirm_delivery": permissions.can_confirm_delivery(user, release),
    }


def releases_card(user: User, order: PurchaseOrder) -> dict:
    """Return what an order's page shows of its releases, for this user (nothing to a user not party to it)."""
    if not release_selectors.release_orders(user).filter(pk=order.pk).exists():
        return {"visible": False}
    return {
        "visible": True,
        "order": order,
        "position": release_services.release_position(order),
        "releases": release_selectors.release_list(user=user, order=order)[:200],
        "can_request_release": (permissions.can_request_release(user, order)
                                and order.state in services.RELEASE_STATES),
        "lines": list(order.lines.order_by("pk")),
    }


# --- line-by-line forms ---------------------------------------------------------------------------------------

def _field(line: OrderLine) -> str:
    return f"line-{line.pk}"


class LinesForm(forms.Form):
    """One quantity box per line of goods: the delivery notice names them, the confirmation counts them."""

    def __init__(self, *args, rows: list[tuple[OrderLine, Decimal]], help_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for line, limit in rows:
            self.fields[_field(line)] = forms.DecimalField(
                label=f"{line.description} ({line.unit})", required=False, min_value=ZERO_QUANTITY,
                max_digits=20, decimal_places=3,
                help_text=help_label % {"quantity": release_services._qty(limit), "unit": line.unit})

    def delivery_lines(self) -> list[DeliveryLine]:
        lines = []
        for line, _limit in self.rows:
            quantity = self.cleaned_data.get(_field(line))
            if quantity is not None:
                lines.append(DeliveryLine(order_line=line.pk, quantity=quantity))
        return lines

    def line_rows(self) -> list[tuple[OrderLine, Decimal, forms.BoundField]]:
        return [(line, limit, self[_field(line)]) for line, limit in self.rows]


def _notice_form(release: ReleaseRequest, data=None) -> LinesForm:
    rows = [(row.line, row.available) for row in release_services.line_availability(release.order, excluding=release)
            if row.available > 0]
    return LinesForm(data, rows=rows, help_label=_("Left to deliver: %(quantity)s %(unit)s."))


def _confirm_form(release: ReleaseRequest, data=None) -> LinesForm:
    rows = [(row.order_line, row.quantity) for row in release.lines.select_related("order_line").order_by("pk")]
    initial = {_field(line): quantity for line, quantity in rows}
    return LinesForm(data, rows=rows, initial=initial, help_label=_("Named by the delivery notice: %(quantity)s "
                                                                    "%(unit)s."))


def _run_lines(form: LinesForm, act) -> bool:
    """Call the service with the form's lines; put its refusals on the line they name. Return success."""
    if not form.is_valid():
        return False
    lines = form.delivery_lines()
    try:
        act(lines)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error.messages)
            return False
        for key, key_messages in error.message_dict.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(lines):
                form.add_error(f"line-{lines[int(parts[1])].order_line}", key_messages)
            else:
                form.add_error(None, key_messages)
        return False
    except DomainError as error:
        field = f"line-{error.context.get('order_line')}"
        form.add_error(field if field in form.fields else None, error.message)
        return False
    return True


# --- task pages ---------------------------------------------------------------------------------------------

class NoticeForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the margin paid and the value above"),
                                 required=True)


def _task_page(request, task, release, template: str, form, status: int = 200):
    return render_step(request, task, template, release, status, form=form,
                       **release_context(request.user, release))


def notice_task(request, task):
    release = case_object(task)
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release_services.release_notice_issue(release=release, acting_user=request.user)
        except (ValidationError, DomainError) as error:
            form.add_error(None, getattr(error, "message", None) or error.messages)
        else:
            return step_done(request, _("The release notice of %(ref)s is issued: the seller gives its delivery "
                                        "notice next.") % {"ref": release.reference})
    return _task_page(request, task, release, "confirming/release_task_notice.html", form,
                      400 if request.method == "POST" else 200)


def delivery_notice_task(request, task):
    release = case_object(task)
    form = _notice_form(release, request.POST or None)
    if request.method == "POST" and _run_lines(form, lambda lines: release_services.release_delivery_notify(
            release=release, lines=lines, acting_user=request.user)):
        return step_done(request, _("The delivery notice of %(ref)s is given: the goods are confirmed delivered "
                                    "next.") % {"ref": release.reference})
    return _task_page(request, task, release, "confirming/release_task_delivery_notice.html", form,
                      400 if request.method == "POST" else 200)


def deliver_task(request, task):
    release = case_object(task)
    form = _confirm_form(release, request.POST or None)
    if request.method == "POST" and _run_lines(form, lambda lines: release_services.release_delivery_confirm(
            release=release, lines=lines, acting_user=request.user)):
        return step_done(request, _("Release %(ref)s delivered.") % {"ref": release.reference})
    return _task_page(request, task, release, "confirming/release_task_deliver.html", form,
                      400 if request.method == "POST" else 200)


# --- requesting a release -------------------------------------------------------------------------------------

class RequestForm(forms.Form):
    value = AmountField(label=gettext_lazy("Value of the goods to release"), max_digits=20, decimal_places=2,
                               min_value=Decimal("0.01"))


def _order_or_404(user, cw_order_pk: int) -> PurchaseOrder:
    try:
        return release_selectors.release_orders(user).get(pk=cw_order_pk)
    except (PurchaseOrder.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
def release_request_view(request, cw_order_pk: int):
    """The distributor asks for goods out, up to the value releasable now under the agreement's mode."""
    order = _order_or_404(request.user, cw_order_pk)
    if not permissions.can_request_release(request.user, order):
        raise Http404
    form = RequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                release = services.release_request(order=order, value=form.cleaned_data["value"],
                                                   acting_user=request.user)
            except ValidationError as error:
                for key, key_messages in getattr(error, "message_dict", {None: error.messages}).items():
                    form.add_error(key if key in form.fields else None, key_messages)
            except DomainError as error:
                form.add_error("value" if error.code == "release_exceeds_allowance" else None, error.message)
                status = error.http_status
            else:
                messages.success(request, _("Release %(ref)s requested: the lender's operations issue the release "
                                            "notice next.") % {"ref": release.reference})
                return redirect("confirming:release-detail", cw_release_pk=release.pk)
        order.refresh_from_db()
    return render(request, "confirming/release_request.html", {
        "order": order, "agreement": order.agreement, "form": form,
        "position": release_services.release_position(order)}, status=status)


# --- a release ------------------------------------------------------------------------------------------------

def _visible_release(user, cw_release_pk: int) -> ReleaseRequest:
    try:
        return release_selectors.release_visible_list(user).get(pk=cw_release_pk)
    except (ReleaseRequest.DoesNotExist, ValueError):
        raise Http404 from None


def _release_page(request, release: ReleaseRequest, status: int = 200, *, notice_form=None, confirm_form=None):
    user = request.user
    context = release_context(user, release)
    if context["may_notify_delivery"] and notice_form is None:
        notice_form = _notice_form(release)
    if context["may_confirm_delivery"] and confirm_form is None:
        confirm_form = _confirm_form(release)
    return render(request, "confirming/release_detail.html", {
        **context,
        "documents": documents_visible_of(release, user=user),
        "history": history_for(release),
        "notice_form": notice_form,
        "confirm_form": confirm_form,
    }, status=status)


@login_required
@require_GET
def release_detail(request, cw_release_pk: int):
    """A release: its value, the goods its delivery notice named and delivered, its notices and history."""
    return _release_page(request, _visible_release(request.user, cw_release_pk))


def _release_action(request, cw_release_pk: int, act, done: str):
    release = _visible_release(request.user, cw_release_pk)
    try:
        act(release)
    except (DomainError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        release = _visible_release(request.user, cw_release_pk)
        return _release_page(request, release, status=getattr(error, "http_status", 400))
    messages.success(request, done % {"ref": release.reference})
    return redirect("confirming:release-detail", cw_release_pk=release.pk)


@login_required
@require_POST
def release_withdraw_view(request, cw_release_pk: int):
    """The distributor withdraws a request the lender has not noticed yet."""
    return _release_action(request, cw_release_pk,
                           lambda release: services.release_withdraw(release=release, acting_user=request.user),
                           _("Release %(ref)s withdrawn: its value may be requested again."))


@login_required
@require_POST
def release_notice_view(request, cw_release_pk: int):
    """The lender's operations issue the release notice."""
    return _release_action(request, cw_release_pk,
                           lambda release: release_services.release_notice_issue(release=release,
                                                                                 acting_user=request.user),
                           _("The release notice of %(ref)s is issued: the seller gives its delivery notice next."))


def _lines_action(request, cw_release_pk: int, make_form, act, done: str, form_key: str):
    release = _visible_release(request.user, cw_release_pk)
    form = make_form(release, request.POST)
    if _run_lines(form, lambda lines: act(release, lines)):
        messages.success(request, done % {"ref": release.reference})
        return redirect("confirming:release-detail", cw_release_pk=release.pk)
    release = _visible_release(request.user, cw_release_pk)
    return _release_page(request, release, status=400, **{form_key: form})


@login_required
@require_POST
def release_delivery_notice_view(request, cw_release_pk: int):
    """The seller gives its delivery notice, naming the goods line by line."""
    return _lines_action(request, cw_release_pk, _notice_form,
                         lambda release, lines: release_services.release_delivery_notify(
                             release=release, lines=lines, acting_user=request.user),
                         _("The delivery notice of %(ref)s is given: the goods are confirmed delivered next."),
                         "notice_form")


@login_required
@require_POST
def release_delivery_confirm_view(request, cw_release_pk: int):
    """Whoever holds the goods confirms, line by line, what was delivered."""
    return _lines_action(request, cw_release_pk, _confirm_form,
                         lambda release, lines: release_services.release_delivery_confirm(
                             release=release, lines=lines, acting_user=request.user),
                         _("Release %(ref)s delivered."), "confirm_form")
