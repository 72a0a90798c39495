"""POST /api/v1/quotes/confirming/ (issue 13 item 7), answers worked by hand."""

import pytest

from tests.factories import UserFactory

URL = "/api/v1/quotes/confirming/"
BASE = {"order_amount": "1000000.00", "margin_ratio": "0.30"}


@pytest.fixture
def api(client):
    client.force_login(UserFactory())

    def post(payload):
        return client.post(URL, payload, content_type="application/json")
    return post


@pytest.mark.django_db
def test_defaults_mode_1_and_the_initial_margin_paid(api):
    response = api(BASE)
    assert response.status_code == 200
    assert response.json() == {"initial_margin": "300000.00", "lender_funding": "700000.00",
                               "exposure": "700000.00", "releasable_value": "300000.00", "refund_due": "700000.00"}


@pytest.mark.django_db
def test_proportional_release_after_a_second_margin_payment(api):
    # (510,000 − 300,000) / 0.70 = 300,000.00 allowed, 100,000.00 already released → 200,000.00
    response = api({**BASE, "release_mode": 2, "margin_paid": "510000.00", "released_value": "100000.00"})
    assert response.status_code == 200
    assert response.json() == {"initial_margin": "300000.00", "lender_funding": "700000.00",
                               "exposure": "490000.00", "releasable_value": "200000.00", "refund_due": "490000.00"}


@pytest.mark.django_db
def test_initial_margin_last_once_paid_in_full(api):
    response = api({**BASE, "release_mode": "3", "margin_paid": "1000000.00", "released_value": "210000.00"})
    assert response.status_code == 200
    body = response.json()
    assert (body["releasable_value"], body["exposure"], body["refund_due"]) == ("790000.00", "0.00", "0.00")


@pytest.mark.django_db
@pytest.mark.parametrize(("payload", "field"), [
    ({**BASE, "margin_ratio": "1"}, "margin_ratio"),
    ({**BASE, "release_mode": 4}, "release_mode"),
    ({**BASE, "margin_paid": "100000.00"}, "margin_paid"),
    ({**BASE, "order_amount": "-5"}, "order_amount"),
    ({**BASE, "order_amount": "abc"}, "order_amount"),
    ({"margin_ratio": "0.3"}, "order_amount"),
])
def test_bad_input_answers_400_naming_the_field(api, payload, field):
    response = api(payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_anonymous_callers_are_refused(client):
    assert client.post(URL, BASE, content_type="application/json").status_code in (401, 403)


@pytest.mark.django_db
def test_the_quote_is_in_the_openapi_schema(client):
    client.force_login(UserFactory())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "post" in schema["paths"][URL]
    assert {"order_amount", "margin_ratio"} <= set(schema["components"]["schemas"]["ConfirmingQuoteInput"]["required"])
    assert "refund_due" in schema["components"]["schemas"]["ConfirmingQuote"]["properties"]
