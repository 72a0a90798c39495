"""Factoring pages in the portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from documents.forms import GenerateForm
from documents.selectors import documents_progress, documents_visible_of
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.listing import list_page
from scf.core.tabular import UploadUnreadable
from scf.parties.models import Organization
from scf.parties.selectors import acting_organizations
from scf.releases.selectors import releases_pending_for
from workflows.inbox.history import case_history
from workflows.inbox.progress import case_progress

from . import filters, permissions, services
from .forms import FinancingRequestForm, PayableForm, ReceivableForm, UploadForm
from .imports import receivables_import, upload_template
from .models import FactoringFinancing, Receivable
from .releases import write_off_prepare


@login_required
def financing_list(request):
    financings = tenancy.visible(FactoringFinancing, request.user).select_related("supplier", "debtor")
    context = {"can_request": _own_supplier(request.user) is not None}

    def priced(rows):
        # The advance is the supplier's price: a debtor sees the amount financed, not the advance.
        context["priced"] = permissions.pricing_visible_ids(request.user, rows)
        return rows

    return list_page(request, filters.financing_listing(request.user), financings, "factoring/financing_list.html",
                     context, rows=priced)


def _financeable(supplier: Organization):
    open_states = [s for s in FactoringFinancing.State.values if s not in services.CLOSED_STATES]
    return (Receivable.objects.filter(supplier=supplier, state__in=[Receivable.State.DRAFT, Receivable.State.SUBMITTED,
                                                                    Receivable.State.CONFIRMED])
            .exclude(financings__state__in=open_states).select_related("debtor").order_by("debtor_id", "due_date")[:200])


@login_required
def financing_request(request):
    """The supplier picks invoices on one debtor, sees the quote, and applies."""
    supplier = _own_supplier(request.user)
    if supplier is None:
        raise Http404
    candidates = list(_financeable(supplier))
    form = FinancingRequestForm(request.POST or None, receivables=candidates,
                                initial={"value_date": timezone.localdate()})
    quote = facility = value_date_note = None
    if request.method == "POST" and form.is_valid():
        chosen = [r for r in candidates if str(r.pk) in form.cleaned_data["receivables"]]
        value_date = form.cleaned_data["value_date"]
        try:
            if request.POST.get("action") == "apply":
                financing = services.financing_request_create(supplier=supplier, receivables=chosen,
                                                              value_date=value_date, acting_user=request.user)
                messages.success(request, _("Financing %(ref)s requested.") % {"ref": financing.reference})
                return redirect("factoring:financing-detail", financing_pk=financing.pk)
            services.check_request(supplier, chosen, value_date)
            facility = services.facility_for(supplier=supplier, debtor=chosen[0].debtor,
                                             reverse=all(r.reverse for r in chosen))
            quoted = services.financing_quote(facility=facility, receivables=chosen, value_date=value_date)
            services.check_headroom(facility=facility, advance=quoted.advance, user=request.user)
            quote, value_date_note = quoted, services.value_date_note(value_date, quoted.value_date)
            if not permissions.can_see_headroom(request.user, facility):
                facility = None  # reverse factoring: the core enterprise's facility is not the supplier's to see
        except ValidationError as error:
            for field_name, errors in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
        except DomainError as error:
            form.add_error(None, error.message)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "factoring/financing_request.html",
                  {"form": form, "quote": quote, "facility": facility, "supplier": supplier,
                   "value_date_note": value_date_note}, status=status)


@login_required
def financing_detail(request, financing_pk: int):
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    documents = documents_visible_of(financing, user=request.user)
    can_generate = (permissions.can_generate_contracts(request.user, financing) and financing.state in (
        FactoringFinancing.State.APPROVED, FactoringFinancing.State.CONTRACT_ISSUED)
        and not services.contracts_signed_by_anyone(financing))
    return render(request, "factoring/financing_detail.html", {
        "financing": financing,
        "receivables": financing.receivables.order_by("due_date", "invoice_number"),
        "documents": documents,
        "documents_progress": documents_progress(financing),
        "can_generate": can_generate,
        "generate_form": GenerateForm(initial={"agreement_language": services.agreement_language(financing)}),
        "history": case_history(financing, user=request.user, lender_id=financing.lender_id,
                                applicant_id=financing.supplier_id),
        "progress": case_progress(financing),
        "receipts": financing.receipts.all(),
        "pending_releases": releases_pending_for(financing, request.user),
        # The price of the financing is the supplier's and the lender's business, not the debtor's.
        "show_pricing": permissions.can_see_pricing(request.user, financing),
        "can_cancel": can_proceed(financing.cancel) and permissions.can_withdraw(request.user, financing),
        "can_write_off": financing.state in (FactoringFinancing.State.OVERDUE,
                                             FactoringFinancing.State.RECOURSE_CLAIMED)
        and permissions.can_write_off(request.user, financing),
    })


def _financing_action(request, financing_pk: int, act, done: str):
    """Run one POSTed action on a visible financing (a reason in `note`), report it, back to its page."""
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    try:
        act(financing=financing, acting_user=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": financing.reference})
    return redirect("factoring:financing-detail", financing_pk=financing.pk)


@require_POST
@login_required
def financing_cancel(request, financing_pk: int):
    """The supplier, or the lender's staff, withdraw a request before disbursement; the reason is required."""
    return _financing_action(request, financing_pk, services.financing_cancel, _("%(ref)s withdrawn."))


@require_POST
@login_required
def financing_write_off(request, financing_pk: int):
    """A risk manager or the credit committee writes off what is still owed; the reason is required."""
    return _financing_action(request, financing_pk, write_off_prepare,
                             _("Write-off of %(ref)s prepared: a second person entitled to it releases it on the "
                               "Releases page."))


@require_POST
@login_required
def financing_generate(request, financing_pk: int):
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the language of the agreement."))
    else:
        try:
            documents = services.financing_generate_contracts(
                financing=financing, language=form.cleaned_data["agreement_language"], acting_user=request.user)
        except (ValidationError, DomainError) as error:
            messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else error.message)
        else:
            messages.success(request, ngettext("%(count)d document generated.", "%(count)d documents generated.",
                                               len(documents)) % {"count": len(documents)} if documents
                             else _("The contracts are already in that language."))
    return redirect("factoring:financing-detail", financing_pk=financing.pk)


def _own_supplier(user) -> Organization | None:
    suppliers = acting_organizations(user=user, role="supplier")
    return suppliers[0] if suppliers else None


def _debtors_for(user, supplier: Organization):
    """The core enterprises this user may see: the supplier's trading counterparties."""
    return tenancy.visible(Organization, user).filter(is_core=True).exclude(pk=supplier.pk).order_by("legal_name")


def _own_core(user) -> Organization | None:
    cores = acting_organizations(user=user, role="core", membership_roles=["operator", "admin"])
    return cores[0] if len(cores) == 1 else None


def _apply_form_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for field_name, errors in error.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error("invoice_number" if error.code == "duplicate_receivable" else None, error.message)


@login_required
def receivable_list(request):
    """Suppliers register invoices; core enterprises register approved payables (reverse factoring)."""
    supplier = _own_supplier(request.user)
    core = _own_core(request.user) if supplier is None else None
    form = None
    if supplier is not None:
        form = ReceivableForm(request.POST or None, debtors=_debtors_for(request.user, supplier))
    elif core is not None:
        suppliers = tenancy.visible(Organization, request.user).filter(is_supplier=True).exclude(pk=core.pk)
        form = PayableForm(request.POST or None, suppliers=suppliers.order_by("legal_name"))
    elif request.method == "POST":
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            if supplier is not None:
                receivable = services.receivable_create(supplier=supplier, acting_user=request.user,
                                                        **form.cleaned_data)
            else:
                receivable = services.payable_create(debtor=core, acting_user=request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("Invoice %(number)s registered.") % {"number": receivable.invoice_number})
            return redirect("factoring:receivable-list")
    receivables = tenancy.visible(Receivable, request.user).select_related("supplier", "debtor")
    return list_page(request, filters.receivable_listing(), receivables, "factoring/receivable_list.html",
                     {"form": form, "supplier": supplier, "core": core},
                     status=400 if request.method == "POST" else None)


def _uploader(user):
    """The supplier uploading invoices or the core enterprise uploading approved payables; 404 to anyone else."""
    supplier = _own_supplier(user)
    core = _own_core(user) if supplier is None else None
    if supplier is None and core is None:
        raise Http404
    return supplier, core


@login_required
def receivable_upload_template(request):
    """The CSV to fill in for the upload, headed in the reader's language; 404 to whoever cannot upload."""
    supplier, core = _uploader(request.user)
    response = HttpResponse(upload_template(reverse=core is not None, language=get_language()),
                            content_type="text/csv; charset=utf-8")
    name = "approved-payables.csv" if core is not None else "invoices.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def receivable_upload(request):
    supplier, core = _uploader(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = receivables_import(supplier=supplier, debtor=core, data=form.cleaned_data["file"].read(),
                                            acting_user=request.user, only_valid=form.cleaned_data["only_valid"])
            except UploadUnreadable as error:
                form.add_error("file", str(error))
            except DomainError as error:
                form.add_error(None, error.message)
        if report is not None and report.saved:
            messages.success(request, ngettext("%(count)d invoice imported.", "%(count)d invoices imported.",
                                               report.created) % {"count": report.created})
            if not report.errors:
                return redirect("factoring:receivable-list")
        else:
            status = 400
    return render(request, "factoring/receivable_upload.html",
                  {"form": form, "report": report, "supplier": supplier, "core": core}, status=status)
