"""Revaluation: approved prices re-value the agreements at once in SQL, stored, with the zone changes found.

Worked by hand (w 0.65, c 0.70, l 0.80, r 0.60). Copper 100.000 t, principal 240,000.00, no cash margin:
E = 240,000.00.

* at 4,000.00 a tonne: V = 100 × 4,000 = 400,000.00; LTV = 240,000 / 400,000 = 0.600000 < 0.65: normal;
* at 3,500.00: V = 350,000.00; LTV = 0.685714 (0.6857142…): 0.65 ≤ LTV < 0.70: warning;
* at 3,000.00: V = 300,000.00; LTV = 0.800000 ≥ 0.80: liquidation.

The rounding cases: 0.001 t at 5.00 = 0.005 → 0.01 half up per line, so three such lines make 0.03 (not
round(0.015) = 0.02); principal 0.01 against V = 20,000.00 gives LTV 0.0000005 → 0.000001 half up.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scf.audit.models import AuditRecord
from scf.core import jobs
from scf.facilities.models import Product
from tests.factories import FacilityFactory
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.test_valuation import pledge
from workflows.pledge import revaluation
from workflows.pledge.calculations import Zone
from workflows.pledge.models import (
    Commodity,
    CommodityPrice,
    PledgeAgreement,
    PledgeRevaluation,
    PledgeValuation,
)
from workflows.pledge.price_import import price_batch_decide, price_batch_import, read_price_file
from workflows.pledge.revaluation import ZoneChange, revalue_agreements, revalue_daily
from workflows.pledge.services import commodity_eligibility_set
from workflows.pledge.valuation import agreement_valuation

pytestmark = pytest.mark.django_db

D = Decimal


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def handled(monkeypatch):
    """The zone changes handed to the handlers, in order (a fresh handler list for the test)."""
    seen: list[tuple[PledgeRevaluation, list[ZoneChange]]] = []
    monkeypatch.setattr(revaluation, "_zone_change_handlers", [])
    # The revaluation alone: the margin calls' handler (tests/pledge/test_margin_calls.py) is left out.
    monkeypatch.setattr(revaluation, "_revaluation_handlers", [])
    revaluation.register_zone_change_handler(lambda run, changes: seen.append((run, changes)))
    return seen


def make_agreement(world, n: int, *, principal="0.00", cash_margin="0.00", facility=None, **fields):
    facility = facility or FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                                           limit_amount=D("5000000.00"))
    return PledgeAgreement.objects.create(
        reference=f"PLA-RV-{n:04d}", lender=world.lender, pledgor=world.pledgor, warehouse=world.warehouse,
        facility=facility, kind=PledgeAgreement.Kind.DYNAMIC, maximum_amount=D("3000000.00"),
        annual_rate=D("0.055"), start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2027, 12, 5),
        prepared_by=world.ops, state=fields.pop("state", PledgeAgreement.State.ACTIVE),
        principal_outstanding=D(principal), cash_margin=D(cash_margin), **fields)


def file_of(world, *rows: str):
    data = ("commodity,price,date\n" + "\n".join(rows) + "\n").encode()
    report, batch = price_batch_import(lender=world.lender, rows=read_price_file(data)[0], name="SHFE",
                                       acting_user=world.ops)
    assert report.errors == [] and batch is not None
    return batch


def test_a_price_file_approved_revalues_the_agreement_and_reports_its_zone_change(world, handled):
    agreement = make_agreement(world, 1, principal="240000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    yesterday = today() - datetime.timedelta(days=1)
    price_batch_decide(batch=file_of(world, f"CU,4000.00,{yesterday}"), acting_user=world.risk, verb="approve")

    stored = PledgeValuation.objects.get(agreement=agreement)
    assert (stored.value, stored.exposure, stored.ltv, stored.zone) == (D("400000.00"), D("240000.00"),
                                                                        D("0.600000"), Zone.NORMAL)
    assert (stored.valued_on, stored.oldest_price_date, stored.newest_price_date) == (today(), yesterday, yesterday)
    assert not stored.stale and not stored.missing_price and stored.previous_zone == ""
    assert stored.revaluation.trigger == PledgeRevaluation.Trigger.PRICE_FILE
    assert handled == []  # a first valuation in the normal zone is no change

    batch = file_of(world, f"CU,3000.00,{today()}")
    before = AuditRecord.objects.count()
    price_batch_decide(batch=batch, acting_user=world.risk, verb="approve")
    assert AuditRecord.objects.count() == before + 2  # the file's approval and the revaluation: one each

    stored.refresh_from_db()
    assert (stored.value, stored.ltv, stored.zone, stored.previous_zone) == (D("300000.00"), D("0.800000"),
                                                                            Zone.LIQUIDATION, Zone.NORMAL)
    run = stored.revaluation
    assert (run.price_batch, run.run_by, run.agreements, run.zone_changes) == (batch, world.risk, 1, 1)
    assert stored.zone_changed_in == run
    [(handled_run, changes)] = handled
    assert handled_run == run
    assert changes == [ZoneChange(agreement_id=agreement.pk, old_zone=Zone.NORMAL, new_zone=Zone.LIQUIDATION)]
    record = AuditRecord.objects.get(action="pledge.revaluation.revalue", object_id=str(run.pk))
    assert record.actor == world.risk and "1 agreements" in record.note and "1 zone changes" in record.note


def test_each_line_crossed_is_a_change_and_an_unchanged_zone_is_none(world, handled):
    agreement = make_agreement(world, 1, principal="240000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    approve_price(world, world.copper, "4000.00", on=today() - datetime.timedelta(days=2))
    approve_price(world, world.copper, "3500.00", on=today() - datetime.timedelta(days=1))
    stored = PledgeValuation.objects.get(agreement=agreement)
    assert (stored.value, stored.ltv, stored.zone) == (D("350000.00"), D("0.685714"), Zone.WARNING)
    approve_price(world, world.copper, "3510.00", on=today())  # V 351,000.00, LTV 0.683761: still warning
    stored.refresh_from_db()
    assert (stored.value, stored.ltv, stored.zone, stored.previous_zone) == (D("351000.00"), D("0.683761"),
                                                                            Zone.WARNING, Zone.NORMAL)
    assert [[(c.old_zone, c.new_zone) for c in changes] for _run, changes in handled] == [
        [(Zone.NORMAL, Zone.WARNING)]]
    assert stored.revaluation.trigger == PledgeRevaluation.Trigger.PRICE
    assert stored.zone_changed_in != stored.revaluation  # entered the warning zone one revaluation earlier


@pytest.fixture
def book(world):
    """Agreements of every kind the valuation knows: two goods, rounding, no price, other currency, no goods."""
    scrap = Commodity.objects.create(code="SCR", name_en="Copper scrap", name_zh="废铜", unit="t", precision="0.001")
    nickel = Commodity.objects.create(code="NI", name_en="Nickel", name_zh="镍", unit="t", precision="0.001")
    for commodity in (scrap, nickel):
        commodity_eligibility_set(lender=world.lender, commodity=commodity, pledge_rate=D("0.60"),
                                  acting_user=world.risk)
    approve_price(world, world.copper, "68250.00", on=today() - datetime.timedelta(days=5))
    approve_price(world, world.batteries, "12800.00", on=today() - datetime.timedelta(days=1))
    approve_price(world, scrap, "5.00", on=today())
    agreements = []
    two = make_agreement(world, 1, principal="3000000.00", cash_margin="200000.00")
    pledge(world, two, world.copper, "120.500", "WR-1")
    pledge(world, two, world.batteries, "40", "LOT-1")
    agreements.append(two)  # V 8,736,125.00, E 2,800,000.00, LTV 0.320508
    halves = make_agreement(world, 2, principal="0.02")
    for n in range(3):
        pledge(world, halves, scrap, "0.001", f"WR-S{n}")
    agreements.append(halves)  # V 0.03, E 0.02, LTV 0.666667: warning
    tiny = make_agreement(world, 3, principal="0.01")
    pledge(world, tiny, scrap, "4000.000", "WR-T")
    agreements.append(tiny)  # V 20,000.00, LTV 0.0000005 → 0.000001
    unpriced = make_agreement(world, 4, principal="100.00")
    pledge(world, unpriced, nickel, "3.000", "WR-N")
    agreements.append(unpriced)  # nickel has no price: V 0.00, E 100.00: liquidation, missing
    mixed = make_agreement(world, 5, principal="1000000.00")
    pledge(world, mixed, nickel, "10.000", "WR-N2")
    pledge(world, mixed, world.copper, "20.000", "WR-C2")
    agreements.append(mixed)  # V 1,365,000.00 over copper only; missing
    dollars = make_agreement(world, 6, principal="10.00", currency="USD")
    pledge(world, dollars, world.copper, "1.000", "WR-U")
    agreements.append(dollars)  # a CNY price never values a USD agreement: missing
    agreements.append(make_agreement(world, 7))  # nothing pledged, nothing lent: V 0, normal
    agreements.append(make_agreement(world, 8, principal="5.00"))  # nothing pledged under a loan: liquidation
    return agreements


def _assert_same_as_valuation(agreements, on):
    for agreement in agreements:
        live = agreement_valuation(agreement, on=on)
        stored = PledgeValuation.objects.get(agreement=agreement)
        assert (stored.value, stored.exposure, stored.ltv, stored.zone, stored.stale, stored.missing_price) == (
            live.value, live.exposure, live.ltv_display, live.zone, live.stale, bool(live.missing)), agreement.reference
        assert stored.valued_on == on and stored.currency == agreement.currency


def test_the_stored_figures_are_those_of_the_valuation(world, book):
    revalue_agreements(lender=world.lender, on=today(), acting_user=world.risk)
    _assert_same_as_valuation(book, today())
    figures = {v.agreement.reference[-1]: (v.value, v.ltv, v.zone, v.missing_price)
               for v in PledgeValuation.objects.select_related("agreement")}
    assert figures == {
        "1": (D("8736125.00"), D("0.320508"), Zone.NORMAL, False),
        "2": (D("0.03"), D("0.666667"), Zone.WARNING, False),
        "3": (D("20000.00"), D("0.000001"), Zone.NORMAL, False),
        "4": (D("0.00"), None, Zone.LIQUIDATION, True),
        "5": (D("1365000.00"), D("0.732601"), Zone.CALL, True),
        "6": (D("0.00"), None, Zone.LIQUIDATION, True),
        "7": (D("0.00"), D("0.000000"), Zone.NORMAL, False),
        "8": (D("0.00"), None, Zone.LIQUIDATION, False),
    }
    # Agreement 8 (liquidation on reliable figures) went into default in that revaluation: no longer active,
    # it is not revalued again. Agreements 4 and 6 are in liquidation only for want of a price: not in default.
    states = {a.reference[-1]: a.state for a in PledgeAgreement.objects.filter(pk__in=[a.pk for a in book])}
    assert (states["8"], states["4"], states["6"]) == (PledgeAgreement.State.DEFAULTED, PledgeAgreement.State.ACTIVE,
                                                       PledgeAgreement.State.ACTIVE)
    # A day later the copper price is 6 days old: stale where copper is held, and still the same figures.
    tomorrow = today() + datetime.timedelta(days=1)
    revalue_agreements(lender=world.lender, on=tomorrow, acting_user=world.risk)
    _assert_same_as_valuation([a for a in book if not a.reference.endswith("8")], tomorrow)
    assert set(PledgeValuation.objects.filter(stale=True).values_list("agreement__reference", flat=True)) == {
        "PLA-RV-0001", "PLA-RV-0005"}


def test_only_active_agreements_holding_the_commodities_are_revalued(world, book):
    closed = make_agreement(world, 9, principal="1.00", state=PledgeAgreement.State.CLOSED)
    pledge(world, closed, world.copper, "1.000", "WR-X")
    outcome = revalue_agreements(lender=world.lender, commodities=[world.batteries], on=today(),
                                 acting_user=world.risk)
    assert outcome.agreements == 1
    assert list(PledgeValuation.objects.values_list("agreement__reference", flat=True)) == ["PLA-RV-0001"]
    outcome = revalue_agreements(lender=world.lender, commodities=[world.copper], on=today(), acting_user=world.risk)
    assert set(PledgeValuation.objects.values_list("agreement__reference", flat=True)) == {
        "PLA-RV-0001", "PLA-RV-0005", "PLA-RV-0006"}
    assert {(c.agreement_id, c.old_zone, c.new_zone) for c in outcome.changes} == {
        (book[4].pk, None, Zone.CALL), (book[5].pk, None, Zone.LIQUIDATION)}


def test_nothing_is_written_when_no_agreement_holds_the_commodity(world, book):
    before = AuditRecord.objects.count()
    gold = Commodity.objects.create(code="AU", name_en="Gold", name_zh="黄金", unit="t", precision="0.001")
    outcome = revalue_agreements(lender=world.lender, commodities=[gold], on=today(), acting_user=world.risk)
    assert (outcome.revaluation, outcome.agreements, outcome.changes) == (None, 0, [])
    assert not PledgeRevaluation.objects.exists() and AuditRecord.objects.count() == before


def test_the_queries_do_not_grow_with_the_agreements(world):
    facility = FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                               limit_amount=D("5000000.00"))
    approve_price(world, world.copper, "4000.00", on=today())
    for n in range(3):
        pledge(world, make_agreement(world, n, principal="240000.00", facility=facility), world.copper, "100.000",
               f"WR-{n}")
    with CaptureQueriesContext(connection) as three:
        outcome = revalue_agreements(lender=world.lender, on=today(), acting_user=world.risk)
    assert outcome.agreements == 3
    for n in range(3, 30):
        pledge(world, make_agreement(world, n, principal="240000.00", facility=facility), world.copper, "100.000",
               f"WR-{n}")
    with CaptureQueriesContext(connection) as thirty:
        outcome = revalue_agreements(lender=world.lender, on=today(), acting_user=world.risk)
    assert outcome.agreements == 30
    assert PledgeValuation.objects.filter(value=D("400000.00"), ltv=D("0.600000"), zone=Zone.NORMAL).count() == 30
    assert len(thirty.captured_queries) == len(three.captured_queries)
    assert len(three.captured_queries) <= 15


def test_the_daily_job_marks_old_prices_stale_once_a_day(world):
    fresh = make_agreement(world, 1, principal="240000.00")
    pledge(world, fresh, world.copper, "100.000", "WR-1")
    approve_price(world, world.copper, "4000.00", on=today() - datetime.timedelta(days=5))
    assert "pledge.revaluation" in {job.name for job in jobs.daily_jobs()}
    assert revalue_daily(today()) == 1
    stored = PledgeValuation.objects.get(agreement=fresh)
    assert not stored.stale  # exactly 5 days old: fresh
    later = today() + datetime.timedelta(days=1)
    revalued = AuditRecord.objects.filter(action="pledge.revaluation.revalue")
    before = revalued.count()
    assert jobs.run_daily(later)["pledge.revaluation"] == 1
    stored.refresh_from_db()
    assert stored.stale and stored.valued_on == later and stored.oldest_price_date == today() - datetime.timedelta(5)
    assert stored.revaluation.trigger == PledgeRevaluation.Trigger.DAILY and stored.revaluation.run_by is None
    assert revalued.count() == before + 1
    assert revalue_daily(later) == 0  # the second run of the day changes nothing
    assert revalued.count() == before + 1
    assert PledgeRevaluation.objects.filter(trigger="daily", valued_on=later).count() == 1


def test_a_rejected_file_revalues_nothing(world):
    agreement = make_agreement(world, 1, principal="240000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    price_batch_decide(batch=file_of(world, f"CU,4000.00,{today()}"), acting_user=world.risk, verb="reject",
                       note="wrong contract month")
    assert not PledgeValuation.objects.exists() and not PledgeRevaluation.objects.exists()
    assert CommodityPrice.objects.get().state == CommodityPrice.State.REJECTED


def test_the_collateral_page_shows_the_stored_valuation(world):
    agreement = make_agreement(world, 1, principal="240000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    approve_price(world, world.copper, "3400.00", on=today())  # V 340,000.00, LTV 0.705882: margin call
    client = Client()
    client.force_login(world.risk)
    body = client.get(reverse("pledge:agreement-collateral", kwargs={"agreement_pk": agreement.pk}),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="stored-valuation"' in body and "0.705882" in body and "zone-call" in body
    listing = client.get(reverse("pledge:agreement-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0.705882" in listing
    client.force_login(world.warehouse_user)  # the warehouse does not see the loan figures
    body = client.get(reverse("pledge:agreement-collateral", kwargs={"agreement_pk": agreement.pk}),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="stored-valuation"' in body and "0.705882" not in body
    assert "0.705882" not in client.get(reverse("pledge:agreement-list")).content.decode()


def test_the_stored_valuation_is_seen_by_the_lender_and_the_pledgor_only(world, other_lender_world):
    from scf.core import tenancy

    agreement = make_agreement(world, 1, principal="240000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    approve_price(world, world.copper, "4000.00", on=today())
    _other, other_risk = other_lender_world
    seen = {user.username: (tenancy.visible(PledgeValuation, user).count(),
                            tenancy.visible(PledgeRevaluation, user).count())
            for user in (world.risk, world.pledgor_user, world.warehouse_user, other_risk)}
    assert seen == {world.risk.username: (1, 1), world.pledgor_user.username: (1, 0),
                    world.warehouse_user.username: (0, 0), other_risk.username: (0, 0)}
