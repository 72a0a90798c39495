"""Release pages: the releases card of an agreement's collateral, a release, the split of a receipt, and the
task pages of the release's flow (issue the order, confirm the goods went out).

Each view parses its form, calls one service and renders; a refused call comes back with the errors in
the user's language and nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.parties.models import User
from workflows.inbox.steps import case_object, form_step

from . import permissions, selectors
from . import pledge_releases as services
from .models import CollateralIntake, PledgeAgreement, PledgedItem, PledgeRelease
from .pledge_releases import ReleaseRequestLine, SplitPart


def release_lines(release: PledgeRelease) -> list:
    """Return the release's lines with the receipt or lot number each names."""
    lines = list(release.lines.select_related("item__commodity", "item__receipt", "item__lot").order_by("pk"))
    for line in lines:
        item = line.item
        line.kind = "receipt" if item.receipt_id else "lot"
        line.number = item.receipt.number if item.receipt_id else item.lot.lot_number
    return lines


def release_context(user: User, release: PledgeRelease) -> dict:
    """Return what a release's page and its task pages show of it, and what this user may do on it."""
    return {
        "release": release,
        "agreement": release.agreement,
        "release_lines": release_lines(release),
        "may_order": services.can_issue_release_order(user, release),
        "may_execute": services.can_execute_release(user, release),
        "may_cancel": services.can_cancel_release(user, release),
    }


# --- task pages ----------------------------------------------------------------------------------------

class OrderForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the goods and the figures above"), required=True)


class ExecuteForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("The goods above went out of the warehouse"), required=True)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def order_task(request, task):
    release = case_object(task)
    return form_step(request, task, release, OrderForm(request.POST or None), "pledge/release_task_order.html",
                     lambda data: services.release_order_issue(release=release, acting_user=request.user),
                     _("The release order of %(ref)s is issued: the warehouse confirms the goods went out next."))


def confirm_task(request, task):
    release = case_object(task)
    return form_step(request, task, release, ExecuteForm(request.POST or None), "pledge/release_task_confirm.html",
                     lambda data: services.release_execute(release=release, acting_user=request.user,
                                                           note=data["note"]),
                     _("Release %(ref)s executed: the goods are no longer pledged."))


# --- the releases card of the agreement's collateral page ---------------------------------------------

def _number(item: PledgedItem) -> str:
    return item.receipt.number if item.receipt_id else item.lot.lot_number


def releases_card(user: User, agreement: PledgeAgreement) -> dict:
    """Return what the agreement's collateral page shows of its releases, for this user."""
    status = services.releasable_now(agreement)
    splittable = []
    if permissions.is_agreement_warehouse(user, agreement):
        pending = set(status.pending_quantities)
        splittable = [item for item in agreement.items.filter(status=PledgedItem.Status.PLEDGED, receipt__isnull=False)
                      .select_related("receipt", "commodity").order_by("receipt__number") if item.pk not in pending]
    return {
        "releasable": status,
        "releases": selectors.release_list(user=user, agreement=agreement)[:200],
        "can_request_release": services.can_request_release(user, agreement),
        "can_substitute": (agreement.kind == PledgeAgreement.Kind.DYNAMIC
                           and services.can_request_release(user, agreement)),
        "splittable": splittable,
        # The warehouse of a static pledge is not told the loan: what must stay would tell it E.
        "release_figures": (permissions.can_see_loan_figures(user, agreement)
                            or agreement.kind == PledgeAgreement.Kind.DYNAMIC),
    }


# --- requesting a release or a substitution ----------------------------------------------------------

class RequestNoteForm(forms.Form):
    substitution_for = forms.ModelChoiceField(
        label=gettext_lazy("Substitution for the new goods of"), queryset=CollateralIntake.objects.none(),
        required=False, empty_label=gettext_lazy("No: a release"),
        help_text=gettext_lazy("A dynamic pledge's substitution (换货): the new goods came in first, counted and "
                               "pledged; the old goods going out may be worth at most what they brought in, and "
                               "what stays at least the floor value."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)

    def __init__(self, *args, agreement: PledgeAgreement, **kwargs):
        super().__init__(*args, **kwargs)
        intakes = selectors.substitution_intakes(agreement)
        if agreement.kind == PledgeAgreement.Kind.DYNAMIC:
            self.fields["substitution_for"].queryset = intakes
        else:
            del self.fields["substitution_for"]


@dataclass
class RequestRow:
    """One pledged item on the request form: what may be chosen, what was entered, its errors."""

    item: PledgedItem
    number: str
    available: object
    value: str = ""
    errors: list = field(default_factory=list)


def _request_rows(agreement: PledgeAgreement, status, posted) -> list[RequestRow]:
    items = (agreement.items.filter(status=PledgedItem.Status.PLEDGED, quantity__gt=0)
             .select_related("commodity", "receipt", "lot").order_by("commodity__code", "pk"))
    rows = []
    for item in items:
        available = status.available(item)
        if available <= 0:
            continue
        rows.append(RequestRow(item=item, number=_number(item), available=available,
                               value=(posted.get(f"item-{item.pk}", "") or "").strip()))
    return rows


def _chosen_lines(rows: list[RequestRow]) -> tuple[list[ReleaseRequestLine], list[RequestRow]]:
    lines, chosen = [], []
    for row in rows:
        if not row.value:
            continue
        # A receipt is released whole: its box carries no quantity.
        lines.append(ReleaseRequestLine(row.item.pk, None if row.item.receipt_id else row.value))
        chosen.append(row)
    return lines, chosen


def _request_page(request, agreement, rows, form, status: int = 200, errors=None):
    releasable = services.releasable_now(agreement)
    intakes = []
    if "substitution_for" in form.fields:
        intakes = [{"intake": intake, "figures": services.substitution_figures(agreement, intake, releasable)}
                   for intake in form.fields["substitution_for"].queryset]
    substitution = "substitution_for" in form.fields and (
        request.GET.get("mode") == "substitution" or bool(request.POST.get("substitution_for")))
    return render(request, "pledge/release_request.html", {
        "agreement": agreement, "rows": rows, "form": form, "errors": errors or [], "releasable": releasable,
        "substitution": substitution,
        "loan_figures": permissions.can_see_loan_figures(request.user, agreement), "intakes": intakes,
    }, status=status)


@login_required
def release_request_view(request, agreement_pk: int):
    """The pledgor asks to release goods (a lot in part, a receipt whole), or to substitute them."""
    agreement = _agreement_or_404(request.user, agreement_pk)
    if not services.can_request_release(request.user, agreement):
        raise Http404
    posted = request.POST if request.method == "POST" else {}
    form = RequestNoteForm(request.POST if request.method == "POST" else None, agreement=agreement,
                           initial={"substitution_for": request.GET.get("substitution_for") or None})
    rows = _request_rows(agreement, services.releasable_now(agreement), posted)
    if request.method != "POST":
        return _request_page(request, agreement, rows, form)
    if not form.is_valid():
        return _request_page(request, agreement, rows, form, status=400)
    lines, chosen = _chosen_lines(rows)
    try:
        release = services.release_request(agreement=agreement, lines=lines, acting_user=request.user,
                                           note=form.cleaned_data["note"],
                                           substitution_for=form.cleaned_data.get("substitution_for"))
    except ValidationError as error:
        errors = []
        for key, key_messages in error.message_dict.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(chosen):
                chosen[int(parts[1])].errors.extend(key_messages)
            elif key in form.fields:
                form.add_error(key, key_messages)
            else:
                errors.extend(key_messages)
        return _request_page(request, agreement, rows, form, status=400, errors=errors)
    except DomainError as error:
        return _request_page(request, agreement, rows, form, status=error.http_status, errors=[error.message])
    if release.substitution_for_id:
        messages.success(request, _("Substitution %(ref)s requested: the lender's operations issue the release order "
                                    "next.") % {"ref": release.reference})
    else:
        messages.success(request, _("Release %(ref)s requested: the lender's operations issue the release order "
                                    "next.") % {"ref": release.reference})
    return redirect("pledge:release-detail", pledge_release_pk=release.pk)


def _agreement_or_404(user, agreement_pk: int) -> PledgeAgreement:
    try:
        return (selectors.collateral_agreements(user).select_related("lender", "pledgor", "warehouse", "facility")
                .get(pk=agreement_pk))
    except PledgeAgreement.DoesNotExist:
        raise Http404 from None


# --- a release ---------------------------------------------------------------------------------------

def _visible_release(user, pledge_release_pk: int) -> PledgeRelease:
    releases = tenancy.visible(PledgeRelease, user).select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse", "requested_by", "ordered_by",
        "executed_by", "cancelled_by", "substitution_for")
    try:
        return releases.get(pk=pledge_release_pk)
    except (PledgeRelease.DoesNotExist, ValueError):
        raise Http404 from None


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea, max_length=1000)


class ExecuteNoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000,
                           help_text=gettext_lazy("The truck, the delivery note: what identifies the goods out."))


def _release_page(request, release: PledgeRelease, status: int = 200):
    user = request.user
    return render(request, "pledge/release_detail.html", {
        **release_context(user, release),
        "documents": documents_visible_of(release, user=user),
        "history": history_for(release),
        "cancel_form": CancelForm(),
        "execute_form": ExecuteNoteForm(),
    }, status=status)


@login_required
@require_GET
def release_detail(request, pledge_release_pk: int):
    """A release: its lines, state, release order, history and what this user may do on it."""
    return _release_page(request, _visible_release(request.user, pledge_release_pk))


def _release_action(request, pledge_release_pk: int, act, done: str):
    release = _visible_release(request.user, pledge_release_pk)
    try:
        act(release)
    except (DomainError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        release.refresh_from_db()
        return _release_page(request, release, status=getattr(error, "http_status", 400))
    messages.success(request, done % {"ref": release.reference})
    return redirect("pledge:release-detail", pledge_release_pk=release.pk)


@login_required
@require_POST
def release_order_view(request, pledge_release_pk: int):
    """The lender's operations issue the release order to the warehouse."""
    return _release_action(request, pledge_release_pk,
                           lambda release: services.release_order_issue(release=release, acting_user=request.user),
                           _("The release order of %(ref)s is issued: the warehouse confirms the goods went out "
                             "next."))


@login_required
@require_POST
def release_execute_view(request, pledge_release_pk: int):
    """The agreement's warehouse confirms the goods went out."""
    form = ExecuteNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _release_action(request, pledge_release_pk,
                           lambda release: services.release_execute(release=release, acting_user=request.user,
                                                                    note=note),
                           _("Release %(ref)s executed: the goods are no longer pledged."))


@login_required
@require_POST
def release_cancel_view(request, pledge_release_pk: int):
    """The pledgor (before the order) or the lender's operations (until executed) cancel the release."""
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _release_action(request, pledge_release_pk,
                           lambda release: services.release_cancel(release=release, acting_user=request.user,
                                                                   reason=reason),
                           _("Release %(ref)s cancelled."))


# --- splitting a pledged receipt -------------------------------------------------------------------------

SPLIT_ROWS = 6


@dataclass
class SplitRow:
    number: str = ""
    quantity: str = ""
    errors: list = field(default_factory=list)


def _visible_item(user, pledged_item_pk: int) -> PledgedItem:
    items = tenancy.visible(PledgedItem, user).select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse", "receipt", "commodity")
    try:
        return items.get(pk=pledged_item_pk)
    except (PledgedItem.DoesNotExist, ValueError):
        raise Http404 from None


def _split_page(request, item, rows, errors=None, status: int = 200):
    return render(request, "pledge/receipt_split.html", {
        "item": item, "agreement": item.agreement, "rows": rows, "errors": errors or []}, status=status)


@login_required
def receipt_split_view(request, pledged_item_pk: int):
    """The agreement's warehouse splits a pledged receipt into new receipts whose quantities add up to it."""
    item = _visible_item(request.user, pledged_item_pk)
    if not permissions.is_agreement_warehouse(request.user, item.agreement) or item.receipt_id is None:
        raise Http404
    posted = request.POST if request.method == "POST" else {}
    rows = [SplitRow(number=(posted.get(f"part-{i}-number") or "").strip(),
                     quantity=(posted.get(f"part-{i}-quantity") or "").strip()) for i in range(SPLIT_ROWS)]
    if request.method != "POST":
        return _split_page(request, item, rows)
    filled = [row for row in rows if row.number or row.quantity]
    parts = [SplitPart(number=row.number, quantity=row.quantity) for row in filled]
    try:
        new_items = services.receipt_split(pledged_item=item, parts=parts, acting_user=request.user)
    except ValidationError as error:
        errors = []
        for key, key_messages in error.message_dict.items():
            bits = key.split(".")
            if bits[0] == "parts" and len(bits) == 3 and bits[1].isdigit() and int(bits[1]) < len(filled):
                filled[int(bits[1])].errors.extend(key_messages)
            else:
                errors.extend(key_messages)
        return _split_page(request, item, rows, errors, status=400)
    except DomainError as error:
        return _split_page(request, item, rows, [error.message], status=error.http_status)
    messages.success(request, _("Receipt %(number)s split into %(numbers)s: they stay pledged.")
                     % {"number": item.receipt.number,
                        "numbers": ", ".join(new.receipt.number for new in new_items)})
    return redirect("pledge:agreement-collateral", agreement_pk=item.agreement_id)
