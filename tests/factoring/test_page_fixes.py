"""What each party sees on the factoring pages, and forms that read right in every language."""

import datetime
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from viewflow.workflow.models import Task

from documents.issuing import document_meta
from documents.models import Document
from scf.parties.models import Membership
from tests.factories import MembershipFactory
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.task_views import ReceiptForm

from .test_financing_lifecycle import _receivable
from .test_settlement import _disbursed


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_debtor_sees_only_its_own_documents_of_a_financing(world):
    financing = _disbursed(world)
    link = lambda kind: reverse("documents:detail", kwargs={  # noqa: E731
        "document_pk": Document.objects.get(object_id=financing.pk, kind=kind).pk})
    detail = reverse("factoring:financing-detail", args=[financing.pk])
    assert link("factoring_agreement") in _client(world.supplier_user).get(detail).content.decode()
    debtor_page = _client(world.debtor_user).get(detail).content.decode()
    # The agreement prices the advance: it is between the supplier and the lender.
    assert link("factoring_agreement") not in debtor_page
    assert link("notice_of_assignment") in debtor_page


def test_the_debtor_does_not_see_the_advance_on_the_list(world):
    financing = _disbursed(world)
    advance = f"{financing.advance_amount:,}"  # 760,000.00: 80 % of the 950,000.00 confirmed
    assert advance == "760,000.00"
    listing = reverse("factoring:financing-list")
    assert advance in _client(world.supplier_user).get(listing).content.decode()
    assert advance in _client(world.ops).get(listing).content.decode()
    debtor_list = _client(world.debtor_user).get(listing).content.decode()
    assert "950,000.00" in debtor_list and advance not in debtor_list


def test_a_refusal_on_a_task_page_is_said_once(world):
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    MembershipFactory(user=world.officer, organization=world.supplier, role=Membership.Role.OPERATOR)
    task = Task.objects.get(flow_task=FactoringFlow.review, status="NEW")
    url = reverse("inbox:task", kwargs={"task_pk": task.pk})
    page = _client(world.officer).post(url, {"decision": "approve", "comment": ""})
    assert page.status_code == 400
    assert page.content.decode().count("You are a member of") == 1
    financing.refresh_from_db()
    assert financing.state == "under_review"


def test_a_date_field_is_filled_in_chinese_as_in_english(world):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            html = str(ReceiptForm(initial={"value_date": datetime.date(2026, 12, 5)})["value_date"])
        assert re.search(r'type="date"[^>]*value="2026-12-05"|value="2026-12-05"[^>]*type="date"', html), html


def test_a_document_issued_after_midnight_in_shanghai_is_dated_that_day(world):
    document = Document(kind="factoring_agreement", language="zh-hans", title="x",
                        issued_at=datetime.datetime(2026, 12, 4, 17, 45, tzinfo=datetime.UTC))  # 01:45 on the 5th
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    assert document_meta(document)["issued_date"] == datetime.date(2026, 12, 5)


def test_the_token_page_shows_the_header_format(world):
    page = _client(world.supplier_user).get(reverse("portal:token-list")).content.decode()
    assert "Authorization: Token &lt;key&gt;" in page
