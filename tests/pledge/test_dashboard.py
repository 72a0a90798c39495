"""The collateral dashboard: every figure worked by hand, and a page whose query count does not grow.

Day D = 2026-03-02 (w 0.65, c 0.70, l 0.80; prices stale after 5 days). Approved prices: copper 10,000.00
on D−10, 9,000.00 then 9,500.00 on D−3 (of one date the last approved counts), 8,000.00 on D; battery
packs 2,000.00 on D−20 (stale on D: 20 > 5 days).

* A1, warehouse W1: 50.000 t copper, principal 200,000.00: V = 50 × 8,000 = 400,000.00, LTV 0.50, normal;
* A2, warehouse W1: 30.000 t copper, principal 170,000.00: V = 240,000.00, LTV = 170/240 = 0.708333, call;
* A3, warehouse W2: 10 packs at 2,000.00, principal 10,000.00: V = 20,000.00, LTV 0.50, normal, stale;
* A4, active, created after the revaluation: no stored valuation.

By zone (CNY): normal 2 agreements, E = 200,000 + 10,000 = 210,000.00, V = 400,000 + 20,000 = 420,000.00;
call 1, E = 170,000.00, V = 240,000.00. Concentration: W1 holds 400,000 + 240,000 = 640,000.00 against a
limit of 600,000.00: 640/600 = 1.0666… → 1.0667, 106.67 %, over; W2 holds 20,000.00 with no approval.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scf.facilities.models import Product
from tests.factories import FacilityFactory
from workflows.pledge.dashboard import collateral_dashboard
from workflows.pledge.models import PledgeAgreement, PledgedItem
from workflows.pledge.revaluation import revalue_agreements
from workflows.pledge.stock_counts import stock_count_record

from .collateral_helpers import approve_price, approve_warehouse
from .drawdown_setup import D
from .test_valuation import pledge

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def on_day(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)


def agreement(world, n, principal, warehouse=None):
    facility = FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                               limit_amount=D("5000000.00"))
    return PledgeAgreement.objects.create(
        reference=f"PLA-DB-{n:04d}", lender=world.lender, pledgor=world.pledgor,
        warehouse=warehouse or world.warehouse, facility=facility, kind=PledgeAgreement.Kind.DYNAMIC,
        maximum_amount=D("3000000.00"), annual_rate=D("0.055"), start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2027, 12, 5), prepared_by=world.ops, state=PledgeAgreement.State.ACTIVE,
        principal_outstanding=D(principal))


@pytest.fixture
def book(on_day, world, corporate):
    w2, w2_user = corporate("warehouse-2", is_warehouse=True, is_supplier=False)
    for price, on in (("10000.00", DAY - datetime.timedelta(days=10)), ("9000.00", DAY - datetime.timedelta(days=3)),
                      ("9500.00", DAY - datetime.timedelta(days=3)), ("8000.00", DAY)):
        approve_price(world, world.copper, price, on=on)
    approve_price(world, world.batteries, "2000.00", on=DAY - datetime.timedelta(days=20))
    approve_warehouse(world, limit="600000.00")
    a1 = agreement(world, 1, "200000.00")
    pledge(world, a1, world.copper, "50.000", "WR-A1")
    a2 = agreement(world, 2, "170000.00")
    pledge(world, a2, world.copper, "30.000", "WR-A2")
    a3 = agreement(world, 3, "10000.00", warehouse=w2)
    pledge(world, a3, world.batteries, "10", "LOT-A3")
    revalue_agreements(lender=world.lender, on=DAY, acting_user=None)
    a4 = agreement(world, 4, "0.00")
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "w2": w2}


def test_the_dashboard_figures_worked_by_hand(world, book):
    board = collateral_dashboard(lender=world.lender)
    assert [(z.zone, z.currency, z.agreements, z.exposure, z.value) for z in board.zones] == [
        ("normal", "CNY", 2, D("210000.00"), D("420000.00")), ("call", "CNY", 1, D("170000.00"), D("240000.00"))]
    assert board.zone_total("call") == 1 and board.not_valued == 1
    assert [v.agreement_id for v in board.stale] == [book["a3"].pk] and board.stale_total == 1
    w1, w2 = board.concentration
    assert (w1.warehouse, w1.value, w1.limit, w1.share, w1.share_percent, w1.exceeded, w1.agreements) == (
        world.warehouse, D("640000.00"), D("600000.00"), D("1.0667"), D("106.67"), True, 2)
    assert (w2.warehouse, w2.value, w2.limit, w2.share, w2.exceeded) == (book["w2"], D("20000.00"), None, None, True)
    assert [row.warehouse for row in board.over_limit] == [world.warehouse, book["w2"]]
    copper, = (s for s in board.prices if s.commodity == world.copper)
    assert [(p.on, p.price) for p in copper.points] == [
        (DAY - datetime.timedelta(days=10), D("10000.000000")), (DAY - datetime.timedelta(days=3), D("9500.000000")),
        (DAY, D("8000.000000"))]
    assert (copper.low, copper.high, copper.change) == (D("8000"), D("10000"), D("-2000"))
    # A2 entered the call zone: K = E − V × r = 170,000.00 − 240,000.00 × 0.60 = 26,000.00, due three
    # business days after Mon 2026-03-02: Thu 2026-03-05.
    assert [(c.agreement_id, c.cure_amount, c.deadline) for c in board.calls] == [
        (book["a2"].pk, D("26000.00"), datetime.date(2026, 3, 5))]
    assert board.calls_total == 1 and board.calls_cure_total == {"CNY": D("26000.00")}


def test_a_warehouse_at_its_limit_is_not_over_it(world, book):
    # W1 holds 640,000.00: a limit of exactly 640,000.00 is used at 100.00 % and not exceeded.
    world.lender.approved_warehouses.filter(warehouse=world.warehouse).update(concentration_limit=D("640000.00"))
    w1 = next(r for r in collateral_dashboard(lender=world.lender).concentration if r.warehouse == world.warehouse)
    assert (w1.share_percent, w1.exceeded) == (D("100.00"), False)


def test_a_prices_history_keeps_only_the_window(world, book):
    board = collateral_dashboard(lender=world.lender, price_days=5)
    copper, = (s for s in board.prices if s.commodity == world.copper)
    assert [p.on for p in copper.points] == [DAY - datetime.timedelta(days=3), DAY]
    assert [s.commodity for s in board.prices] == [world.copper]


def test_recent_stock_counts_show_their_variances(world, book):
    item = PledgedItem.objects.get(agreement=book["a1"])
    stock_count_record(agreement=book["a1"], counts={item.pk: "48.500"}, acting_user=world.warehouse_user)
    count, = collateral_dashboard(lender=world.lender).stock_counts
    line, = count.lines.all()
    assert (line.book_quantity, line.counted_quantity, line.variance, line.shortfall) == (
        D("50.000"), D("48.500"), D("-1.500"), True)


def _page(user, language="en"):
    client = Client()
    client.force_login(user)
    return client.get(reverse("pledge:dashboard"), HTTP_ACCEPT_LANGUAGE=language)


def test_the_page_shows_the_figures_to_the_lenders_staff_in_english_and_chinese(world, book):
    item = PledgedItem.objects.get(agreement=book["a1"])
    stock_count_record(agreement=book["a1"], counts={item.pk: "48.500"}, acting_user=world.warehouse_user)
    page = _page(world.ops)
    assert page.status_code == 200
    body = page.content.decode()
    # After the count A1 holds 48.500 t: V = 48.5 × 8,000 = 388,000.00; normal V = 388,000 + 20,000 = 408,000.00;
    # W1 holds 388,000 + 240,000 = 628,000.00: 628/600 = 1.04666… → 104.67 %.
    for text in ("210,000.00", "408,000.00", "628,000.00", "104.67 %", "Over the limit", "Not approved",
                 "9,500.00", "<polyline", "PLA-DB-0003", "-1.5",
                 "Open margin calls", "Cure amount outstanding: CNY 26,000.00", "2026-03-05"):
        assert text in body, text
    chinese = _page(world.ops, "zh-hans").content.decode()
    assert "押品监控" in chinese and "超过限额" in chinese and "待补足金额合计：CNY 26,000.00" in chinese


def test_the_page_is_the_lenders_staffs_only(world, book):
    for user in (world.pledgor_user, world.warehouse_user):
        assert _page(user).status_code == 404


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _page(user).status_code == 200
    return len(captured)


def test_the_pages_query_count_does_not_grow_with_the_agreements(world, book):
    item = PledgedItem.objects.get(agreement=book["a1"])
    stock_count_record(agreement=book["a1"], counts={item.pk: "50"}, acting_user=world.warehouse_user)
    before = _queries(world.ops)
    for n in range(10, 16):
        more = agreement(world, n, "1000.00", warehouse=book["w2"] if n % 2 else None)
        pledge(world, more, world.copper, "1.000", f"WR-M{n}")
        if not n % 2:  # under W1: a count by its warehouse, short by half a tonne
            stock_count_record(agreement=more, counts={PledgedItem.objects.get(agreement=more).pk: "0.500"},
                               acting_user=world.warehouse_user)
    revalue_agreements(lender=world.lender, on=DAY, acting_user=None)
    assert _queries(world.ops) == before
