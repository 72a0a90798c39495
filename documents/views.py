"""Portal pages for documents: list, detail with preview, download, signing; public verification."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.listing import list_page
from scf.parties.models import Membership
from scf.parties.second_factor import SECOND_FACTOR_ERRORS, confirmed_device, second_factor_failure_note

from . import issuing, services
from .filters import DOCUMENTS
from .forms import SignForm, VerifyForm
from .models import Document


def _error_field(form, error: DomainError) -> str | None:
    """Return the field a signing refusal belongs to: the password, the code, or the form as a whole."""
    if error.code == "wrong_password":
        return "password"
    if error.code in SECOND_FACTOR_ERRORS and "otp_code" in form.fields:
        return "otp_code"
    return None


def _signable_organizations(document: Document, user) -> list:
    """The parties this user may still sign for on this document."""
    if document.state != Document.State.ISSUED:
        return []
    signed = set(document.signatures.values_list("organization_id", flat=True))
    signatory_of = set(Membership.objects.filter(user=user, role=Membership.Role.SIGNATORY)
                       .values_list("organization_id", flat=True))
    return [p.organization for p in document.document_parties.filter(must_sign=True).select_related("organization")
            if p.organization_id in signatory_of and p.organization_id not in signed]


def _parties_and_signatures(document: Document) -> list[tuple]:
    """Each party of the document with its signature, if any."""
    signed = {s.organization_id: s for s in document.signatures.select_related("organization")}
    return [(p, signed.get(p.organization_id)) for p in document.document_parties.select_related("organization")]


@login_required
def document_list(request):
    documents = tenancy.visible(Document, request.user).prefetch_related("document_parties__organization")
    return list_page(request, DOCUMENTS, documents, "portal/documents/list.html")


@login_required
def document_detail(request, document_pk: int):
    document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
    signable = _signable_organizations(document, request.user)
    parties = _parties_and_signatures(document)
    versions = Document.objects.filter(content_type=document.content_type, object_id=document.object_id,
                                       kind=document.kind).order_by("-version")
    return render(request, "portal/documents/detail.html", {
        "document": document, "parties": parties, "versions": versions,
        "sign_form": SignForm(organizations=signable, second_factor=confirmed_device(request.user) is not None)
        if signable else None,
        "missing": issuing.document_missing_signers(document),
    })


def _file_response(field, filename: str, inline: bool = False) -> FileResponse:
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type="application/pdf", as_attachment=not inline,
                            filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def document_pdf(request, document_pk: int):
    document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
    return _file_response(document.pdf, f"{document.number or document.kind}-v{document.version}.pdf",
                          inline=request.GET.get("inline") == "1")


@login_required
def document_final_pdf(request, document_pk: int):
    document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
    return _file_response(document.final_pdf, f"{document.number}-v{document.version}-signed.pdf")


def _preview_name(document: Document) -> str:
    return f"documents/previews/{document.pk}-v{document.version}-{document.sha256[:12]}.png"


@login_required
def document_preview(request, document_pk: int):
    """The first page as an image, made once with pdftoppm and kept beside the PDF."""
    document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
    if not document.pdf:
        raise Http404
    name = _preview_name(document)
    if not default_storage.exists(name):
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "doc.pdf"
            with document.pdf.open("rb") as handle:
                source.write_bytes(handle.read())
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source),
                            str(Path(tmp) / "page")], check=True, timeout=60)
            default_storage.save(name, ContentFile((Path(tmp) / "page.png").read_bytes()))
    with default_storage.open(name, "rb") as handle:
        return HttpResponse(handle.read(), content_type="image/png")


@require_POST
@login_required
def document_sign(request, document_pk: int):
    document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
    signable = _signable_organizations(document, request.user)
    form = SignForm(request.POST, organizations=signable,
                    second_factor=confirmed_device(request.user) is not None)
    if not signable:
        messages.error(request, _("There is nothing for you to sign on this document."))
        return redirect("documents:detail", document_pk=document.pk)
    if form.is_valid():
        organization = next(o for o in signable if o.pk == form.cleaned_data["organization"])
        try:
            services.document_sign(
                document=document, organization=organization, signer=request.user,
                password=form.cleaned_data["password"], ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", ""), otp_code=form.cleaned_data.get("otp_code"),
            )
        except DomainError as error:
            form.add_error(_error_field(form, error), error.message)
            second_factor_failure_note(user=request.user, error=error)
        else:
            messages.success(request, _("Signed for %(org)s.") % {"org": organization.legal_name})
            return redirect("documents:detail", document_pk=document.pk)
    return render(request, "portal/documents/detail.html", {
        "document": document, "parties": _parties_and_signatures(document), "sign_form": form,
        "versions": [document], "missing": issuing.document_missing_signers(document),
    }, status=400)


def verify(request):
    """Public: is this PDF one the service issued?"""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            try:
                if upload is not None:
                    result = services.document_verify(data=upload.read())
                else:
                    result = services.document_verify(sha256=form.cleaned_data["sha256"])
            except DomainError as error:
                form.add_error("file", error.message)
                status = 400
        else:
            status = 400
    return render(request, "portal/documents/verify.html", {"form": form, "result": result}, status=status)

