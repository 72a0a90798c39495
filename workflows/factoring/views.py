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

from . import services
from .models import FactoringFinancing


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
