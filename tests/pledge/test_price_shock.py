"""The price-shock preview: figures worked by hand, bad input on the page, read-only, queries not per agreement.

The book of `valued` (tests/pledge/test_valuation.py): copper 120.500 t at 68,250.00 = 8,224,125.00 and
40 battery packs at 12,800.00 = 512,000.00, V = 8,736,125.00; E = 3,000,000.00 − 200,000.00 cash margin
= 2,800,000.00; LTV 2,800,000 / 8,736,125 = 0.32 + 4,440 / 8,736,125 = 0.320508, normal
(w 0.65, c 0.70, l 0.80, r 0.60).

Copper down 60 %: 27,300.000000 a tonne; copper 120.5 × 27,300 = 3,289,650.00, V' = 3,801,650.00,
LTV' = 2,800,000 / 3,801,650 = 0.736522: margin call. K = 2,800,000 − 3,801,650 × 0.60 = 519,010.00.

Call price: in call while V ≤ E / c = 4,000,000.00, copper ≤ 3,488,000.00, that is 120.5 × p rounded half up
to the cent ≤ 3,488,000.00: p = 28,946.05 gives 3,487,999.025 → 3,487,999.03 (in call), 28,946.06 gives
3,488,000.23 (not). Liquidation price: V ≤ E / l = 3,500,000.00, copper ≤ 2,988,000.00: 24,796.68 gives
2,987,999.94 (in), 24,796.69 gives 2,988,001.145 (not).
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scf.facilities.models import Product
from tests.factories import FacilityFactory
from tests.pledge.test_valuation import ON, pledge, valued  # noqa: F401  (the fixture)
from workflows.pledge.calculations import Zone
from workflows.pledge.models import PledgeAgreement
from workflows.pledge.shock import ShockInputError, price_shock_preview, shocked_price

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_sixty_per_cent_fall_puts_the_agreement_in_margin_call(world, valued):  # noqa: F811
    preview = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, move_percent=D("-60"))
    assert (preview.price_now, preview.price_after) == (D("68250.000000"), D("27300.000000"))
    [row] = preview.rows
    assert (row.value_now, row.value_after, row.exposure) == (D("8736125.00"), D("3801650.00"), D("2800000.00"))
    assert (row.ltv_now, row.ltv_after) == (D("0.320508"), D("0.736522"))
    assert (row.zone_now, row.zone_after) == (Zone.NORMAL, Zone.CALL)
    assert row.cure_after == D("519010.00")
    assert (row.call_price, row.liquidation_price) == (D("28946.05"), D("24796.68"))
    assert row.quantity == D("120.500")
    assert ([r.agreement for r in preview.to_call], preview.to_warning, preview.to_liquidation) == (
        [valued], [], [])
    assert preview.total_cure == D("519010.00")
    assert preview.zones_now == {"normal": 1, "warning": 0, "call": 0, "liquidation": 0}
    assert preview.zones_after == {"normal": 0, "warning": 0, "call": 1, "liquidation": 0}
    # The LTV buckets: now in "< 50 %", after in "70–80 %".
    assert [(b["now"], b["after"]) for b in preview.distribution()] == [(1, 0), (0, 0), (0, 0), (0, 0), (0, 1),
                                                                        (0, 0)]


def test_the_thresholds_are_exact_to_the_cent(world, valued):  # noqa: F811
    at_call = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, new_price=D("28946.05"))
    above = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, new_price=D("28946.06"))
    assert (at_call.rows[0].zone_after, above.rows[0].zone_after) == (Zone.CALL, Zone.WARNING)
    at_liquidation = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON,
                                         new_price=D("24796.68"))
    assert at_liquidation.rows[0].zone_after == Zone.LIQUIDATION
    assert at_liquidation.to_liquidation[0].agreement == valued


def test_nothing_is_written_and_the_queries_do_not_grow_with_the_agreements(world, valued):  # noqa: F811
    PledgeAgreement.objects.filter(pk=valued.pk).update(state=PledgeAgreement.State.ACTIVE)
    with CaptureQueriesContext(connection) as one:
        price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, move_percent=D("-20"))
    for n in range(2, 5):
        facility = FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                                   limit_amount=D("5000000.00"))
        agreement = PledgeAgreement.objects.create(
            reference=f"PLA-TEST-000{n}", lender=world.lender, pledgor=world.pledgor, warehouse=world.warehouse,
            facility=facility, kind=PledgeAgreement.Kind.DYNAMIC, maximum_amount=D("3000000.00"),
            annual_rate=D("0.055"), start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2027, 1, 5),
            prepared_by=world.ops, state=PledgeAgreement.State.ACTIVE, principal_outstanding=D("1000000.00"))
        pledge(world, agreement, world.copper, "50.000", f"WR-{n}")
        pledge(world, agreement, world.batteries, "10", f"LOT-{n}")
    with CaptureQueriesContext(connection) as four:
        preview = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, move_percent=D("-20"))
    assert len(preview.rows) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    assert not [q for q in four.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_goods_without_a_price_leave_the_agreement_unvalued_never_at_zero(world, valued):  # noqa: F811
    from workflows.pledge.models import Commodity
    from workflows.pledge.services import commodity_eligibility_set

    nickel = Commodity.objects.create(code="NI", name_en="Nickel", name_zh="镍", unit="t", precision="0.001")
    commodity_eligibility_set(lender=world.lender, commodity=nickel, pledge_rate=D("0.60"), acting_user=world.risk)
    pledge(world, valued, nickel, "3.000", "WR-NI")
    preview = price_shock_preview(lender=world.lender, commodity=world.copper, on=ON, move_percent=D("-60"))
    assert (preview.rows, preview.unpriced) == ([], [valued])


def test_bad_moves_are_refused():
    with pytest.raises(ShockInputError) as both:
        shocked_price(D("100"), move_percent=D("-10"), new_price=D("90"))
    assert both.value.field == "move_percent"
    with pytest.raises(ShockInputError) as neither:
        shocked_price(D("100"))
    assert neither.value.field == "move_percent"
    with pytest.raises(ShockInputError) as wiped:
        shocked_price(D("100"), move_percent=D("-100"))
    assert wiped.value.field == "move_percent"
    with pytest.raises(ShockInputError) as zero:
        shocked_price(D("100"), new_price=D("0"))
    assert zero.value.field == "new_price"
    assert shocked_price(D("68250.123457"), move_percent=D("-12.5")) == D("59718.858025")  # 59,718.8580248…


def _page(user, language="en", **params):
    client = Client()
    client.force_login(user)
    return client.get(reverse("pledge:price-shock"), params, HTTP_ACCEPT_LANGUAGE=language)


def test_the_page_shows_the_move_in_both_languages(world, valued, time_machine):  # noqa: F811
    time_machine.move_to(datetime.datetime(2026, 12, 1, 4, tzinfo=datetime.UTC), tick=False)
    page = _page(world.risk, commodity=world.copper.pk, currency="CNY", move_percent="-60")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="to-call">1<' in html and "519,010.00" in html and "28,946.05" in html and "24,796.68" in html
    assert 'id="shock-PLA-TEST-0001"' in html and "<svg" in html
    zh = _page(world.risk, "zh-hans", commodity=world.copper.pk, currency="CNY", move_percent="-60").content.decode()
    assert "价格冲击预览" in zh and "追加保证金" in zh


def test_the_page_refuses_bad_input_and_strangers(world, valued, other_lender_world):  # noqa: F811
    both = _page(world.risk, commodity=world.copper.pk, currency="CNY", move_percent="-10", new_price="90")
    assert both.status_code == 400
    assert "Give either a price move in per cent or a new price, not both." in both.content.decode()
    wiped = _page(world.risk, "zh-hans", commodity=world.copper.pk, currency="CNY", move_percent="-100")
    assert wiped.status_code == 400 and "跌幅达到或超过 100%" in wiped.content.decode()
    assert _page(world.pledgor_user).status_code == 404
    # Another lender's staff see their own (empty) book, never this lender's agreements.
    other = _page(other_lender_world[1], commodity=world.copper.pk, currency="CNY", move_percent="-60")
    assert other.status_code == 400 and "PLA-TEST-0001" not in other.content.decode()
