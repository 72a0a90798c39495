"""The credit review's figures: the applicant's exposure, its overdue history, the debtor's concentration.

One lender's book, built by hand (CNY). The case under review R: supplier S on debtor D, on S's
facility FX (no anchor, limit 5,000,000.00), advance 800,000.00, under review. S's other business
with the lender, on FX:
    a  on D   disbursed         advance 1,000,000.00, outstanding 600,000.00
    b  on D   overdue           outstanding 500,000.00, interest 3,000.00, penalty 1,234.56 owed
    c  on D2  signed            advance 300,000.00 (approved, not paid out)
    d  on D   under review      advance 200,000.00 (not decided)
    e  on D   closed            went overdue, buy-back claimed, bought back
    f  on D   closed            paid on time
    h  on D2  disbursed         outstanding 400,000.00
Another supplier S2 with the lender (facility FS2): on D disbursed 2,000,000.00 and approved
250,000.00; on D2 disbursed 1,000,000.00. S with another lender: 9,000,000.00 on D, and an
overdue financing: neither is this lender's business.
"""

import datetime
import itertools
from decimal import Decimal

import pytest

from scf.facilities.models import Product
from tests.factories import FacilityFactory, LenderFactory, OrganizationFactory
from workflows.factoring.credit_review import (
    applicant_exposure,
    credit_review_for,
    debtor_concentration,
    overdue_history,
)
from workflows.factoring.models import FactoringFinancing

D = Decimal
State = FactoringFinancing.State
_numbers = itertools.count(1)


def _financing(world, *, facility, debtor, state, advance, outstanding="0.00", interest="0.00", penalty="0.00",
               supplier=None, lender=None, due=datetime.date(2027, 2, 23)):
    advance = D(advance)
    return FactoringFinancing.objects.create(
        reference=f"FF-T-{next(_numbers):05d}", facility=facility, supplier=supplier or world.supplier,
        debtor=debtor, lender=lender or world.lender, currency="CNY", confirmed_amount=advance,
        advance_rate=D("1"), annual_rate=D("0.065"), fee_rate=D("0"), day_count="ACT/360", interest_mode="advance",
        value_date=due - datetime.timedelta(days=90), due_date=due, advance_amount=advance, tenor_days=90,
        interest_amount=D("0.00"), fee_amount=D("0.00"), net_disbursement=advance, all_in_rate=D("0.065"),
        state=state, prepared_by=world.supplier_user, advance_outstanding=D(outstanding),
        interest_outstanding=D(interest), penalty_outstanding=D(penalty),
        disbursed_on=due - datetime.timedelta(days=90) if state not in ("under_review", "signed") else None,
    )


def _fire(financing, *names):
    for name in names:
        getattr(financing, name)(by=None, note="")
        financing.save()


def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def book(world, time_machine):
    d2 = OrganizationFactory(legal_name="第二核心企业", is_supplier=False, is_core=True)
    fx = FacilityFactory(lender=world.lender, obligor=world.supplier, product=Product.FACTORING,
                         limit_amount=D("5000000.00"))
    s2 = OrganizationFactory(legal_name="另一供应商")
    fs2 = FacilityFactory(lender=world.lender, obligor=s2, product=Product.FACTORING, limit_amount=D("10000000.00"))
    other_lender = LenderFactory(legal_name="别家银行")
    fo = FacilityFactory(lender=other_lender, obligor=world.supplier, product=Product.FACTORING,
                         limit_amount=D("50000000.00"))

    rows = {
        "a": _financing(world, facility=fx, debtor=world.debtor, state=State.DISBURSED, advance="1000000.00",
                        outstanding="600000.00"),
        "b": _financing(world, facility=fx, debtor=world.debtor, state=State.DISBURSED, advance="500000.00",
                        outstanding="500000.00", interest="3000.00", penalty="1234.56",
                        due=datetime.date(2026, 10, 1)),
        "c": _financing(world, facility=fx, debtor=d2, state=State.SIGNED, advance="300000.00"),
        "d": _financing(world, facility=fx, debtor=world.debtor, state=State.UNDER_REVIEW, advance="200000.00"),
        "e": _financing(world, facility=fx, debtor=world.debtor, state=State.DISBURSED, advance="400000.00",
                        outstanding="400000.00", due=datetime.date(2026, 6, 30)),
        "f": _financing(world, facility=fx, debtor=world.debtor, state=State.DISBURSED, advance="700000.00",
                        outstanding="700000.00", due=datetime.date(2026, 9, 1)),
        "h": _financing(world, facility=fx, debtor=d2, state=State.DISBURSED, advance="400000.00",
                        outstanding="400000.00"),
        "s2_d": _financing(world, supplier=s2, facility=fs2, debtor=world.debtor, state=State.DISBURSED,
                           advance="2000000.00", outstanding="2000000.00"),
        "s2_approved": _financing(world, supplier=s2, facility=fs2, debtor=world.debtor, state=State.APPROVED,
                                  advance="250000.00"),
        "s2_d2": _financing(world, supplier=s2, facility=fs2, debtor=d2, state=State.DISBURSED,
                            advance="1000000.00", outstanding="1000000.00"),
        "elsewhere": _financing(world, lender=other_lender, facility=fo, debtor=world.debtor,
                                state=State.DISBURSED, advance="9000000.00", outstanding="9000000.00"),
        "elsewhere_overdue": _financing(world, lender=other_lender, facility=fo, debtor=world.debtor,
                                        state=State.DISBURSED, advance="100000.00", outstanding="100000.00"),
        "r": _financing(world, facility=fx, debtor=world.debtor, state=State.UNDER_REVIEW, advance="800000.00"),
    }
    # e fell overdue on 2026-07-04, its buy-back was claimed on 2026-08-03 and paid, and the file closed.
    _at(time_machine, datetime.date(2026, 7, 4))
    _fire(rows["e"], "mark_overdue")
    _at(time_machine, datetime.date(2026, 8, 3))
    _fire(rows["e"], "claim_recourse")
    FactoringFinancing.objects.filter(pk=rows["e"].pk).update(advance_outstanding=D("0.00"))
    rows["e"].refresh_from_db()
    _fire(rows["e"], "bought_back", "close")
    # f was paid on time and closed: never overdue.
    FactoringFinancing.objects.filter(pk=rows["f"].pk).update(advance_outstanding=D("0.00"))
    rows["f"].refresh_from_db()
    _fire(rows["f"], "settle", "close")
    _at(time_machine, datetime.date(2026, 10, 5))
    _fire(rows["b"], "mark_overdue")
    _fire(rows["elsewhere_overdue"], "mark_overdue")
    _at(time_machine, datetime.date(2026, 11, 25))
    rows.update(d2=d2, fx=fx, other_lender=other_lender)
    return rows


def test_exposure_sums_what_the_lender_has_at_risk_on_the_applicant_without_the_request(world, book):
    exposure = applicant_exposure(lender=world.lender, supplier=world.supplier, currency="CNY", request=book["r"])
    # Paid out: a 600,000 + b 500,000 + h 400,000 = 1,500,000.00 (e and f are closed, at 0).
    assert (exposure.funded_count, exposure.advance_outstanding) == (3, D("1500000.00"))
    # Owed beside it on b: 3,000.00 + 1,234.56 = 4,234.56.
    assert exposure.charges_outstanding == D("4234.56")
    assert exposure.owed == D("1504234.56")
    # Approved, not paid out: c 300,000. Today's exposure 1,800,000.00; with R's 800,000: 2,600,000.00.
    assert (exposure.committed_count, exposure.committed) == (1, D("300000.00"))
    assert (exposure.total, exposure.this_request, exposure.with_request) == (
        D("1800000.00"), D("800000.00"), D("2600000.00"))
    # d is another request not decided yet: shown apart, never added.
    assert (exposure.waiting_count, exposure.waiting) == (1, D("200000.00"))
    # The other lender's 9,000,000 is not this lender's exposure; nor is another currency's.
    assert applicant_exposure(lender=book["other_lender"], supplier=world.supplier, currency="CNY").total == \
        D("9100000.00")
    assert applicant_exposure(lender=world.lender, supplier=world.supplier, currency="USD").total == D("0.00")


def test_the_overdue_history_keeps_a_closed_bought_back_case_and_leaves_out_other_lenders(world, book):
    history = overdue_history(lender=world.lender, supplier=world.supplier, request=book["r"])
    assert [case.financing.reference for case in history] == [book["b"].reference, book["e"].reference]
    b, e = history
    assert (b.overdue_on, b.recourse_claimed, b.owed) == (datetime.date(2026, 10, 5), False, D("504234.56"))
    # e is closed now; the audit trail says it was overdue and its buy-back was claimed.
    assert (e.financing.state, e.overdue_on, e.recourse_claimed_on, e.recourse_claimed, e.owed) == (
        "closed", datetime.date(2026, 7, 4), datetime.date(2026, 8, 3), True, D("0.00"))
    assert book["f"].reference not in [case.financing.reference for case in history]
    assert [case.financing.reference for case in overdue_history(lender=book["other_lender"],
                                                                 supplier=world.supplier)] == [
        book["elsewhere_overdue"].reference]


def test_concentration_counts_the_request_on_both_sides_of_each_share(world, book):
    c = debtor_concentration(financing=book["r"])
    # Under FX on D: a 600,000 + b 500,000 = 1,100,000; with R: 1,900,000. All at risk under FX:
    # 1,100,000 + c 300,000 + h 400,000 = 1,800,000; with R: 2,600,000.
    assert (c.facility_on_debtor, c.facility_total, c.this_request) == (
        D("1100000.00"), D("1800000.00"), D("800000.00"))
    assert c.facility_on_debtor_with_request == D("1900000.00")
    # 1,900,000 / 5,000,000 = 0.38; 1,900,000 / 2,600,000 = 0.730769… → 73.08 %.
    assert (c.share_of_limit, c.share_of_limit_percent) == (D("0.38"), D("38.00"))
    assert c.share_of_facility == D("19") / D("26")
    assert c.share_of_facility_percent == D("73.08")
    # The lender's book on D: S 1,100,000 + S2 2,000,000 + S2 approved 250,000 = 3,350,000; with R 4,150,000.
    # All of it: S 1,800,000 + S2 3,250,000 = 5,050,000; with R 5,850,000. 4,150 / 5,850 = 0.709401… → 70.94 %.
    assert (c.book_on_debtor, c.book_total) == (D("3350000.00"), D("5050000.00"))
    assert (c.book_on_debtor_with_request, c.book_total_with_request) == (D("4150000.00"), D("5850000.00"))
    assert c.share_of_book == D("415") / D("585")
    assert c.share_of_book_percent == D("70.94")


def test_the_review_is_the_lenders_staff_only(world, book):
    assert credit_review_for(financing=book["r"], user=world.officer).exposure.total == D("1800000.00")
    for outsider in (world.supplier_user, world.debtor_user):
        assert credit_review_for(financing=book["r"], user=outsider) is None
