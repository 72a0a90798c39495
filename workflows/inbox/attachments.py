"""Files attached to a case, and the documents a lender asks for when it returns a case.

Generic: the case is any business object (a factoring financing, ...). The product decides who may
attach and when (its own service calls `attachment_add`); here the file is checked by its content
(the KYC upload's check, `scf.parties.validators.inspect_upload`, with the attachment size limit),
stored under its SHA-256 and recorded on the case's audit trail.

An attachment and a request are the business of the party asked (the applicant) and of the
lender's staff, never of the case's other parties (a debtor does not read its supplier's accounts).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.core import tenancy
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids
from scf.parties.validators import inspect_upload

from .models import CaseAttachment, DocumentRequest


def _of(case: models.Model) -> dict:
    return {"case_type": ContentType.objects.get_for_model(type(case)), "case_id": case.pk}


def _party_or_lender(model: type[models.Model], user: User) -> QuerySet:
    if user.is_superuser:
        return model.objects.all()
    return model.objects.filter(Q(organization_id__in=user_organization_ids(user))
                                | Q(lender_id__in=user_lender_ids(user)))


@tenancy.rule(CaseAttachment)
def attachment_visible(user: User) -> QuerySet[CaseAttachment]:
    """The party that attached a file and the lender's staff see it."""
    return _party_or_lender(CaseAttachment, user)


@tenancy.rule(DocumentRequest)
def document_request_visible(user: User) -> QuerySet[DocumentRequest]:
    """The party asked and the lender's staff see a request for a document."""
    return _party_or_lender(DocumentRequest, user)


# --- reads --------------------------------------------------------------------------------------

def attachments_of(case: models.Model, *, user: User) -> QuerySet[CaseAttachment]:
    """Return the files attached to `case` that `user` may see, oldest first."""
    return (tenancy.visible(CaseAttachment, user).filter(**_of(case))
            .select_related("uploaded_by", "organization", "request"))


def document_requests_of(case: models.Model, *, user: User) -> QuerySet[DocumentRequest]:
    """Return the documents asked for on `case` that `user` may see, oldest first."""
    return (tenancy.visible(DocumentRequest, user).filter(**_of(case))
            .select_related("requested_by").prefetch_related("attachments"))


def document_requests_open(case: models.Model) -> QuerySet[DocumentRequest]:
    """Return the documents asked for on `case` that nothing was attached for yet."""
    return DocumentRequest.objects.filter(**_of(case), fulfilled_at__isnull=True)


# --- writes -------------------------------------------------------------------------------------

@audited
def document_request_create(*, case: models.Model, organization: Organization, lender: Organization,
                            description: str, acting_user: User) -> DocumentRequest:
    """Record that the lender asks `organization` for a document on `case` (named in words)."""
    description = (description or "").strip()
    if not description:
        raise ValidationError({"requested_document": _("Name the document to ask for.")}, code="required")
    request = DocumentRequest(**_of(case), organization=organization, lender=lender, description=description,
                              requested_by=acting_user)
    try:
        request.full_clean()
    except ValidationError as error:
        raise ValidationError({"requested_document": error.message_dict.get("description", error.messages)}) \
            from None
    request.save()
    audit_record(action="inbox.document_request.ask_document", target=case, actor=acting_user,
                 note=description)
    return request


@audited
def attachment_add(*, case: models.Model, organization: Organization, lender: Organization, uploaded_file,
                   acting_user: User, title: str = "", answers: DocumentRequest | None = None) -> CaseAttachment:
    """Attach a file to `case` for `organization`, checked by content and size; answer `answers` with it.

    Refused (ValidationError by field, nothing stored) when the file is missing, too large, empty,
    not really a PDF, PNG or JPEG, damaged, already attached to the case, when it has no title and
    answers no request, or when the request it answers is not an open one of this case and party.
    """
    if not uploaded_file:
        raise ValidationError({"file": _("Choose a file to attach.")}, code="required")
    try:
        content_type, digest, size = inspect_upload(uploaded_file, max_bytes=settings.CASE_ATTACHMENT_MAX_BYTES)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from None
    where = _of(case)
    if answers is not None:
        answers = DocumentRequest.objects.select_for_update().filter(pk=answers.pk).first()
        if (answers is None or answers.case_type_id != where["case_type"].pk or answers.case_id != case.pk
                or answers.organization_id != organization.pk):
            raise ValidationError({"document_request": _("This document was not asked of you on this case.")},
                                  code="invalid")
        if not answers.is_open:
            raise ValidationError({"document_request": _("A file was already attached for “%(document)s”.")
                                   % {"document": answers.description}}, code="fulfilled")
    title = (title or "").strip() or (answers.description if answers else "")
    if not title:
        raise ValidationError({"title": _("Say what the document is.")}, code="required")
    earlier = CaseAttachment.objects.filter(**where, sha256=digest).first()
    if earlier is not None:
        raise ValidationError({"file": _("This file is already attached to the case (as “%(title)s”).")
                               % {"title": earlier.title}}, code="duplicate")
    attachment = CaseAttachment(**where, organization=organization, lender=lender, title=title[:200],
                                request=answers, original_name=(uploaded_file.name or "upload")[:255],
                                content_type=content_type, size=size, sha256=digest, uploaded_by=acting_user)
    # Its fields as typed; not its relations, which are the objects given, nor the file's uniqueness on the case,
    # looked for above and kept by the unique index (one statement each it would ask again).
    attachment.full_clean(exclude=["file", "case_type", "organization", "lender", "request", "uploaded_by"],
                          validate_unique=False, validate_constraints=False)
    attachment.file.save(digest, uploaded_file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:  # the same file attached at the same moment by another request
        raise ValidationError({"file": _("This file is already attached to the case.")}, code="duplicate") from None
    if answers is not None:
        answers.fulfilled_at = timezone.now()
        answers.save(update_fields=["fulfilled_at"])
    audit_record(action="inbox.case_attachment.upload", target=case, actor=acting_user,
                 note=f"{attachment.title} {attachment.original_name} sha256={digest}")
    return attachment
