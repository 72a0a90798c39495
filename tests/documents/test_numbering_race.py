"""Gapless numbering under concurrent issuing, proven on PostgreSQL with real row locks."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from documents import issuing
from documents.models import Document, DocumentParty
from documents.rendering import RenderedPdf
from scf.core.models import NumberSequence
from scf.parties.demo import seed_demo
from workflows.factoring.models import FactoringFinancing

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks: set DATABASE_URL=postgres://user@host:5432/name")


def _clone_financings(count: int) -> list[FactoringFinancing]:
    original = FactoringFinancing.objects.order_by("pk").first()
    receivables = list(original.receivables.all())
    clones = []
    for i in range(count):
        clone = FactoringFinancing.objects.get(pk=original.pk)
        clone.pk = None
        clone.reference = f"FF-RACE-{i:03d}"
        clone.approval_case = None
        clone.save()
        clone.receivables.set(receivables)
        clones.append(clone)
    return clones


def test_twenty_concurrent_issues_take_consecutive_numbers(on_postgres, monkeypatch, seal_settings):
    seed_demo(password="Race-Pass-1", lifecycle=False)
    financings = _clone_financings(THREADS)
    content_type = ContentType.objects.get_for_model(FactoringFinancing)
    drafts = [Document.objects.create(kind="factoring_agreement", language="en", title="Factoring Agreement",
                                      content_type=content_type, object_id=f.pk) for f in financings]
    # An agreement waits for its signers once issued (one nobody signs would be sealed at once).
    for draft, financing in zip(drafts, financings, strict=True):
        DocumentParty.objects.create(document=draft, organization=financing.supplier, role="supplier", order=0,
                                     must_sign=True)
    # The race is about numbers, not layout: a cheap stand-in for the renderer keeps it fast.
    monkeypatch.setattr(issuing, "html_to_pdf", lambda html, **kw: RenderedPdf(b"%PDF-1.7 race", "0" * 64, 1))

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def issue(document_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            issuing.document_issue(document_id=document_id)
        except BaseException as error:  # report every failure, not only the first
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d.pk,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(Document.objects.filter(pk__in=[d.pk for d in drafts]).values_list("number", flat=True))
    assert numbers == [f"FAC-{year}-{n:06d}" for n in range(1, THREADS + 1)]  # no gap, no duplicate
    assert NumberSequence.objects.get(key="factoring_agreement", year=year).last_number == THREADS
    assert set(Document.objects.filter(pk__in=[d.pk for d in drafts]).values_list("state", flat=True)) == {"issued"}
