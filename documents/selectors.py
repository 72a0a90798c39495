"""Reads for documents and their tenancy rule."""

from django.db.models import QuerySet

from scf.core import tenancy
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import Document


@tenancy.rule(Document)
def document_visible(user: User) -> QuerySet[Document]:
    """A document is seen by the parties named in it; lender staff see their lender's documents."""
    if user.is_superuser:
        return Document.objects.all()
    ids = user_organization_ids(user) | user_lender_ids(user)
    return Document.objects.filter(document_parties__organization_id__in=ids).distinct()


def document_list(*, user: User, kind: str | None = None, state: str | None = None, party: int | None = None,
                  date_from=None, date_to=None) -> QuerySet[Document]:
    qs = tenancy.visible(Document, user)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if party:
        qs = qs.filter(document_parties__organization_id=party)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.prefetch_related("document_parties__organization").distinct()
