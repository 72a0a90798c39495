"""The supplier attaches a document to its request, from the revision task or the request's own page.

The form on the task page posts here; a refused file comes back on this page with the reason and
nothing stored (400), an accepted one goes back to where it was sent from.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from scf.core import tenancy
from scf.core.exceptions import DomainError
from workflows.inbox.attachments import document_requests_open
from workflows.inbox.steps import apply_errors

from .forms import AttachmentForm
from .models import FactoringFinancing
from .services import financing_attach


def _back(request, financing: FactoringFinancing) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk})


@login_required
def financing_attach_view(request, financing_pk: int):
    financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
    form = AttachmentForm(request.POST or None, request.FILES or None,
                          requests=document_requests_open(financing).filter(organization_id=financing.supplier_id))
    if request.method == "POST" and form.is_valid():
        try:
            attachment = financing_attach(financing=financing, uploaded_file=form.cleaned_data["file"],
                                          title=form.cleaned_data["title"],
                                          answers=form.cleaned_data["document_request"], acting_user=request.user)
        except (ValidationError, DomainError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("“%(title)s” attached to %(ref)s.")
                             % {"title": attachment.title, "ref": financing.reference})
            return redirect(_back(request, financing))
    status = 400 if request.method == "POST" else 200
    return render(request, "factoring/attach.html",
                  {"financing": financing, "form": form, "next": _back(request, financing)}, status=status)
