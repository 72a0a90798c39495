"""POST /api/v1/quotes/pledge/ (issue 12 item 10), with answers worked by hand."""

import pytest

from tests.factories import UserFactory

URL = "/api/v1/quotes/pledge/"
BASE = {"quantity": "100", "unit_price": "5000.00", "pledge_rate": "0.60"}


@pytest.fixture
def api(client):
    client.force_login(UserFactory())

    def post(payload):
        return client.post(URL, payload, content_type="application/json")
    return post


@pytest.mark.django_db
def test_without_outstanding_answers_value_and_max_loan_only(api):
    # V = round(12.345 × 3,456.78) = round(42,673.9491) = 42,673.95; max loan = 42,673.95 × 0.65 = 27,738.0675 → 27,738.06
    response = api({"quantity": "12.345", "unit_price": "3456.78", "pledge_rate": "0.65"})
    assert response.status_code == 200
    assert response.json() == {"collateral_value": "42673.95", "max_loan": "27738.06"}


@pytest.mark.django_db
def test_margin_call_in_pieces(api):
    # V = 500,000.00, E = 350,000.00: LTV 0.700000, on the call line; K = 350,000 − 300,000 = 50,000.00;
    # cure quantity 50,000 / (5,000 × 0.60) = 16.67 → 17 pieces; F = 350,000 / 0.6 = 583,333.33… → 583,333.34;
    # nothing releasable (583,333.34 > V, and 116.67 → 117 pieces to keep > 100)
    response = api({**BASE, "precision": "1", "outstanding": "350000.00"})
    assert response.status_code == 200
    assert response.json() == {
        "collateral_value": "500000.00", "max_loan": "300000.00", "exposure": "350000.00", "ltv": "0.700000",
        "zone": "call", "margin_call": True, "default": False, "cure_amount": "50000.00", "cure_quantity": "17",
        "floor_value": "583333.34", "releasable_value": "0.00", "releasable_quantity": "0"}


@pytest.mark.django_db
def test_cash_margin_and_pending_release(api):
    # E = 230,000 − 50,000 = 180,000.00; LTV 0.36 normal; F = 180,000 / 0.6 = 300,000.00;
    # releasable value = 500,000 − 300,000 − 50,000 = 150,000.00;
    # keep (300,000 + 50,000) / 5,000 = 70.000 t → releasable 30.000 t
    body = api({**BASE, "outstanding": "230000.00", "cash_margin": "50000.00",
                "pending_release_value": "50000.00"}).json()
    assert body == {
        "collateral_value": "500000.00", "max_loan": "300000.00", "exposure": "180000.00", "ltv": "0.360000",
        "zone": "normal", "margin_call": False, "default": False, "cure_amount": "0.00", "cure_quantity": "0.000",
        "floor_value": "300000.00", "releasable_value": "150000.00", "releasable_quantity": "30.000"}


@pytest.mark.django_db
def test_zero_outstanding_releases_everything(api):
    body = api({**BASE, "outstanding": "0"}).json()
    assert (body["exposure"], body["ltv"], body["zone"], body["floor_value"], body["releasable_value"],
            body["releasable_quantity"]) == ("0.00", "0.000000", "normal", "0.00", "500000.00", "100.000")


@pytest.mark.django_db
def test_warning_exactly_on_a_custom_line(api):
    # V = 10 × 100 = 1,000.00, r = 0.5 → max loan 500.00; E = 500: LTV 0.5 = w → warning, no call;
    # F = 500 / 0.5 = 1,000.00; keep 500 / 50 = 10.000 t → nothing releasable
    body = api({"quantity": "10", "unit_price": "100", "pledge_rate": "0.5", "outstanding": "500",
                "warning_ltv": "0.5", "call_ltv": "0.9", "liquidation_ltv": "0.95"}).json()
    assert (body["max_loan"], body["ltv"], body["zone"], body["margin_call"], body["cure_amount"],
            body["floor_value"], body["releasable_value"], body["releasable_quantity"]) == (
        "500.00", "0.500000", "warning", False, "0.00", "1000.00", "0.00", "0.000")


@pytest.mark.django_db
def test_no_value_under_a_loan_is_liquidation_with_no_ltv(api):
    # V = round(0.001 × 1.00) = round(0.001) = 0.00; E = 1.00 > 0 → liquidation, LTV unbounded (null);
    # K = 1.00 − 0 = 1.00; cure quantity 1 / 0.6 = 1.666… → 1.667; F = 1.666… → 1.67
    body = api({"quantity": "0.001", "unit_price": "1.00", "pledge_rate": "0.60", "outstanding": "1.00"}).json()
    assert (body["collateral_value"], body["ltv"], body["zone"], body["margin_call"], body["default"],
            body["cure_amount"], body["cure_quantity"], body["floor_value"], body["releasable_value"]) == (
        "0.00", None, "liquidation", True, True, "1.00", "1.667", "1.67", "0.00")


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", [
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "abc"}, "quantity"),
    ({"quantity": "10.5", "precision": "1"}, "quantity"),
    ({"unit_price": "0"}, "unit_price"),
    ({"unit_price": "-5000"}, "unit_price"),
    ({"pledge_rate": "0"}, "pledge_rate"),
    ({"pledge_rate": "1"}, "pledge_rate"),
    ({"pledge_rate": "1.5"}, "pledge_rate"),
    ({"precision": "0.01"}, "precision"),
    ({"warning_ltv": "0.75"}, "call_ltv"),  # warning above call: the lines must not decrease
    ({"liquidation_ltv": "0.60"}, "liquidation_ltv"),  # liquidation below call
    ({"liquidation_ltv": "1.2"}, "liquidation_ltv"),
    ({"outstanding": "-1"}, "outstanding"),
    ({"cash_margin": "-1"}, "cash_margin"),
    ({"pending_release_value": "-0.01"}, "pending_release_value"),
])
def test_bad_input_answers_400_naming_the_field(api, change, field):
    response = api({**BASE, "outstanding": "100000", **change})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_missing_fields_are_named(api):
    response = api({})
    assert response.status_code == 400
    assert {"quantity", "unit_price", "pledge_rate"} <= set(response.json()["error"]["fields"])


@pytest.mark.django_db
def test_anonymous_callers_are_refused(client):
    assert client.post(URL, BASE, content_type="application/json").status_code in (401, 403)


@pytest.mark.django_db
def test_the_quote_is_in_the_openapi_schema(client):
    client.force_login(UserFactory())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "post" in schema["paths"]["/api/v1/quotes/pledge/"]
    assert {"quantity", "unit_price", "pledge_rate"} <= set(schema["components"]["schemas"]["PledgeQuoteInput"]["required"])
    assert "releasable_quantity" in schema["components"]["schemas"]["PledgeQuote"]["properties"]
