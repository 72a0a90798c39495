"""Portal pages: views parse input, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from scf.api.models import ApiToken
from scf.api.services import api_token_create
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.listing import list_page
from scf.facilities import permissions as facility_permissions
from scf.facilities import selectors as facility_selectors
from scf.facilities import services as facility_services
from scf.facilities.models import CreditFacility, FacilityLimitChange
from scf.parties import accounts
from scf.parties import selectors as party_selectors
from scf.parties import services as party_services
from scf.parties.models import KycDocument, Organization, SettlementAccount
from scf.parties.permissions import OPERATOR_ROLES, is_staff_of
from scf.parties.second_factor import confirmed_device, second_factor_failure_note
from workflows.inbox.selectors import InboxFilters, inbox_page

from . import filters as portal_filters
from .dashboard import client_dashboard, staff_dashboard
from .dashboard_charts import client_charts, staff_charts
from .forms import (
    FacilityForm,
    KycRejectForm,
    KycUploadForm,
    KycVerifyForm,
    LimitChangeDecisionForm,
    LimitChangeForm,
    SettlementAccountForm,
    SettlementAccountRejectForm,
    TokenForm,
)


def _form_errors_from(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _open_tasks(user):
    return inbox_page(user, InboxFilters(sort="oldest")).tasks[:10]


@login_required
def dashboard(request):
    user = request.user
    context = {"open_tasks": _open_tasks(user)}
    if user.is_superuser or user.is_lender_staff:
        facilities = facility_selectors.facility_list(user=user)
        context.update(
            template="portal/dashboard_staff.html",
            kyc_queue=party_selectors.kyc_review_queue(user)[:10],
            kyc_queue_count=party_selectors.kyc_review_queue(user).count(),
            facility_totals=[
                {**row, "label": CreditFacility.State(row["state"]).label}
                for row in facilities.order_by().values("state").annotate(
                    count=Count("id"), limit=Sum("limit_amount"), reserved=Sum("reserved_amount"),
                    outstanding=Sum("outstanding_amount"),
                ).order_by("state")
            ],
            expiring_facilities=facilities.filter(
                state=CreditFacility.State.ACTIVE,
                valid_to__lte=timezone.localdate() + timezone.timedelta(days=30),
            )[:10],
            limit_changes_to_review=_limit_changes_to_review(user),
            kyc_expiring=tenancy.visible(Organization, user).filter(
                kyc_state=Organization.KycState.VERIFIED,
                kyc_expires_on__lte=timezone.localdate() + timezone.timedelta(days=30),
            )[:10],
        )
        board = staff_dashboard(user=user)
        context.update(board=board, charts=staff_charts(board))
    else:
        organizations = party_selectors.user_organizations(user)
        my_roles: dict[int, list[str]] = {}
        for membership in user.memberships.all():
            my_roles.setdefault(membership.organization_id, []).append(membership.get_role_display())
        context.update(
            template="portal/dashboard_client.html",
            organizations=organizations,
            my_roles=my_roles,
        )
        board = client_dashboard(user=user)
        context.update(board=board, charts=client_charts(board), facilities=board.facilities)
    return render(request, context["template"], context)


@login_required
def organization_list(request):
    organizations = tenancy.visible(Organization, request.user)
    return list_page(request, portal_filters.ORGANIZATIONS, organizations, "portal/organization_list.html",
                     {"own_ids": party_selectors.user_organization_ids(request.user)})


def _can_see_kyc(user, organization) -> bool:
    return user.is_superuser or user.is_lender_staff or organization.pk in party_selectors.user_organization_ids(user)


def _can_review_kyc(user) -> bool:
    return user.has_perm("parties.review_kyc")


@login_required
def organization_detail(request, organization_pk: int):
    organization = tenancy.get_visible_or_404(Organization, request.user, pk=organization_pk)
    own = organization.pk in party_selectors.user_organization_ids(request.user)
    # Its administrators and operators, or its lender's staff onboarding it, prepare the KYC file.
    can_manage = party_services.kyc_can_prepare(request.user, organization)
    context = {
        "organization": organization,
        "own": own,
        "can_see_kyc": _can_see_kyc(request.user, organization),
        "can_manage_kyc": can_manage,
        "can_review_kyc": _can_review_kyc(request.user) and not own,
        # Four eyes: whoever submitted the file is not offered the verify button.
        "can_verify_kyc": party_services.kyc_can_verify(request.user, organization),
        "kyc_submitted_by_you": organization.kyc_submitted_by_id == request.user.pk,
        "facilities": facility_selectors.facility_list(user=request.user).filter(
            Q(obligor=organization) | Q(lender=organization)),
        "upload_form": KycUploadForm(),
        "reject_form": KycRejectForm(),
        "verify_form": KycVerifyForm(),
    }
    if context["can_see_kyc"]:
        context["kyc_documents"] = tenancy.visible(KycDocument, request.user).filter(organization=organization)
        context["history"] = history_for(organization)
    if own or request.user.is_lender_staff or request.user.is_superuser:
        context["members"] = organization.memberships.select_related("user").order_by("user__username", "role")
    return render(request, "portal/organization_detail.html", context)


def _organization_for_action(request, organization_pk: int) -> Organization:
    return tenancy.get_visible_or_404(Organization, request.user, pk=organization_pk)


@login_required
def kyc_upload(request, organization_pk: int):
    organization = _organization_for_action(request, organization_pk)
    if not party_services.kyc_can_prepare(request.user, organization):
        raise Http404
    form = KycUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            party_services.kyc_document_upload(organization=organization, kind=form.cleaned_data["kind"],
                                               uploaded_file=form.cleaned_data["file"], acting_user=request.user)
        except ValidationError as error:
            _form_errors_from(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Document uploaded."))
            return redirect("portal:organization-detail", organization_pk=organization.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/kyc_upload.html", {"organization": organization, "form": form}, status=status)


def _kyc_action(request, organization_pk: int, action) -> HttpResponse:
    organization = _organization_for_action(request, organization_pk)
    try:
        action(organization)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("portal:organization-detail", organization_pk=organization.pk)


@require_POST
@login_required
def kyc_submit(request, organization_pk: int):
    def action(organization):
        if not party_services.kyc_can_prepare(request.user, organization):
            raise Http404
        party_services.kyc_submit(organization=organization, acting_user=request.user)
        messages.success(request, _("KYC file submitted for review."))

    return _kyc_action(request, organization_pk, action)


@require_POST
@login_required
def kyc_verify(request, organization_pk: int):
    def action(organization):
        form = KycVerifyForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        party_services.kyc_verify(organization=organization, acting_user=request.user,
                                  note=form.cleaned_data["note"], expires_on=form.cleaned_data["expires_on"])
        messages.success(request, _("KYC verified."))

    return _kyc_action(request, organization_pk, action)


@require_POST
@login_required
def kyc_reject(request, organization_pk: int):
    def action(organization):
        form = KycRejectForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give the reason for rejecting."))
        party_services.kyc_reject(organization=organization, acting_user=request.user,
                                  note=form.cleaned_data["note"])
        messages.success(request, _("KYC rejected; the organization has been told why."))

    return _kyc_action(request, organization_pk, action)


@login_required
def kyc_document_download(request, kyc_document_pk: int):
    document = tenancy.get_visible_or_404(KycDocument, request.user, pk=kyc_document_pk)
    response = FileResponse(document.file.open("rb"), content_type=document.content_type,
                            as_attachment=True, filename=document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def kyc_review(request):
    if not _can_review_kyc(request.user):
        raise PermissionDenied
    return render(request, "portal/kyc_review.html", {
        "queue": party_selectors.kyc_review_queue(request.user).annotate(kyc_document_count=Count("kyc_documents")),
    })


@login_required
def facility_list(request):
    facilities = tenancy.visible(CreditFacility, request.user).select_related("lender", "obligor")
    return list_page(request, portal_filters.FACILITIES, facilities, "portal/facility_list.html",
                     {"can_create": request.user.has_perm("facilities.add_creditfacility")})


@login_required
def facility_detail(request, facility_pk: int):
    facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
    actions = []
    if request.user.is_lender_staff or request.user.is_superuser:
        for name, label in (("activate", _("Activate")), ("freeze", _("Freeze")),
                            ("unfreeze", _("Unfreeze")), ("close", _("Close"))):
            method = getattr(facility, name)
            if name == "activate" and facility.created_by_id == request.user.pk:
                continue  # four eyes: a second person activates what one proposed
            if has_transition_perm(method, request.user):
                actions.append((name, label))
    return render(request, "portal/facility_detail.html", {
        **_limit_change_context(request.user, facility),
        "facility": facility,
        "proposed_by_you": facility.state == CreditFacility.State.PROPOSED and facility.created_by_id == request.user.pk,
        "movements": facility.movements.select_related("actor").order_by("-id")[:100],
        "reservations": facility.reservations.order_by("-id")[:100],
        "history": history_for(facility),
        "actions": actions,
        "used_percent": int(facility.used_amount * 100 / facility.limit_amount) if facility.limit_amount else 0,
    })


@login_required
def facility_create(request):
    if not request.user.has_perm("facilities.add_creditfacility"):
        raise PermissionDenied
    lender = party_selectors.user_organizations(request.user).filter(is_lender=True).first()
    obligors = tenancy.visible(Organization, request.user).filter(is_lender=False).order_by("legal_name")
    form = FacilityForm(request.POST or None, obligors=obligors)
    if request.method == "POST" and form.is_valid():
        if lender is None:
            form.add_error(None, _("You are not staff of a lender."))
        else:
            try:
                facility = facility_services.facility_create(lender=lender, acting_user=request.user,
                                                             **form.cleaned_data)
            except ValidationError as error:
                _form_errors_from(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Facility %(ref)s proposed.") % {"ref": facility.reference})
                return redirect("portal:facility-detail", facility_pk=facility.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/facility_form.html", {"form": form}, status=status)


FACILITY_ACTIONS = facility_services.FACILITY_TRANSITIONS


@require_POST
@login_required
def facility_transition(request, facility_pk: int, action: str):
    facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
    service = FACILITY_ACTIONS.get(action)
    if service is None:
        raise Http404
    try:
        service(facility=facility, acting_user=request.user, note=request.POST.get("note", "").replace("\x00", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:facility-detail", facility_pk=facility.pk)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("portal:facility-detail", facility_pk=facility.pk)
    messages.success(request, _("Facility updated."))
    return redirect("portal:facility-detail", facility_pk=facility.pk)


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"],
                                           acting_user=request.user)
        form = TokenForm()
    return render(request, "portal/token_list.html", {
        "tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created_at"),
        "form": form, "new_key": new_key,
    })


@require_POST
@login_required
def token_revoke(request, token_pk: int):
    updated = ApiToken.objects.filter(user=request.user, pk=token_pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    if not updated:
        raise Http404
    messages.success(request, _("Token revoked."))
    return redirect(reverse("portal:token-list"))



# --- settlement accounts ----------------------------------------------------------------------

def _managed_organizations(user):
    """Return the organizations whose settlement accounts the user may add or change."""
    return Organization.objects.filter(memberships__user=user, memberships__role__in=OPERATOR_ROLES).distinct() \
        .order_by("legal_name")


ACCOUNT_FIELD_LABELS = {"bank_name": _lazy("Bank"), "branch": _lazy("Branch"), "account_name": _lazy("Account name"),
                        "account_number": _lazy("Account number"), "currency": _lazy("Currency")}


@login_required
def settlement_account_list(request):
    user = request.user
    status = request.GET.get("status") or ""
    if status not in SettlementAccount.Status.values:
        status = ""
    can_verify = accounts.can_verify_accounts(user)
    pending = []
    if can_verify:
        pending = list(accounts.settlement_account_list(user=user, status=SettlementAccount.Status.PENDING)[:200])
        for account in pending:
            account.refusal = accounts.four_eyes_refusal(user, account)
            account.holder_mismatch = accounts.holder_mismatch(account)
            account.previous = ({label: (account.previous_details.get(field), getattr(account, field))
                                 for field, label in ACCOUNT_FIELD_LABELS.items()}
                                if account.previous_details else None)
    managed = set(_managed_organizations(user).values_list("pk", flat=True))
    return render(request, "portal/settlement_accounts.html", {
        "asks_code": confirmed_device(user) is not None,
        "accounts": accounts.settlement_account_list(user=user, status=status or None)[:500],
        "pending": pending, "can_verify": can_verify, "managed_ids": managed, "can_add": bool(managed),
        "statuses": SettlementAccount.Status.choices, "status": status,
        "reject_form": SettlementAccountRejectForm(),
    })


def _account_form_page(request, form, account=None):
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/settlement_account_form.html", {"form": form, "account": account},
                  status=status)


@login_required
def settlement_account_create(request):
    organizations = _managed_organizations(request.user)
    if not organizations.exists():
        raise PermissionDenied
    form = SettlementAccountForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.settlement_account_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Account %(number)s added: the lender's operations verify it before money "
                                        "is paid into it.") % {"number": account.grouped_number})
            return redirect("portal:settlement-account-list")
    return _account_form_page(request, form)


@login_required
def settlement_account_edit(request, account_pk: int):
    account = tenancy.get_visible_or_404(SettlementAccount, request.user, pk=account_pk)
    if account.organization_id not in set(_managed_organizations(request.user).values_list("pk", flat=True)):
        raise Http404
    initial = {field: getattr(account, field) for field in (*accounts.PAYMENT_FIELDS, "is_default")}
    form = SettlementAccountForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.settlement_account_update(account=account, acting_user=request.user,
                                                         **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if account.status == SettlementAccount.Status.PENDING:
                messages.success(request, _("Account %(number)s changed: it receives no money until the lender's "
                                            "operations verify it again.") % {"number": account.grouped_number})
            else:
                messages.success(request, _("Account %(number)s updated.") % {"number": account.grouped_number})
            return redirect("portal:settlement-account-list")
    return _account_form_page(request, form, account)


def _account_review(request, account_pk: int, action) -> HttpResponse:
    account = tenancy.get_visible_or_404(SettlementAccount, request.user, pk=account_pk)
    try:
        action(account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("portal:settlement-account-list")


@require_POST
@login_required
def settlement_account_verify(request, account_pk: int):
    def action(account):
        try:
            accounts.settlement_account_verify(account=account, acting_user=request.user,
                                               note=request.POST.get("note", "").replace("\x00", ""),
                                               otp_code=request.POST.get("otp_code"),
                                               holder_checked=request.POST.get("holder_checked") == "on")
        except DomainError as error:
            second_factor_failure_note(user=request.user, error=error)
            raise
        messages.success(request, _("Account %(number)s of %(org)s verified: money may now be paid into it.")
                         % {"number": account.grouped_number, "org": account.organization.legal_name})

    return _account_review(request, account_pk, action)


@require_POST
@login_required
def settlement_account_reject(request, account_pk: int):
    def action(account):
        form = SettlementAccountRejectForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give the reason for rejecting."))
        accounts.settlement_account_reject(account=account, acting_user=request.user, note=form.cleaned_data["note"])
        messages.success(request, _("Account %(number)s of %(org)s rejected; the client reads why.")
                         % {"number": account.grouped_number, "org": account.organization.legal_name})

    return _account_review(request, account_pk, action)


# --- facility limit changes (four eyes) ---------------------------------------------------------

def _limit_changes_to_review(user):
    """Return the open limit changes of the user's lender that the user may decide (never their own)."""
    if not (user.is_superuser or user.has_perm(facility_permissions.DECIDE_PERMISSION)):
        return []
    return list(tenancy.visible(FacilityLimitChange, user).filter(state=FacilityLimitChange.State.PROPOSED)
                .exclude(proposed_by=user).select_related("facility__obligor", "proposed_by")
                .order_by("proposed_at")[:10])


def _limit_change_context(user, facility: CreditFacility) -> dict:
    """The limit-change cards of the facility page: the open proposal with what this user may do, and the history."""
    changes = list(facility_selectors.facility_limit_changes(facility=facility, user=user)[:50])
    pending = next((c for c in changes if c.state == FacilityLimitChange.State.PROPOSED), None)
    if pending is not None:
        pending.facility = facility
    return {
        "limit_changes": [c for c in changes if c is not pending],
        "show_limit_changes": is_staff_of(user, facility.lender_id),
        "pending_limit_change": pending,
        "can_propose_limit_change": pending is None and facility.state in (
            CreditFacility.State.ACTIVE, CreditFacility.State.FROZEN)
        and facility_permissions.can_propose_limit_change(user, facility),
        "can_decide_limit_change": pending is not None and facility_permissions.can_decide_limit_change(user, pending),
        "can_cancel_limit_change": pending is not None and facility_permissions.can_cancel_limit_change(user, pending),
        "limit_decision_form": LimitChangeDecisionForm(),
    }


@login_required
def facility_limit_change_propose(request, facility_pk: int):
    facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
    if not facility_permissions.can_propose_limit_change(request.user, facility):
        raise PermissionDenied
    form = LimitChangeForm(request.POST or None, initial={"new_limit": facility.limit_amount})
    if request.method == "POST" and form.is_valid():
        try:
            facility_services.facility_limit_change_propose(facility=facility, acting_user=request.user,
                                                            **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("New limit proposed: a second person reviews it before it applies."))
            return redirect("portal:facility-detail", facility_pk=facility.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/facility_limit_change_form.html", {"facility": facility, "form": form},
                  status=status)


@require_POST
@login_required
def facility_limit_change_decide(request, limit_change_pk: int, action: str):
    change = tenancy.get_visible_or_404(FacilityLimitChange, request.user, pk=limit_change_pk)
    service = facility_services.LIMIT_CHANGE_ACTIONS.get(action)
    if service is None:
        raise Http404
    form = LimitChangeDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(change=change, acting_user=request.user, note=note)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, {
            "approve": _("Limit change approved: the new limit applies now."),
            "reject": _("Limit change rejected."),
            "cancel": _("Limit change cancelled."),
        }[action])
    return redirect("portal:facility-detail", facility_pk=change.facility_id)
