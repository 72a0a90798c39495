"""The collateral pages: an agreement's valuation and intakes, the declaration, an intake, the goods to count.

The warehouse finds its work on "Goods to count" (a list page in its menu): declared intakes to count,
pledged goods lists to sign, notices of pledge to confirm (by signing the notice's receipt block).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from documents.selectors import documents_to_sign, documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError

from . import collateral, permissions, release_views, selectors
from .collateral_forms import IntakeLineFormSet, IntakeNoteForm, RefuseForm
from .models import CollateralIntake, PledgeAgreement, PledgedItem
from .valuation import agreement_valuation


def _agreement_or_404(user, agreement_pk: int) -> PledgeAgreement:
    try:
        return (selectors.collateral_agreements(user).select_related("lender", "pledgor", "warehouse", "facility")
                .get(pk=agreement_pk))
    except PledgeAgreement.DoesNotExist:
        raise Http404 from None


def _visible_intake(user, intake_pk: int) -> CollateralIntake:
    intakes = tenancy.visible(CollateralIntake, user).select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse", "declared_by", "counted_by")
    try:
        return intakes.get(pk=intake_pk)
    except (CollateralIntake.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_GET
def agreement_collateral(request, agreement_pk: int):
    """The agreement's valuation (each line priced, or marked stale or missing) and its intakes."""
    agreement = _agreement_or_404(request.user, agreement_pk)
    return render(request, "pledge/collateral_agreement.html", {
        "agreement": agreement,
        "valuation": agreement_valuation(agreement),
        "stored": selectors.stored_valuation_of(agreement),
        "loan_figures": permissions.can_see_loan_figures(request.user, agreement),
        "intakes": agreement.intakes.order_by("-created_at", "-pk"),
        "can_declare": (agreement.state == PledgeAgreement.State.ACTIVE
                        and permissions.can_declare_collateral(request.user, agreement)),
        **release_views.releases_card(request.user, agreement),
    })


def _line_formset(agreement: PledgeAgreement, data=None) -> IntakeLineFormSet:
    return IntakeLineFormSet(data, prefix="lines",
                             form_kwargs={"commodities": selectors.eligible_commodities(lender=agreement.lender)})


def _errors_to_forms(error: ValidationError, formset, note_form) -> None:
    """Put the service's `lines.<i>.<field>` errors on the line's form, the others on the formset or the note."""
    lines = [form for form in formset.forms if form.has_changed()]
    for key, messages_ in error.message_dict.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(lines):
            form = lines[int(parts[1])]
            form.add_error(parts[2] if parts[2] in form.fields else None, messages_)
        elif key == "note":
            note_form.add_error("note", messages_)
        else:
            note_form.add_error(None, messages_)


@login_required
def intake_declare(request, agreement_pk: int):
    """The pledgor declares receipts or lots under the agreement; refused lines come back with their errors."""
    agreement = _agreement_or_404(request.user, agreement_pk)
    if not permissions.can_declare_collateral(request.user, agreement):
        raise Http404
    formset = _line_formset(agreement, request.POST if request.method == "POST" else None)
    note_form = IntakeNoteForm(request.POST or None)
    if request.method == "POST":
        if formset.is_valid() and note_form.is_valid():
            try:
                intake = collateral.intake_declare(agreement=agreement, lines=formset.lines(),
                                                   note=note_form.cleaned_data["note"], acting_user=request.user)
            except ValidationError as error:
                _errors_to_forms(error, formset, note_form)
            except DomainError as error:
                note_form.add_error(None, error.message)
                return _declare_page(request, agreement, formset, note_form, status=error.http_status)
            else:
                messages.success(request, _("Intake %(ref)s declared: the warehouse counts the goods next.")
                                 % {"ref": intake.reference})
                return redirect("pledge:intake-detail", intake_pk=intake.pk)
        return _declare_page(request, agreement, formset, note_form, status=400)
    return _declare_page(request, agreement, formset, note_form)


def _declare_page(request, agreement, formset, note_form, status: int = 200):
    return render(request, "pledge/intake_declare.html", {
        "agreement": agreement, "formset": formset, "note_form": note_form}, status=status)


def _intake_page(request, intake: CollateralIntake, *, refuse_form=None, count_errors=None, status: int = 200):
    user = request.user
    agreement = intake.agreement
    items = list(intake.items.select_related("commodity", "receipt", "lot").order_by("pk"))
    may_count = permissions.can_count_intake(user, intake)
    posted = request.POST if request.method == "POST" else {}
    for item in items:
        item.number = item.receipt.number if item.receipt_id else item.lot.lot_number
        item.location = (item.receipt.location if item.receipt_id else item.lot.location) or ""
        # Never prefilled with the declared quantity: the warehouse enters what it counted.
        item.count_value = posted.get(f"count-{item.pk}", "")
        item.count_errors = (count_errors or {}).get(f"counts.{item.pk}", [])
    to_sign = []
    if permissions.is_agreement_warehouse(user, agreement):
        to_sign = documents_to_sign(intake, agreement.warehouse)
    return render(request, "pledge/intake_detail.html", {
        "intake": intake, "agreement": agreement, "items": items,
        "documents": documents_visible_of(intake, user=user),
        "to_sign": to_sign,
        "may_count": may_count,
        "refuse_form": refuse_form or (RefuseForm() if may_count else None),
        "count_errors": [m for key, ms in (count_errors or {}).items() if not key.startswith("counts.") for m in ms],
        "may_issue_notice": permissions.can_issue_pledge_notice(user, intake),
        "may_withdraw": permissions.can_withdraw_intake(user, intake),
        "history": history_for(intake),
    }, status=status)


@login_required
@require_GET
def intake_detail(request, intake_pk: int):
    """An intake: its lines, the count and refusal for the warehouse, its documents, the notice for operations."""
    return _intake_page(request, _visible_intake(request.user, intake_pk))


@login_required
@require_POST
def intake_count(request, intake_pk: int):
    """The warehouse confirms the quantity counted on every line (count-<item id>)."""
    intake = _visible_intake(request.user, intake_pk)
    counts = {item_pk: request.POST.get(f"count-{item_pk}", "")
              for item_pk in intake.items.exclude(status=PledgedItem.Status.REFUSED).values_list("pk", flat=True)}
    try:
        collateral.intake_count(intake=intake, counts=counts, acting_user=request.user)
    except ValidationError as error:
        return _intake_page(request, intake, count_errors=error.message_dict, status=400)
    except DomainError as error:
        messages.error(request, error.message)
        return _intake_page(request, intake, status=error.http_status)
    messages.success(request, _("Count of %(ref)s confirmed: sign the pledged goods list.") % {"ref": intake.reference})
    return redirect("pledge:intake-detail", intake_pk=intake.pk)


@login_required
@require_POST
def intake_refuse(request, intake_pk: int):
    """The warehouse refuses the intake, saying why."""
    intake = _visible_intake(request.user, intake_pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _intake_page(request, intake, refuse_form=form, status=400)
    try:
        collateral.intake_refuse(intake=intake, reason=form.cleaned_data["reason"], acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return _intake_page(request, intake, refuse_form=form, status=error.http_status)
    messages.success(request, _("Intake %(ref)s refused.") % {"ref": intake.reference})
    return redirect("pledge:intake-detail", intake_pk=intake.pk)


def _intake_action(request, intake_pk: int, act, done: str):
    intake = _visible_intake(request.user, intake_pk)
    try:
        act(intake=intake, acting_user=request.user)
    except (DomainError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        return _intake_page(request, intake, status=getattr(error, "http_status", 400))
    messages.success(request, done % {"ref": intake.reference})
    return redirect("pledge:intake-detail", intake_pk=intake.pk)


@login_required
@require_POST
def intake_issue_notice(request, intake_pk: int):
    """The lender's operations issue the notice of pledge to the warehouse."""
    return _intake_action(request, intake_pk, collateral.intake_issue_notice,
                          _("Notice of pledge for %(ref)s issued: the warehouse confirms it next."))


@login_required
@require_POST
def intake_withdraw(request, intake_pk: int):
    """The pledgor withdraws a declaration not yet counted."""
    return _intake_action(request, intake_pk, collateral.intake_withdraw, _("Intake %(ref)s withdrawn."))


@login_required
@require_GET
def goods_to_count(request):
    """The warehouse's work: intakes to count, goods lists to sign, notices of pledge to confirm."""
    if not permissions.is_warehouse_member(request.user):
        raise Http404
    rows = []
    for intake in selectors.intakes_to_count(user=request.user)[:300]:
        if intake.state == CollateralIntake.State.DECLARED:
            action = _("Count the goods")
        elif intake.state == CollateralIntake.State.COUNTED:
            action = (_("Sign the pledged goods list") if documents_to_sign(intake, intake.agreement.warehouse)
                      else _("Waiting for the lender's notice of pledge"))
        else:
            action = (_("Confirm the notice of pledge") if documents_to_sign(intake, intake.agreement.warehouse)
                      else _("Waiting for the notice of pledge to be issued"))
        rows.append({"intake": intake, "action": action})
    return render(request, "pledge/collateral_goods_to_count.html", {
        "rows": rows, "releases": selectors.releases_to_execute(user=request.user)[:300],
        "stock_agreements": selectors.agreements_to_stock_count(user=request.user)[:300]})
