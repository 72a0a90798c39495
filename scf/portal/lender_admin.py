"""A lender administrator's pages: the lender's staff and their groups, and its approval matrix.

Only a lender administrator of the lender reaches them (others: 403). A staff member is looked up
among the administrator's own lender's staff only, so another lender's user, a client's user or a
superuser answers 404 (before the permission check: staff of another lender learn nothing either).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.facilities.models import Product
from scf.parties import staff
from scf.parties.models import Organization, StaffGroup
from workflows.approval import selectors as matrix_selectors
from workflows.approval import services as matrix_services

# --- forms ----------------------------------------------------------------------------------------

STAFF_GROUP_CHOICES = StaffGroup.choices


class StaffGroupsForm(forms.Form):
    groups = forms.MultipleChoiceField(label=gettext_lazy("Groups"), choices=STAFF_GROUP_CHOICES,
                                       widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": gettext_lazy("Choose at least one staff group.")})


class StaffCreateForm(StaffGroupsForm):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("Email"))
    password = forms.CharField(
        label=gettext_lazy("Initial password"), strip=False, widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Give it to the new colleague in person; at the first sign-in they enrol an "
                               "authenticator app."))
    password_again = forms.CharField(label=gettext_lazy("Initial password, again"), strip=False,
                                     widget=forms.PasswordInput(render_value=False))

    field_order = ["username", "first_name", "last_name", "email", "groups", "password", "password_again"]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", ValidationError(_("The two passwords differ."), code="password_mismatch"))
        return data


DECISION_GROUP_CHOICES = [("", "—"), *((g.value, g.label) for g in matrix_selectors.DECISION_GROUPS)]


class TierForm(forms.Form):
    up_to_amount = AmountField(label=gettext_lazy("Up to (inclusive)"), required=False, max_digits=20,
                                      decimal_places=2,
                                      widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    first = forms.ChoiceField(label=gettext_lazy("First approver"), choices=DECISION_GROUP_CHOICES, required=False)
    second = forms.ChoiceField(label=gettext_lazy("Second approver"), choices=DECISION_GROUP_CHOICES,
                               required=False)
    third = forms.ChoiceField(label=gettext_lazy("Third approver"), choices=DECISION_GROUP_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def tier(self) -> matrix_services.TierSpec | None:
        """Return the tier the row describes, or None for an empty row."""
        data = self.cleaned_data
        groups = tuple(g for g in (data.get("first"), data.get("second"), data.get("third")) if g)
        if data.get("up_to_amount") is None and not groups:
            return None
        return matrix_services.TierSpec(up_to_amount=data.get("up_to_amount"), groups=groups)


TierFormSet = formset_factory(TierForm, extra=0, max_num=8, absolute_max=8, validate_max=True)
MATRIX_ROWS = 6


# --- who ------------------------------------------------------------------------------------------

def _administered_lender(request) -> Organization:
    lender = staff.administered_lender(request.user)
    if lender is None:
        raise PermissionDenied
    return lender


def _member(request, staff_pk: int):
    """Return (lender, member) for an object page: 404 outside the user's lender's staff, then 403."""
    lender = staff.staff_lender(request.user)
    if lender is None:
        raise Http404
    member = staff.staff_member_get(lender=lender, pk=staff_pk)
    if not staff.can_administer(request.user, lender):
        raise PermissionDenied
    return lender, member


def _errors_on(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- staff ----------------------------------------------------------------------------------------

@login_required
def staff_list(request):
    lender = _administered_lender(request)
    return render(request, "portal/lender_admin/staff_list.html", {
        "lender": lender, "rows": staff.staff_rows(lender=lender),
    })


@login_required
def staff_create(request):
    lender = _administered_lender(request)
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = staff.staff_member_create(
                lender=lender, username=data["username"], first_name=data["first_name"],
                last_name=data["last_name"], email=data["email"], groups=data["groups"], password=data["password"],
                acting_user=request.user)
        except ValidationError as error:
            _errors_on(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(name)s joined the staff. Hand over the initial password in person; at "
                                        "the first sign-in they enrol an authenticator app.")
                             % {"name": member.get_full_name() or member.username})
            return redirect("portal:staff-list")
    return render(request, "portal/lender_admin/staff_form.html", {"lender": lender, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def staff_detail(request, staff_pk: int):
    lender, member = _member(request, staff_pk)
    current = [g for g in StaffGroup.values if g in member.staff_groups()]
    form = StaffGroupsForm(request.POST or None, initial={"groups": current})
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_member_set_groups(lender=lender, member=member, groups=form.cleaned_data["groups"],
                                          acting_user=request.user)
        except ValidationError as error:
            _errors_on(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The groups of %(name)s are saved.")
                             % {"name": member.get_full_name() or member.username})
            return redirect("portal:staff-detail", staff_pk=member.pk)
    row = next(r for r in staff.staff_rows(lender=lender) if r["user"].pk == member.pk)
    return render(request, "portal/lender_admin/staff_detail.html", {
        "lender": lender, "member": member, "row": row, "form": form, "is_you": member.pk == request.user.pk,
    }, status=400 if request.method == "POST" else 200)


def _staff_action(request, staff_pk: int, action, done: str):
    lender, member = _member(request, staff_pk)
    try:
        action(lender=lender, member=member, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"name": member.get_full_name() or member.username})
    return redirect("portal:staff-detail", staff_pk=member.pk)


@require_POST
@login_required
def staff_deactivate(request, staff_pk: int):
    return _staff_action(request, staff_pk, staff.staff_member_deactivate,
                         _("%(name)s is deactivated and can no longer sign in."))


@require_POST
@login_required
def staff_reactivate(request, staff_pk: int):
    return _staff_action(request, staff_pk, staff.staff_member_reactivate, _("%(name)s can sign in again."))


@require_POST
@login_required
def staff_second_factor_reset(request, staff_pk: int):
    return _staff_action(request, staff_pk, staff.staff_member_second_factor_reset,
                         _("The authenticator app of %(name)s is removed: at the next sign-in they enrol a new "
                           "one."))


# --- approval matrix ------------------------------------------------------------------------------

ALL_SCOPE = "all"


def _scope(slug: str) -> tuple[str, str]:
    """Return (product, label) for a scope in an address: "all" or a product code."""
    if slug == ALL_SCOPE:
        return matrix_selectors.ALL_PRODUCTS, _("All products")
    if slug in Product.values:
        return slug, str(Product(slug).label)
    raise Http404


def _slug(product: str) -> str:
    return product or ALL_SCOPE


@login_required
def approval_matrix(request):
    lender = _administered_lender(request)
    rows = matrix_selectors.approval_matrix_page(lender=lender)
    return render(request, "portal/lender_admin/approval_matrix.html", {
        "lender": lender, "rows": [(row, _slug(row.scope)) for row in rows],
    })


def _initial_rows(lender: Organization, product: str) -> list[dict]:
    tiers, _source = matrix_selectors.approval_tiers_in_force(product=product, lender=lender)
    rows = []
    for tier in tiers:
        groups = [*tier.groups, "", "", ""][:3]
        rows.append({"up_to_amount": tier.up_to_amount, "first": groups[0], "second": groups[1], "third": groups[2]})
    return rows + [{}] * max(MATRIX_ROWS - len(rows), 1)


@login_required
def approval_matrix_edit(request, scope: str):
    lender = _administered_lender(request)
    product, label = _scope(scope)
    formset = TierFormSet(request.POST or None, initial=None if request.POST else _initial_rows(lender, product),
                          prefix="tier")
    errors: list[str] = []
    if request.method == "POST":
        if formset.is_valid():
            tiers = [t for t in (form.tier() for form in formset.forms) if t is not None]
            try:
                matrix_services.approval_matrix_set(lender=lender, product=product, tiers=tiers,
                                                    acting_user=request.user)
            except ValidationError as error:
                errors = list(error.messages)
            except DomainError as error:
                errors = [error.message]
            else:
                messages.success(request, _("The approval matrix for %(scope)s is saved: cases opened from now on "
                                            "follow it; open cases keep their approvers.") % {"scope": label})
                return redirect("portal:approval-matrix")
        else:
            errors = [_("Correct the amounts marked below.")] if formset.management_form.is_valid() else [
                _("The form was incomplete; start again.")]
    in_force, source = matrix_selectors.approval_tiers_in_force(product=product, lender=lender)
    return render(request, "portal/lender_admin/approval_matrix_form.html", {
        "lender": lender, "formset": formset, "errors": errors, "scope": scope, "scope_label": label,
        "source_label": matrix_selectors.Source.LABELS[source],
    }, status=400 if request.method == "POST" else 200)


@require_POST
@login_required
def approval_matrix_reset(request, scope: str):
    lender = _administered_lender(request)
    product, label = _scope(scope)
    try:
        removed = matrix_services.approval_matrix_reset(lender=lender, product=product, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if removed:
            messages.success(request, _("Your bank's own tiers for %(scope)s are removed: cases opened from now on "
                                        "follow the matrix in force shown below.") % {"scope": label})
        else:
            messages.info(request, _("Your bank has no tiers of its own for %(scope)s.") % {"scope": label})
    return redirect("portal:approval-matrix")
