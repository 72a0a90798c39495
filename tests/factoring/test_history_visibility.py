"""A financing's history: the lender's comments and the supplier's credit file stay with those they are for."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from scf.parties.demo import MINIMAL_PDF
from workflows.factoring import services
from workflows.inbox.history import case_history
from workflows.inbox.models import DocumentRequest

from .test_financing_attachments import ASKED, _under_review

INTERNAL = "Within appetite; debtor rated A."
RETURN_NOTE = "We need the accounts."


def _financing_with_a_credit_file(world, on_commit=None):
    """`on_commit`: pytest-django's django_capture_on_commit_callbacks, to issue the contracts at approval."""
    financing = _under_review(world)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment=RETURN_NOTE, requested_document=ASKED)
    services.financing_attach(financing=financing, answers=DocumentRequest.objects.get(),
                              uploaded_file=SimpleUploadedFile("accounts.pdf", MINIMAL_PDF),
                              acting_user=world.supplier_user)
    services.financing_resubmit(financing=financing, acting_user=world.supplier_user)
    if on_commit is None:
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve",
                                         comment=INTERNAL)
    else:
        with on_commit(execute=True):  # the contracts issued: the signing tasks wait for them
            services.financing_review_decide(financing=financing, approver=world.officer, decision="approve",
                                             comment=INTERNAL)
    financing.refresh_from_db()
    return financing


def _read(world, user, financing):
    return case_history(financing, user=user, lender_id=world.lender.pk, applicant_id=world.supplier.pk)


def _page(user, financing) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/factoring/{financing.pk}/").content.decode()


def test_the_lenders_staff_read_everything(world):
    financing = _financing_with_a_credit_file(world)
    notes = [record.note for record in _read(world, world.risk, financing)]
    assert INTERNAL in notes and RETURN_NOTE in notes
    assert INTERNAL in _page(world.risk, financing)


def test_the_supplier_reads_why_it_was_returned_but_not_the_approvers_comments(world):
    financing = _financing_with_a_credit_file(world)
    records = _read(world, world.supplier_user, financing)
    notes = [record.note for record in records]
    assert RETURN_NOTE in notes and INTERNAL not in notes
    assert any(record.action.endswith(".upload") for record in records)
    page = _page(world.supplier_user, financing)
    assert RETURN_NOTE in page and INTERNAL not in page


def test_the_debtor_reads_the_steps_without_the_suppliers_credit_file_or_the_lenders_notes(world):
    financing = _financing_with_a_credit_file(world)
    records = _read(world, world.debtor_user, financing)
    actions = {record.action.rsplit(".", 1)[-1] for record in records}
    assert "approve" in actions and "submit" in actions
    assert not actions & {"return_for_revision", "resubmit", "ask_document", "upload"}
    page = _page(world.debtor_user, financing)
    for secret in (INTERNAL, RETURN_NOTE, ASKED, "accounts.pdf"):
        assert secret not in page


def test_the_approvals_card_on_a_task_page_is_for_the_lenders_staff_only(world, django_capture_on_commit_callbacks):
    financing = _financing_with_a_credit_file(world, django_capture_on_commit_callbacks)
    assert financing.state in ("approved", "contract_issued")
    client = Client()
    client.force_login(world.debtor_user)
    links = re.findall(r'href="/inbox/(\d+)/"', client.get(reverse("inbox:list")).content.decode())
    assert links, "the debtor has its signing task"
    page = client.get(reverse("inbox:task", kwargs={"task_pk": int(links[0])})).content.decode()
    assert financing.reference in page
    assert INTERNAL not in page and ">Approvals<" not in page
