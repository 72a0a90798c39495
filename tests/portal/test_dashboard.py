"""The portal dashboards' figures (scf/portal/dashboard.py), worked by hand, and pages whose query count is fixed.

Day T = 2026-03-02. The lender's book in CNY (advance or principal outstanding; F = factoring financing):

    F1 debtor D1, disbursed         100,000.00  due T      (maturity week 1, days 0–6)
    F2 debtor D1, disbursed          50,000.00  due T+6    (week 1, its last day)
    F3 debtor D2, disbursed, reverse 30,000.00  due T+7    (week 2)
    F4 debtor D2, overdue            20,000.00  due T−30   (30 days overdue: 1–30)
    F5 debtor D3, overdue            10,000.00  due T−31   (31: 31–60)
    F6 debtor D3, recourse claimed    5,000.00  due T−90   (90: 61–90)
    F7 debtor D3, overdue             1,000.00  due T−91   (91: over 90)
    F9 debtor D4, disbursed           4,000.00  due T+30   (outside the 30 days T … T+29)
    F8 settled (nothing outstanding) and another lender's 999,999.00: not counted
    pledge drawdown of pledgor P     60,000.00  maturity T+29 (week 5, days 28–29)
    confirming order of distributor Q: P 100,000.00 − M 30,000.00 = 70,000.00, maturity T+14 (week 3)

Exposure 350,000.00 over 10 cases: factoring 190,000.00 (7) = 54.2857 % → 54.3 %; reverse factoring
30,000.00 → 8.5714 % → 8.6 %; pledge 60,000.00 → 17.1429 % → 17.1 %; confirming 70,000.00 → 20.0 %.
Counterparties: D1 150,000.00 (42.857 → 42.9 %), Q 70,000.00 (20.0 %), P 60,000.00 (17.1 %), D2 50,000.00
(14.286 → 14.3 %), D3 16,000.00 (4.571 → 4.6 %), D4 4,000.00 (1.143 → 1.1 %). Shares round half up to 0.1 %.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from scf.collections.models import Receipt
from scf.collections.services import receipt_record_unmatched
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Organization, StaffGroup
from scf.portal.dashboard import (
    Book,
    ageing_bucket,
    client_dashboard,
    live_book,
    month_starts,
    share_percent,
    staff_dashboard,
    top_counterparties,
)
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.models import CaseProcess
from workflows.pledge.models import PledgeAgreement, PledgeDrawdown

pytestmark = pytest.mark.django_db

D = Decimal
T = datetime.date(2026, 3, 2)
NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 12, 0))


def days(n: int) -> datetime.date:
    return T + datetime.timedelta(days=n)


def financing(*, lender, facility, supplier, debtor, user, outstanding: str, due: int, state="disbursed",
              reverse=False, disbursed_on=None) -> FactoringFinancing:
    n = FactoringFinancing.objects.count() + 1
    advance = D(outstanding) if D(outstanding) else D("1000.00")
    due_date = days(due)
    return FactoringFinancing.objects.create(
        reference=f"FF-DASH-{n:05d}", facility=facility, supplier=supplier, debtor=debtor, lender=lender,
        currency="CNY", confirmed_amount=advance, advance_rate=D("1"), annual_rate=D("0.065"), fee_rate=D("0"),
        day_count="ACT/360", interest_mode="advance", value_date=due_date - datetime.timedelta(days=90),
        due_date=due_date, advance_amount=advance, tenor_days=90, interest_amount=D("0.00"),
        fee_amount=D("0.00"), net_disbursement=advance, all_in_rate=D("0.065"), reverse=reverse, state=state,
        prepared_by=user, advance_outstanding=D(outstanding), disbursed_on=disbursed_on)


@pytest.fixture
def book(lender, staff_user, corporate):
    officer = staff_user(StaffGroup.CREDIT_OFFICER, "officer")
    supplier, supplier_user = corporate("supplier", is_supplier=True)
    debtors = [OrganizationFactory(legal_name=f"Debtor {i}", is_core=True) for i in range(1, 5)]
    facility = FacilityFactory(lender=lender, obligor=supplier, product=Product.FACTORING,
                               limit_amount=D("1000000.00"), reserved_amount=D("100000.00"),
                               outstanding_amount=D("233333.33"))
    FacilityFactory(lender=lender, obligor=supplier, product=Product.FACTORING, limit_amount=D("500000.00"),
                    outstanding_amount=D("250000.00"))
    FacilityFactory(lender=lender, obligor=supplier, product=Product.FACTORING, limit_amount=D("9000000.00"),
                    state=CreditFacility.State.FROZEN)
    d1, d2, d3, d4 = debtors
    common = {"lender": lender, "facility": facility, "supplier": supplier, "user": officer}
    financing(debtor=d1, outstanding="100000.00", due=0, disbursed_on=datetime.date(2026, 3, 1), **common)
    financing(debtor=d1, outstanding="50000.00", due=6, disbursed_on=datetime.date(2026, 2, 28), **common)
    financing(debtor=d2, outstanding="30000.00", due=7, reverse=True, **common)
    financing(debtor=d2, outstanding="20000.00", due=-30, state="overdue", disbursed_on=datetime.date(2025, 4, 1),
              **common)
    financing(debtor=d3, outstanding="10000.00", due=-31, state="overdue", disbursed_on=datetime.date(2025, 3, 31),
              **common)
    financing(debtor=d3, outstanding="5000.00", due=-90, state="recourse_claimed", **common)
    financing(debtor=d3, outstanding="1000.00", due=-91, state="overdue", **common)
    financing(debtor=d4, outstanding="4000.00", due=30, **common)
    financing(debtor=d4, outstanding="0.00", due=5, state="settled", **common)
    other = LenderFactory(legal_name="Other Bank")
    other_facility = FacilityFactory(lender=other, obligor=supplier)
    financing(debtor=d1, outstanding="999999.00", due=1, lender=other, facility=other_facility, supplier=supplier,
              user=officer)

    pledgor, pledgor_user = corporate("pledgor", is_supplier=True)
    warehouse = OrganizationFactory(legal_name="Warehouse", is_warehouse=True)
    pledge_facility = FacilityFactory(lender=lender, obligor=pledgor, product=Product.PLEDGE,
                                      limit_amount=D("5000000.00"))
    agreement = PledgeAgreement.objects.create(
        reference="PA-DASH-1", lender=lender, pledgor=pledgor, warehouse=warehouse, facility=pledge_facility,
        currency="CNY", maximum_amount=D("3000000.00"), annual_rate=D("0.055"), start_date=days(-60),
        end_date=days(300), prepared_by=officer, principal_outstanding=D("60000.00"))
    PledgeDrawdown.objects.create(agreement=agreement, reference="PD-DASH-1", amount=D("60000.00"),
                                  maturity_date=days(29), state="disbursed", requested_by=pledgor_user,
                                  disbursed_on=T, principal_outstanding=D("60000.00"))

    distributor, distributor_user = corporate("distributor", is_distributor=True, is_supplier=False)
    seller = OrganizationFactory(legal_name="Seller", is_core=True)
    confirming_facility = FacilityFactory(lender=lender, obligor=distributor, product=Product.CONFIRMING,
                                          limit_amount=D("5000000.00"))
    guarantee = FacilityFactory(lender=lender, obligor=seller, product=Product.CONFIRMING,
                                limit_amount=D("4000000.00"))
    cw = ConfirmingAgreement.objects.create(
        reference="CA-DASH-1", form="three_party", lender=lender, seller=seller, distributor=distributor,
        facility=confirming_facility, guarantee_facility=guarantee, currency="CNY", limit_amount=D("3000000.00"),
        annual_rate=D("0.045"), start_date=days(-60), end_date=days(300), prepared_by=officer)
    PurchaseOrder.objects.create(
        agreement=cw, reference="CO-DASH-1", currency="CNY", route="loan", order_amount=D("100000.00"),
        initial_margin=D("30000.00"), margin_paid=D("30000.00"), state="funded", funded_on=datetime.date(2026, 2, 15),
        maturity_date=days(14), loan_principal=D("70000.00"), prepared_by=officer)

    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    suspense = receipt_record_unmatched(lender=lender, amount=D("1000.00"), value_date=T, bank_reference="B2",
                                        payer_name="Unknown", acting_user=ops)
    receipt = {"lender": lender, "currency": "CNY", "kind": Receipt.Kind.UNMATCHED, "entry": suspense.entry}
    Receipt.objects.create(bank_reference="B1", value_date=datetime.date(2026, 3, 1), amount=D("12345.67"),
                           applied_advance=D("12345.67"), **receipt)
    Receipt.objects.create(bank_reference="B3", value_date=T, amount=D("500.00"), suspense=D("500.00"),
                           status=Receipt.Status.RETURNED,
                           **receipt)
    Receipt.objects.create(bank_reference="B4", value_date=T, amount=D("777.00"), suspense=D("777.00"),
                           status=Receipt.Status.SUSPENSE, **{**receipt, "lender": other})
    return {"officer": officer, "supplier_user": supplier_user, "pledgor_user": pledgor_user,
            "distributor_user": distributor_user, "debtors": debtors, "lender": lender, "other": other,
            "pledgor": pledgor, "distributor": distributor, "supplier": supplier}


def test_share_percent_rounds_half_up_to_a_tenth():
    assert share_percent(D("1"), D("16")) == D("6.3")  # 6.25
    assert share_percent(D("1"), D("8")) == D("12.5")
    assert share_percent(D("2"), D("3")) == D("66.7")
    assert share_percent(D("1"), D("3")) == D("33.3")
    assert share_percent(D("5"), D("0")) == D("0.0")


def test_ageing_bucket_edges():
    assert [ageing_bucket(n) for n in (1, 30, 31, 60, 61, 90, 91, 400)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_month_starts_cross_the_year():
    starts = month_starts(T)
    assert starts[0] == datetime.date(2025, 4, 1) and starts[-1] == datetime.date(2026, 3, 1) and len(starts) == 12


def test_staff_exposure_by_product_and_counterparty(book):
    board = staff_dashboard(user=book["officer"], today=T, now=NOW)
    rows = {(r.product, r.currency): (r.amount, r.cases, r.share) for r in board.exposure_by_product}
    assert rows == {
        (Product.FACTORING, "CNY"): (D("190000.00"), 7, D("54.3")),
        (Product.REVERSE_FACTORING, "CNY"): (D("30000.00"), 1, D("8.6")),
        (Product.PLEDGE, "CNY"): (D("60000.00"), 1, D("17.1")),
        (Product.CONFIRMING, "CNY"): (D("70000.00"), 1, D("20.0")),
    }
    assert board.exposure_totals["CNY"].amount == D("350000.00") and board.exposure_totals["CNY"].cases == 10
    d1, d2, d3, d4 = book["debtors"]
    parties = [(r.organization, r.amount, r.cases, r.share) for r in board.counterparties["CNY"]]
    assert parties == [(d1, D("150000.00"), 2, D("42.9")), (book["distributor"], D("70000.00"), 1, D("20.0")),
                       (book["pledgor"], D("60000.00"), 1, D("17.1")), (d2, D("50000.00"), 2, D("14.3")),
                       (d3, D("16000.00"), 3, D("4.6")), (d4, D("4000.00"), 1, D("1.1"))]


def test_counterparties_beyond_the_top_are_summed_as_one_row(book):
    live = live_book(Book(book["officer"], as_client=False), T)
    rows = top_counterparties(live.by_party, live.totals, top=2)["CNY"]
    assert [r.amount for r in rows] == [D("150000.00"), D("70000.00"), D("130000.00")]
    assert rows[-1].organization is None and rows[-1].cases == 7 and rows[-1].share == D("37.1")


def test_staff_maturities_by_week_and_overdue_ageing(book):
    board = staff_dashboard(user=book["officer"], today=T, now=NOW)
    weeks = board.maturities["CNY"]
    assert [(w.start, w.end) for w in weeks] == [(days(0), days(6)), (days(7), days(13)), (days(14), days(20)),
                                                 (days(21), days(27)), (days(28), days(29))]
    assert [w.amount for w in weeks] == [D("150000.00"), D("30000.00"), D("70000.00"), D("0.00"), D("60000.00")]
    assert [w.cases for w in weeks] == [2, 1, 1, 0, 1]
    assert [(b.amount, b.cases) for b in board.ageing["CNY"]] == [
        (D("20000.00"), 1), (D("10000.00"), 1), (D("5000.00"), 1), (D("1000.00"), 1)]


def test_staff_utilisation_flows_and_suspense(book):
    board = staff_dashboard(user=book["officer"], today=T, now=NOW)
    factoring = next(r for r in board.utilisation if r.product == Product.FACTORING)
    # Active only (the frozen 9,000,000.00 is out): (100,000 + 233,333.33 + 250,000) / 1,500,000 = 38.888… %.
    assert (factoring.facilities, factoring.limit, factoring.used, factoring.share) == (
        2, D("1500000.00"), D("583333.33"), D("38.9"))
    months = {m.month: (m.disbursed, m.collected) for m in board.flows["CNY"]}
    assert len(months) == 12
    # March: F1 100,000 + the drawdown 60,000; receipts 12,345.67 + 1,000.00 (suspense counts, returned not).
    assert months[datetime.date(2026, 3, 1)] == (D("160000.00"), D("13345.67"))
    assert months[datetime.date(2026, 2, 1)] == (D("120000.00"), D("0.00"))  # F2 50,000 + the order's loan 70,000
    assert months[datetime.date(2025, 4, 1)] == (D("20000.00"), D("0.00"))  # F5 on 2025-03-31 is before the window
    assert sum(d for d, _c in months.values()) == D("300000.00")
    assert [(r["currency"], r["receipts"], r["amount"]) for r in board.suspense] == [("CNY", 1, D("1000.00"))]


def test_staff_tasks_by_step_and_age(book):
    lender = book["lender"]
    org_ct = ContentType.objects.get_for_model(Organization)
    process = CaseProcess.objects.create(flow_class=FactoringFlow, product=Product.FACTORING, reference="FF-T",
                                         applicant=book["supplier"], currency="CNY", amount=D("1.00"))
    ages = [datetime.timedelta(hours=23), datetime.timedelta(days=1), datetime.timedelta(days=3),
            datetime.timedelta(days=6, hours=23), datetime.timedelta(days=7), datetime.timedelta(days=40)]
    for age in ages:
        Task.objects.create(process=process, flow_task=FactoringFlow.review, flow_task_type="HUMAN", status="NEW",
                            created=NOW - age, owner_permission="inbox.decide_as_credit_officer",
                            owner_permission_content_type=org_ct, owner_permission_obj_pk=str(lender.pk))
    Task.objects.create(process=process, flow_task=FactoringFlow.disburse, flow_task_type="HUMAN", status="NEW",
                        created=NOW, owner_permission="inbox.disburse", owner_permission_content_type=org_ct,
                        owner_permission_obj_pk=str(lender.pk))
    Task.objects.create(process=process, flow_task=FactoringFlow.review, flow_task_type="HUMAN", status="DONE",
                        created=NOW, owner_permission="inbox.decide_as_credit_officer",
                        owner_permission_content_type=org_ct, owner_permission_obj_pk=str(lender.pk))
    Task.objects.create(process=process, flow_task=FactoringFlow.review, flow_task_type="HUMAN", status="NEW",
                        created=NOW, owner_permission="inbox.decide_as_credit_officer",
                        owner_permission_content_type=org_ct, owner_permission_obj_pk=str(book["other"].pk))
    board = staff_dashboard(user=book["officer"], today=T, now=NOW)
    rows = {r.label: r.counts for r in board.tasks}
    review, disburse = str(FactoringFlow.review.task_title), str(FactoringFlow.disburse.task_title)
    # 23 h: under a day; 1 day and 3 days start their buckets; 6 d 23 h is still 3–7; 7 and 40 days: 7 or more.
    assert rows == {review: [1, 1, 2, 2], disburse: [1, 0, 0, 0]}


def test_another_lenders_staff_see_none_of_this_book(book):
    stranger = UserFactory(username="stranger")
    stranger.groups.add(*book["officer"].groups.all())
    MembershipFactory(user=stranger, organization=book["other"])
    board = staff_dashboard(user=stranger, today=T, now=NOW)
    assert [(r.product, r.amount) for r in board.exposure_by_product] == [(Product.FACTORING, D("999999.00"))]
    assert [r["amount"] for r in board.suspense] == [D("777.00")]
    assert board.ageing == {}
    assert [(r.facilities, r.limit) for r in board.utilisation] == [(1, D("1000000.00"))]


def test_client_dashboard_counts_only_its_own_organizations(book):
    supplier_board = client_dashboard(user=book["supplier_user"], today=T)
    # The supplier's financings at both lenders (it is a party to each), the nearest due first.
    assert [d.reference for d in supplier_board.dues][:2] == ["FF-DASH-00007", "FF-DASH-00006"]
    assert supplier_board.dues[0].overdue and supplier_board.dues[0].amount == D("1000.00")
    assert {r.product for r in supplier_board.utilisation} == {Product.FACTORING}
    assert sum(w.amount for w in supplier_board.maturities["CNY"]) == D("1179999.00")  # 150,000 + 30,000 + 999,999
    pledgor_board = client_dashboard(user=book["pledgor_user"], today=T)
    assert [(d.reference, d.amount, d.due_date) for d in pledgor_board.dues] == [
        ("PD-DASH-1", D("60000.00"), days(29))]
    assert pledgor_board.ageing == {}
    distributor_board = client_dashboard(user=book["distributor_user"], today=T)
    assert [(d.reference, d.amount) for d in distributor_board.dues] == [("CO-DASH-1", D("70000.00"))]
    assert [r.product for r in distributor_board.utilisation] == [Product.CONFIRMING]


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_counts_do_not_grow_with_the_book(book):
    client = Client()
    staff_before = _queries(client, book["officer"])
    supplier_before = _queries(client, book["supplier_user"])
    facility = CreditFacility.objects.filter(obligor=book["supplier"], state="active").first()
    more = OrganizationFactory(legal_name="More Debtor", is_core=True)
    for due in range(-100, 40, 4):
        financing(lender=book["lender"], facility=facility, supplier=book["supplier"], debtor=more,
                  user=book["officer"], outstanding="1234.56", due=due,
                  state="overdue" if due < 0 else "disbursed", disbursed_on=timezone.localdate())
    assert _queries(client, book["officer"]) == staff_before
    assert _queries(client, book["supplier_user"]) == supplier_before


def test_dashboard_pages_show_the_charts_with_their_tables_in_both_languages(book):
    client = Client()
    client.force_login(book["officer"])
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'role="img"' in page and 'aria-describedby="ageing-table"' in page
    assert "Exposure by counterparty" in page and "Debtor 1" in page
    assert "style=" not in page.split("<main", 1)[-1]
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "按交易对手的敞口" in page
    client.force_login(book["supplier_user"])
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'id="dues"' in page and "FF-DASH-00007" in page
