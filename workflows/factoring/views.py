"""Factoring pages in the portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.forms import GenerateForm
from documents.models import Document
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError

from django.core.exceptions import ValidationError
from django.http import Http404

from scf.parties.models import Organization

from . import services
from .forms import ReceivableForm, UploadForm
from .imports import UploadUnreadable, receivables_import
from .models import FactoringFinancing, Receivable
from .selectors import acting_suppliers


@login_required
def financing_list(request):
    financings = tenancy.visible(FactoringFinancing, request.user).select_related("supplier", "debtor")
    return render(request, "factoring/financing_list.html", {"financings": financings[:300]})


@login_required
def financing_detail(request, financing_pk: int):
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    documents = Document.objects.filter(content_type=ContentType.objects.get_for_model(financing),
                                        object_id=financing.pk).order_by("kind", "language", "-version")
    can_generate = (request.user.is_lender_staff or request.user.is_superuser) and financing.state in (
        FactoringFinancing.State.APPROVED, FactoringFinancing.State.CONTRACT_ISSUED)
    return render(request, "factoring/financing_detail.html", {
        "financing": financing,
        "receivables": financing.receivables.order_by("due_date", "invoice_number"),
        "documents": documents,
        "can_generate": can_generate,
        "generate_form": GenerateForm(initial={"languages": sorted({financing.supplier.preferred_language,
                                                                      financing.debtor.preferred_language})}),
        "history": history_for(financing),
    })


@require_POST
@login_required
def financing_generate(request, financing_pk: int):
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one language."))
    else:
        try:
            documents = services.financing_generate_contracts(
                financing=financing, languages=form.cleaned_data["languages"], acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(count)d documents generated.") % {"count": len(documents)})
    return redirect("factoring:financing-detail", financing_pk=financing.pk)


def _own_supplier(user) -> Organization | None:
    suppliers = acting_suppliers(user=user)
    return suppliers[0] if suppliers else None


def _debtors_for(user, supplier: Organization):
    """The core enterprises this user may see: the supplier's trading counterparties."""
    return tenancy.visible(Organization, user).filter(is_core=True).exclude(pk=supplier.pk).order_by("legal_name")


@login_required
def receivable_list(request):
    supplier = _own_supplier(request.user)
    form = None
    if supplier is not None:
        form = ReceivableForm(request.POST or None, debtors=_debtors_for(request.user, supplier))
        if request.method == "POST" and form.is_valid():
            try:
                receivable = services.receivable_create(supplier=supplier, acting_user=request.user,
                                                        **form.cleaned_data)
            except ValidationError as error:
                for field_name, errors in error.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, errors)
            except DomainError as error:
                form.add_error("invoice_number" if error.code == "duplicate_receivable" else None, error.message)
            else:
                messages.success(request, _("Invoice %(number)s registered.") % {"number": receivable.invoice_number})
                return redirect("factoring:receivable-list")
    elif request.method == "POST":
        raise Http404
    receivables = tenancy.visible(Receivable, request.user).select_related("supplier", "debtor")
    status = 400 if request.method == "POST" else 200
    return render(request, "factoring/receivable_list.html", {
        "receivables": receivables[:300], "form": form, "supplier": supplier,
    }, status=status)


@login_required
def receivable_upload(request):
    supplier = _own_supplier(request.user)
    if supplier is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = receivables_import(supplier=supplier, data=form.cleaned_data["file"].read(),
                                            acting_user=request.user, only_valid=form.cleaned_data["only_valid"])
            except UploadUnreadable as error:
                form.add_error("file", str(error))
            except DomainError as error:
                form.add_error(None, error.message)
        if report is not None and report.saved:
            messages.success(request, _("%(count)d invoices imported.") % {"count": report.created})
            if not report.errors:
                return redirect("factoring:receivable-list")
        else:
            status = 400
    return render(request, "factoring/receivable_upload.html",
                  {"form": form, "report": report, "supplier": supplier}, status=status)
