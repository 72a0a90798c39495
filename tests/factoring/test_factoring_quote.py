"""The factoring quote, with numbers worked by hand (DESIGN §5)."""

import datetime
from decimal import Decimal

import pytest

from tests.factories import UserFactory
from workflows.factoring.calculations import QuoteError, factoring_quote

D = Decimal

# Worked example 1: C = 1,000,000.00, advance rate 0.80, 6.5 % ACT/360, fee 0.5 %,
# value 2026-12-01, due 2027-03-01: 31 (Dec) + 31 (Jan) + 28 (Feb) = 90 days.
#   A = 1,000,000.00 × 0.80                 = 800,000.00
#   I = 800,000.00 × 0.065 × 90 / 360       = 13,000.00
#   F = 1,000,000.00 × 0.005                = 5,000.00
#   advance mode: net = 800,000 − 13,000 − 5,000 = 782,000.00
#     all-in = 18,000 / 782,000 × 360 / 90 = 0.0920716112… → 0.092072
#   arrears mode: net = 800,000 − 5,000 = 795,000.00
#     all-in = 18,000 / 795,000 × 4 = 0.0905660377… → 0.090566
EXAMPLE = dict(confirmed_amount=D("1000000.00"), advance_rate=D("0.80"), annual_rate=D("0.065"), fee_rate=D("0.005"),
               value_date=datetime.date(2026, 12, 1), due_date=datetime.date(2027, 3, 1))


def test_quote_interest_in_advance():
    quote = factoring_quote(**EXAMPLE, interest_mode="advance")
    assert (quote.advance, quote.tenor_days, quote.interest, quote.fee, quote.net_disbursement, quote.all_in_rate) == (
        D("800000.00"), 90, D("13000.00"), D("5000.00"), D("782000.00"), D("0.092072"))
    assert quote.interest_due_at_maturity == D("0.00")
    assert quote.rebate_at_full_payment == D("200000.00")


def test_quote_interest_in_arrears():
    quote = factoring_quote(**EXAMPLE, interest_mode="arrears")
    assert (quote.net_disbursement, quote.all_in_rate, quote.interest_due_at_maturity) == (
        D("795000.00"), D("0.090566"), D("13000.00"))
    assert quote.rebate_at_full_payment == D("187000.00")  # 1,000,000 − 800,000 − 13,000


def test_quote_act_365_rounds_interest_once_half_up():
    # C = 123,456.78, advance 0.85 → A = 104,938.263 → 104,938.26 (round half up)
    # 73 days ACT/365 at 5.85 %: I = 104,938.26 × 0.0585 × 73 / 365 = 104,938.26 × 0.0117 = 1,227.777642 → 1,227.78
    # F = 123,456.78 × 0.003 = 370.37034 → 370.37; net = 104,938.26 − 1,227.78 − 370.37 = 103,340.11
    # all-in = 1,598.15 / 103,340.11 × 365 / 73 = 0.015464947… × 5 = 0.077324737… → 0.077325
    quote = factoring_quote(confirmed_amount=D("123456.78"), advance_rate=D("0.85"), annual_rate=D("0.0585"),
                            fee_rate=D("0.003"), value_date=datetime.date(2026, 1, 10),
                            due_date=datetime.date(2026, 3, 24), day_count="ACT/365")
    assert (quote.advance, quote.tenor_days, quote.interest, quote.fee, quote.net_disbursement, quote.all_in_rate) == (
        D("104938.26"), 73, D("1227.78"), D("370.37"), D("103340.11"), D("0.077325"))


def test_quote_one_day_tenor_is_allowed_and_zero_days_is_not():
    quote = factoring_quote(**{**EXAMPLE, "due_date": datetime.date(2026, 12, 2)})
    # I = 800,000 × 0.065 / 360 = 144.444… → 144.44
    assert (quote.tenor_days, quote.interest) == (1, D("144.44"))
    with pytest.raises(QuoteError) as error:
        factoring_quote(**{**EXAMPLE, "due_date": datetime.date(2026, 12, 1)})
    assert error.value.field == "due_date"


def test_quote_refuses_a_tenor_above_the_facility_maximum():
    with pytest.raises(QuoteError) as error:
        factoring_quote(**EXAMPLE, max_tenor_days=60)
    assert error.value.field == "due_date" and "90 days" in error.value.message


@pytest.mark.django_db
def test_quote_api_answers_decimal_strings(client):
    client.force_login(UserFactory())
    response = client.post("/api/v1/quotes/factoring/", {
        "confirmed_amount": "1000000.00", "advance_rate": "0.80", "annual_rate": "0.065", "fee_rate": "0.005",
        "value_date": "2026-12-01", "due_date": "2027-03-01", "day_count": "ACT/360", "interest_mode": "advance",
    }, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("advance", "tenor_days", "interest", "fee", "net_disbursement", "all_in_rate")} == {
        "advance": "800000.00", "tenor_days": 90, "interest": "13000.00", "fee": "5000.00",
        "net_disbursement": "782000.00", "all_in_rate": "0.092072"}
    assert body["due_date"] == "2027-03-01"


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", [
    ("confirmed_amount", "-5"), ("confirmed_amount", "abc"), ("advance_rate", "1.5"), ("due_date", "2026-11-30"),
    ("day_count", "30/360"), ("interest_mode", "sometimes"), ("value_date", "2026-13-01"),
])
def test_quote_api_bad_input_answers_400_naming_the_field(client, field, value):
    client.force_login(UserFactory())
    payload = {"confirmed_amount": "1000000.00", "advance_rate": "0.80", "annual_rate": "0.065", "fee_rate": "0.005",
               "value_date": "2026-12-01", "due_date": "2027-03-01", field: value}
    response = client.post("/api/v1/quotes/factoring/", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
