"""The monthly delivery reconciliation (发货对账): release notices against the goods delivered, line by line.

Worked by hand. The order under the world's four-party agreement, P = 565,000.00, margin paid in full:
  line A  螺纹钢 HRB400  100.000 t × 4,150.00 = 415,000.00
  line B  线材 Q235       50.000 t × 3,000.00 = 150,000.00
Releases (times in Asia/Shanghai):
  R-OCT-DONE  noticed 10-10, delivered 10-15: B 3.000 t = 9,000.00           delivered before November: left out
  R-OCT-OPEN  noticed 10-28, no delivery notice yet, value 50,000.00          awaiting delivery      50,000.00
  R-NOV-1     noticed 11-05, delivered 11-06: A 20.000 t = 83,000.00, all     matched
                                              B 10.000 t = 30,000.00, all     matched
  R-NOV-2     noticed 11-20, delivered 11-23: A 10.000 t = 41,500.00, 8.000   short 2.000 t × 4,150.00 = 8,300.00,
                                                                              delivered 41,500.00 − 8,300.00 = 33,200.00
  R-NOV-3     noticed 11-30 23:30, delivered 12-02: B 4.000 t = 12,000.00     awaiting at the month's end 12,000.00
  R-DEC       noticed 12-01 00:10 (11-30 16:10 UTC)                           December's: left out
November's totals: 4 release notices;
  notified  50,000.00 + 83,000.00 + 30,000.00 + 41,500.00 + 12,000.00 = 216,500.00
  delivered 83,000.00 + 30,000.00 + 33,200.00                           = 146,200.00
  short 8,300.00; awaiting 50,000.00 + 12,000.00 = 62,000.00 (216,500.00 − 146,200.00 = 70,300.00 = 8,300.00 + 62,000.00)
The first business day of December 2026 is Tuesday the 1st; of October 2026, Thursday the 8th (National Day 1–7).
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import zoneinfo
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.audit.services import history_for
from scf.core import jobs
from scf.core.exceptions import ActionNotPermitted
from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.confirming.models import (
    DeliveryReconciliation,
    OrderLine,
    PurchaseOrder,
    ReleaseLine,
    ReleaseRequest,
)
from workflows.confirming.reconciliation import (
    ReconciliationStateConflict,
    first_business_day,
    reconciliation_build,
    reconciliation_review,
    reconciliations_run_monthly,
)
from workflows.inbox.assignment import can_act
from workflows.inbox.services import process_for

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime.date(2026, 11, 1)
State = ReleaseRequest.State


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def order(world) -> PurchaseOrder:
    order = PurchaseOrder.objects.create(
        agreement=world.agreement, reference="CWO-REC-1", route=PurchaseOrder.Route.ACCEPTANCE_BILL,
        order_amount=D("565000.00"), initial_margin=D("169500.00"), margin_paid=D("565000.00"),
        allowed_value=D("565000.00"), released_value=D("300000.00"), funded_on=datetime.date(2026, 9, 1),
        maturity_date=datetime.date(2027, 2, 28), prepared_by=world.ops, state=PurchaseOrder.State.FUNDED)
    OrderLine.objects.create(order=order, description="螺纹钢 HRB400", unit="t", quantity=D("100.000"),
                             unit_price=D("4150.00"), amount=D("415000.00"))
    OrderLine.objects.create(order=order, description="线材 Q235", unit="t", quantity=D("50.000"),
                             unit_price=D("3000.00"), amount=D("150000.00"))
    return order


def release(world, order, reference, value, *, state, noticed, delivered=None, delivered_value="0.00", lines=()):
    """A release row as the services leave it; `lines` are (order line, quantity, value, quantity delivered)."""
    row = ReleaseRequest.objects.create(
        order=order, reference=reference, value=D(value), state=state, requested_by=world.distributor_user,
        noticed_by=world.ops, noticed_at=noticed, delivered_at=delivered, delivered_value=D(delivered_value))
    for line, quantity, line_value, delivered_quantity in lines:
        ReleaseLine.objects.create(release=row, order_line=line, quantity=D(quantity), value=D(line_value),
                                   delivered_quantity=D(delivered_quantity))
    return row


@pytest.fixture
def releases(world, order):
    a, b = order.lines.order_by("pk")
    return {
        "oct_done": release(world, order, "R-OCT-DONE", "10000.00", state=State.DELIVERED, noticed=at(10, 10),
                            delivered=at(10, 15), delivered_value="9000.00", lines=[(b, "3", "9000.00", "3")]),
        "oct_open": release(world, order, "R-OCT-OPEN", "50000.00", state=State.NOTICE_ISSUED, noticed=at(10, 28)),
        "nov_1": release(world, order, "R-NOV-1", "113000.00", state=State.DELIVERED, noticed=at(11, 5),
                         delivered=at(11, 6), delivered_value="113000.00",
                         lines=[(a, "20", "83000.00", "20"), (b, "10", "30000.00", "10")]),
        "nov_2": release(world, order, "R-NOV-2", "41500.00", state=State.DELIVERED, noticed=at(11, 20),
                         delivered=at(11, 23), delivered_value="33200.00", lines=[(a, "10", "41500.00", "8")]),
        "nov_3": release(world, order, "R-NOV-3", "12000.00", state=State.DELIVERED, noticed=at(11, 30, 23, 30),
                         delivered=at(12, 2), delivered_value="12000.00", lines=[(b, "4", "12000.00", "4")]),
        "dec": release(world, order, "R-DEC", "5000.00", state=State.NOTICE_ISSUED, noticed=at(12, 1, 0, 10)),
    }


@pytest.fixture
def other_lender_ops(db):
    lender = LenderFactory(legal_name="Other Lender 他行", legal_name_en="Other Lender")
    user = UserFactory(username="other-lender-ops")
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


def _rows(reconciliation):
    return [(line.release_reference, line.description, line.quantity_notified, line.value_notified,
             line.quantity_delivered, line.value_delivered, line.quantity_difference, line.value_difference,
             line.status) for line in reconciliation.lines.order_by("noticed_on", "release_id", "order_line_id")]


def test_november_sets_each_release_notice_against_the_goods_delivered_line_by_line(world, releases):
    reconciliation, built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert built
    assert _rows(reconciliation) == [
        ("R-OCT-OPEN", "", None, D("50000.00"), None, D("0.00"), None, D("50000.00"), "awaiting"),
        ("R-NOV-1", "螺纹钢 HRB400", D("20.000"), D("83000.00"), D("20.000"), D("83000.00"), D("0.000"), D("0.00"),
         "matched"),
        ("R-NOV-1", "线材 Q235", D("10.000"), D("30000.00"), D("10.000"), D("30000.00"), D("0.000"), D("0.00"),
         "matched"),
        ("R-NOV-2", "螺纹钢 HRB400", D("10.000"), D("41500.00"), D("8.000"), D("33200.00"), D("2.000"), D("8300.00"),
         "short"),
        ("R-NOV-3", "线材 Q235", D("4.000"), D("12000.00"), D("0.000"), D("0.00"), D("4.000"), D("12000.00"),
         "awaiting"),
    ]
    assert (reconciliation.release_count, reconciliation.notified_value, reconciliation.delivered_value,
            reconciliation.difference_value, reconciliation.awaiting_value) == (
        4, D("216500.00"), D("146200.00"), D("8300.00"), D("62000.00"))
    assert reconciliation.has_differences
    assert reconciliation.state == DeliveryReconciliation.State.OPEN


def test_a_month_delivered_in_full_shows_no_difference(world, order):
    a, _b = order.lines.order_by("pk")
    release(world, order, "R-NOV-1", "83000.00", state=State.DELIVERED, noticed=at(11, 5), delivered=at(11, 6),
            delivered_value="83000.00", lines=[(a, "20", "83000.00", "20")])
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert (reconciliation.notified_value, reconciliation.delivered_value, reconciliation.difference_value,
            reconciliation.has_differences) == (D("83000.00"), D("83000.00"), D("0.00"), False)
    # No difference: reviewed without a comment.
    reconciliation_review(reconciliation=reconciliation, comment="", acting_user=world.ops)
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.REVIEWED


def test_the_job_builds_once_on_the_first_business_day_for_the_month_before(world, releases):
    assert "confirming.delivery_reconciliation" in [job.name for job in jobs.daily_jobs()]
    assert reconciliations_run_monthly(datetime.date(2026, 12, 1)) == 1
    assert reconciliations_run_monthly(datetime.date(2026, 12, 1)) == 0  # run again: nothing more
    reconciliation = DeliveryReconciliation.objects.get()
    assert (reconciliation.agreement_id, reconciliation.period, reconciliation.difference_value,
            reconciliation.generated_by) == (world.agreement.pk, NOVEMBER, D("8300.00"), None)
    assert AuditRecord.objects.filter(action="confirming.reconciliation.generate").count() == 1


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 2), datetime.date(2026, 11, 30),
                                 datetime.date(2026, 10, 1), datetime.date(2026, 10, 7)])
def test_the_job_does_nothing_on_any_other_day(world, releases, day):
    assert reconciliations_run_monthly(day) == 0
    assert not DeliveryReconciliation.objects.exists()


def test_a_month_starting_on_holidays_is_reconciled_on_its_first_business_day(world, releases):
    assert first_business_day(datetime.date(2026, 10, 1)) == datetime.date(2026, 10, 8)
    assert reconciliations_run_monthly(datetime.date(2026, 10, 8)) == 1
    september = DeliveryReconciliation.objects.get()
    assert september.period == datetime.date(2026, 9, 1)
    assert (september.release_count, september.has_differences) == (0, False)  # nothing noticed by September's end


def test_an_open_reconciliation_is_rebuilt_in_place_a_reviewed_one_is_kept(world, order, releases):
    first, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    a, _b = order.lines.order_by("pk")
    release(world, order, "R-NOV-4", "4150.00", state=State.DELIVERED, noticed=at(11, 25), delivered=at(11, 26),
            delivered_value="4150.00", lines=[(a, "1", "4150.00", "1")])
    again, built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert built and again.pk == first.pk
    assert (again.release_count, again.notified_value, again.delivered_value) == (
        5, D("220650.00"), D("150350.00"))  # + 4,150.00 notified and delivered
    assert DeliveryReconciliation.objects.count() == 1
    assert again.lines.count() == 6

    reconciliation_review(reconciliation=again, comment="R-NOV-2 short 2 t: warehouse recount booked.",
                          acting_user=world.ops)
    release(world, order, "R-NOV-5", "8300.00", state=State.NOTICE_ISSUED, noticed=at(11, 28))
    kept, built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert not built and kept.pk == first.pk
    kept.refresh_from_db()
    assert (kept.state, kept.release_count, kept.notified_value, kept.lines.count()) == (
        DeliveryReconciliation.State.REVIEWED, 5, D("220650.00"), 6)


def test_the_job_does_not_rebuild_an_open_reconciliation(world, order, releases):
    reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    release(world, order, "R-NOV-5", "8300.00", state=State.NOTICE_ISSUED, noticed=at(11, 28))
    assert reconciliations_run_monthly(datetime.date(2026, 12, 1)) == 0
    assert DeliveryReconciliation.objects.get().notified_value == D("216500.00")


def test_review_with_differences_needs_a_comment_and_is_recorded(world, releases):
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    with pytest.raises(ValidationError) as refused:
        reconciliation_review(reconciliation=reconciliation, comment="   ", acting_user=world.ops)
    assert "comment" in refused.value.message_dict
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.OPEN

    reconciliation_review(reconciliation=reconciliation, comment="Short 2 t on R-NOV-2 claimed from the warehouse.",
                          acting_user=world.ops)
    reconciliation.refresh_from_db()
    assert (reconciliation.state, reconciliation.reviewed_by, reconciliation.review_comment) == (
        DeliveryReconciliation.State.REVIEWED, world.ops, "Short 2 t on R-NOV-2 claimed from the warehouse.")
    record = AuditRecord.objects.get(action="confirming.reconciliation.mark_reviewed")
    assert (record.source_state, record.target_state, record.actor) == ("open", "reviewed", world.ops)
    assert [entry.action_label for entry in history_for(reconciliation)][-1] == "Reviewed"
    with pytest.raises(ReconciliationStateConflict):
        reconciliation_review(reconciliation=reconciliation, comment="again", acting_user=world.ops)


def test_only_the_lenders_operations_build_or_review(world, releases, other_lender_ops):
    with pytest.raises(ActionNotPermitted):
        reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.distributor_user)
    with pytest.raises(ActionNotPermitted):
        reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=other_lender_ops)
    assert not DeliveryReconciliation.objects.exists()
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    with pytest.raises(ActionNotPermitted):
        reconciliation_review(reconciliation=reconciliation, comment="ok", acting_user=world.seller_user)
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.OPEN


def test_a_month_not_ended_cannot_be_reconciled(world):
    this_month = datetime.date.today().replace(day=1)
    with pytest.raises(ValidationError) as refused:
        reconciliation_build(agreement=world.agreement, period=this_month, acting_user=world.ops)
    assert "month" in refused.value.message_dict
    assert not DeliveryReconciliation.objects.exists()


# --- pages and API -------------------------------------------------------------------------------------------------

def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_operations_run_list_open_and_review_in_the_portal(world, releases):
    client = _client(world.ops)
    response = client.post(reverse("confirming:reconciliation-run"),
                           {"agreement": world.agreement.pk, "month": "2026-11"})
    reconciliation = DeliveryReconciliation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("confirming:reconciliation-detail",
                                           kwargs={"cw_reconciliation_pk": reconciliation.pk})
    listing = client.get(reverse("confirming:reconciliation-list"), {"month": "2026-11", "differences": "1"})
    assert listing.status_code == 200 and "2026-11" in listing.content.decode()
    assert "CWA-TEST-1" in listing.content.decode()
    empty = client.get(reverse("confirming:reconciliation-list"), {"differences": "0"})
    assert reverse("confirming:reconciliation-detail", kwargs={"cw_reconciliation_pk": reconciliation.pk}) \
        not in empty.content.decode()
    detail = client.get(reverse("confirming:reconciliation-detail", kwargs={"cw_reconciliation_pk": reconciliation.pk}))
    page = detail.content.decode()
    assert "8,300.00" in page and "33,200.00" in page and "216,500.00" in page and 'id="review"' in page
    client.post(reverse("confirming:reconciliation-review", kwargs={"cw_reconciliation_pk": reconciliation.pk}),
                {"comment": ""})
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.OPEN  # differences: a comment is required
    client.post(reverse("confirming:reconciliation-review", kwargs={"cw_reconciliation_pk": reconciliation.pk}),
                {"comment": "Checked with the warehouse."})
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.REVIEWED
    agreement_page = client.get(reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": world.agreement.pk}))
    assert reverse("confirming:reconciliation-list") in agreement_page.content.decode()


def test_the_run_refuses_a_month_not_ended_or_unreadable(world):
    client = _client(world.ops)
    for month in ("2026-13", "", datetime.date.today().strftime("%Y-%m")):
        response = client.post(reverse("confirming:reconciliation-run"),
                               {"agreement": world.agreement.pk, "month": month}, follow=True)
        assert response.status_code == 200
        assert response.context["messages"] and list(response.context["messages"])[0].level_tag == "error"
    assert not DeliveryReconciliation.objects.exists()


def test_parties_read_it_other_lenders_staff_get_404(world, releases, other_lender_ops, warehouse_user):
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    detail = reverse("confirming:reconciliation-detail", kwargs={"cw_reconciliation_pk": reconciliation.pk})
    review = reverse("confirming:reconciliation-review", kwargs={"cw_reconciliation_pk": reconciliation.pk})
    api_detail = reverse("api:confirming-reconciliation-detail", kwargs={"cw_reconciliation_pk": reconciliation.pk})
    other = _client(other_lender_ops)
    assert other.get(detail).status_code == 404
    assert other.post(review, {"comment": "x"}).status_code == 404
    assert other.get(api_detail).status_code == 404
    assert other.get(reverse("api:confirming-reconciliation-list")).json() == []
    assert "CWA-TEST-1" not in other.get(reverse("confirming:reconciliation-list")).content.decode()
    other.post(reverse("confirming:reconciliation-run"), {"agreement": world.agreement.pk, "month": "2026-10"})
    assert DeliveryReconciliation.objects.count() == 1
    for party in (world.distributor_user, world.seller_user, warehouse_user):
        page = _client(party).get(detail)
        assert page.status_code == 200 and "8,300.00" in page.content.decode()
        assert 'id="review"' not in page.content.decode()  # read only
    _client(world.distributor_user).post(review, {"comment": "fine"})
    reconciliation.refresh_from_db()
    assert reconciliation.state == DeliveryReconciliation.State.OPEN


@pytest.fixture
def warehouse_user(world):
    user = UserFactory(username="warehouse-op")
    MembershipFactory(user=user, organization=world.warehouse, role=Membership.Role.OPERATOR)
    return user


def test_api_lists_and_details_the_reconciliation(world, releases):
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    client = _client(world.ops)
    listed = client.get(reverse("api:confirming-reconciliation-list"), {"month": "2026-11", "differences": "true"})
    assert listed.status_code == 200
    assert [(row["id"], row["month"], row["difference_value"], row["awaiting_value"]) for row in listed.json()] == [
        (reconciliation.pk, "2026-11", "8300.00", "62000.00")]
    assert client.get(reverse("api:confirming-reconciliation-list"), {"differences": "false"}).json() == []
    detail = client.get(reverse("api:confirming-reconciliation-detail",
                                kwargs={"cw_reconciliation_pk": reconciliation.pk})).json()
    short = [line for line in detail["lines"] if line["status"] == "short"]
    assert [(line["release_reference"], line["quantity_difference"], line["value_difference"]) for line in short] == [
        ("R-NOV-2", "2.000", "8300.00")]
    bad = client.get(reverse("api:confirming-reconciliation-list"), {"month": "November"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"month"}
    bad = client.get(reverse("api:confirming-reconciliation-list"), {"differences": "maybe"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"differences"}


# --- operations' inbox -------------------------------------------------------------------------------------------

def open_tasks(reconciliation):
    return list(Task.objects.filter(process=process_for(reconciliation), status__in=["NEW", "ASSIGNED", "STARTED"]))


def test_differences_put_a_review_task_in_operations_inbox(world, releases, other_lender_ops):
    assert reconciliations_run_monthly(datetime.date(2026, 12, 1)) == 1
    reconciliation = DeliveryReconciliation.objects.get()
    process = process_for(reconciliation)
    # In the inbox: short 8,300.00 + awaiting 62,000.00 = 70,300.00 outstanding.
    assert (process.reference, process.amount) == ("CWA-TEST-1 2026-11", D("70300.00"))
    (review,) = open_tasks(reconciliation)
    assert review.flow_task.name == "review"
    assert can_act(world.ops, review)
    assert not can_act(world.distributor_user, review) and not can_act(other_lender_ops, review)
    assert _client(other_lender_ops).get(reverse("inbox:task", args=[review.pk])).status_code == 404
    ops = _client(world.ops)
    url = reverse("inbox:task", args=[review.pk])
    page = ops.get(url).content.decode()
    assert "8,300.00" in page and "R-NOV-2" in page
    assert ops.post(url, {"comment": ""}).status_code == 400  # differences: a comment is required
    assert ops.post(url, {"comment": "Warehouse recount booked."}).status_code == 302
    reconciliation.refresh_from_db()
    assert (reconciliation.state, reconciliation.review_comment) == (
        DeliveryReconciliation.State.REVIEWED, "Warehouse recount booked.")
    assert not open_tasks(reconciliation) and not process_for(reconciliation).is_open


def test_a_month_without_differences_opens_no_task_and_a_rebuild_without_them_closes_it(world, order, releases):
    # Only R-NOV-1 (delivered in full) in November's reach: the other notices are taken out of it.
    ReleaseRequest.objects.exclude(reference="R-NOV-1").update(noticed_at=None)
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert not reconciliation.has_differences and process_for(reconciliation) is None

    ReleaseRequest.objects.filter(reference="R-NOV-2").update(noticed_at=at(11, 20))
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert reconciliation.has_differences and len(open_tasks(reconciliation)) == 1
    ReleaseRequest.objects.filter(reference="R-NOV-2").update(noticed_at=None)
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    assert not reconciliation.has_differences and not open_tasks(reconciliation)
    assert not process_for(reconciliation).is_open


# --- the statement ------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
@pytest.mark.parametrize(("language", "title"), [("en", "DELIVERYRECONCILIATIONSTATEMENT"), ("zh-hans", "发货对账单")])
def test_the_review_issues_the_statement_with_the_figures_reviewed(world, releases, language, title,
                                                                   django_capture_on_commit_callbacks):
    world.distributor.preferred_language = language
    world.distributor.save(update_fields=["preferred_language"])
    reconciliation, _built = reconciliation_build(agreement=world.agreement, period=NOVEMBER, acting_user=world.ops)
    with django_capture_on_commit_callbacks(execute=True):
        reconciliation_review(reconciliation=reconciliation, comment="Short 2 t claimed.", acting_user=world.ops)
    document = Document.objects.get(kind="confirming_delivery_reconciliation", object_id=reconciliation.pk)
    # Nobody signs it: issued under the lender's seal.
    assert document.language == language and document.state in (Document.State.ISSUED, Document.State.SIGNED)
    text = pdf_text(document)
    for figure in (title, "R-NOV-2", "8,300.00", "33,200.00", "216,500.00", "146,200.00", "62,000.00", "2026-11"):
        assert figure in text
    page = _client(world.distributor_user).get(
        reverse("confirming:reconciliation-detail", kwargs={"cw_reconciliation_pk": reconciliation.pk}))
    assert document.display_number in page.content.decode()


def pdf_text(document: Document) -> str:
    with (document.final_pdf or document.pdf).open("rb") as handle:
        data = handle.read()
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", "", text)
