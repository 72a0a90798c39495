"""The Commodity prices page and API: enter, approve by a second person, refusals change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from workflows.pledge.models import CommodityPrice
from workflows.pledge.services import price_approve, price_propose

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(world, **changes):
    return {"commodity": world.copper.pk, "price": "68450.00", "currency": "CNY", "source": "exchange",
            "effective_date": timezone.localdate().isoformat(), "reference": "SHFE", **changes}


def test_operations_enter_a_price_and_risk_approves_it_on_the_page(world):
    ops = logged_in(world.ops)
    page = ops.get(reverse("pledge:price-list"))
    assert page.status_code == 200
    assert "No approved price" in page.content.decode()
    response = ops.post(reverse("pledge:price-propose"), form(world))
    assert response.status_code == 302
    price = CommodityPrice.objects.get()
    page = ops.get(reverse("pledge:price-list")).content.decode()
    assert "You entered this price: a second person approves it." in page
    assert reverse("pledge:price-approve", args=[price.pk]) not in page
    risk = logged_in(world.risk)
    assert reverse("pledge:price-approve", args=[price.pk]) in risk.get(reverse("pledge:price-list")).content.decode()
    assert risk.post(reverse("pledge:price-approve", args=[price.pk])).status_code == 302
    assert CommodityPrice.objects.get().state == "approved"
    assert "Current" in ops.get(reverse("pledge:price-list")).content.decode()


@pytest.mark.parametrize("changes, field", [({"price": "0"}, "price"), ({"price": "-5"}, "price"),
                                             ({"price": "abc"}, "price"), ({"effective_date": ""}, "effective_date")])
def test_a_bad_price_answers_400_with_the_error_and_saves_nothing(world, changes, field):
    response = logged_in(world.ops).post(reverse("pledge:price-propose"), form(world, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not CommodityPrice.objects.exists()


def test_the_maker_is_refused_409_on_the_page_and_nothing_changes(world):
    price = price_propose(lender=world.lender, commodity=world.copper, price=68450, source="spot",
                          effective_date=timezone.localdate(), acting_user=world.risk)
    response = logged_in(world.risk).post(reverse("pledge:price-approve", args=[price.pk]))
    assert response.status_code == 409
    assert "a second person must approve it" in response.content.decode()
    assert CommodityPrice.objects.get().state == "proposed"


def test_the_page_is_in_chinese(world):
    client = logged_in(world.ops)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("pledge:price-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "商品价格" in page
    assert "电解铜" in page


def test_the_menu_shows_prices_to_lender_staff_only(world):
    assert reverse("pledge:price-list") in logged_in(world.ops).get("/").content.decode()
    assert reverse("pledge:price-list") not in logged_in(world.pledgor_user).get("/").content.decode()
    assert logged_in(world.pledgor_user).get(reverse("pledge:price-list")).status_code == 404


def test_another_lenders_price_is_not_found(world, other_lender_world):
    price = price_propose(lender=world.lender, commodity=world.copper, price=68450, source="spot",
                          effective_date=timezone.localdate(), acting_user=world.ops)
    _other, other_risk = other_lender_world
    assert logged_in(other_risk).post(reverse("pledge:price-approve", args=[price.pk])).status_code == 404
    assert logged_in(other_risk).post(f"/api/v1/pledge/prices/{price.pk}/approve/").status_code == 404
    assert logged_in(other_risk).get("/api/v1/pledge/prices/").json() == []
    assert CommodityPrice.objects.get().state == "proposed"


def test_api_enter_and_approve_a_price(world):
    ops = logged_in(world.ops)
    response = ops.post("/api/v1/pledge/prices/", {
        "commodity": "CU", "price": "68450.00", "source": "exchange",
        "effective_date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
        content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["commodity"], body["price"], body["state"], body["created_by"]) == (
        "CU", "68450.000000", "proposed", "ops")
    refused = logged_in(world.admin).post(f"/api/v1/pledge/prices/{body['id']}/approve/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_permitted")  # admins do not approve
    risk = logged_in(world.risk)
    approved = risk.post(f"/api/v1/pledge/prices/{body['id']}/approve/")
    assert approved.status_code == 200
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", "risk")
    again = risk.post(f"/api/v1/pledge/prices/{body['id']}/reject/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "price_already_decided")


def test_api_the_maker_gets_409_price_four_eyes(world):
    risk = logged_in(world.risk)
    body = risk.post("/api/v1/pledge/prices/", {"commodity": "CU", "price": "68450", "source": "spot",
                                                "effective_date": timezone.localdate().isoformat()},
                     content_type="application/json").json()
    response = risk.post(f"/api/v1/pledge/prices/{body['id']}/approve/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "price_four_eyes")
    assert CommodityPrice.objects.get().state == "proposed"


@pytest.mark.parametrize("changes, field", [({"price": "0"}, "price"), ({"price": "-1"}, "price"),
                                             ({"commodity": "XX"}, "commodity"), ({"source": "rumour"}, "source")])
def test_api_bad_price_answers_400_naming_the_field(world, changes, field):
    payload = {"commodity": "CU", "price": "68450", "source": "spot",
               "effective_date": timezone.localdate().isoformat(), **changes}
    response = logged_in(world.ops).post("/api/v1/pledge/prices/", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not CommodityPrice.objects.exists()


@pytest.mark.django_db
def test_the_prices_page_shows_a_foreign_currency_price_beside_the_default_one_never_instead(client, world):
    today = timezone.localdate()
    for currency, amount in (("CNY", "68450.00"), ("USD", "9000.00")):
        price_approve(price=price_propose(lender=world.lender, commodity=world.copper, price=Decimal(amount),
                                          currency=currency, source="exchange", effective_date=today,
                                          acting_user=world.ops), acting_user=world.risk)
    client.force_login(world.risk)
    html = client.get("/pledge/prices/").content.decode()
    cny_row = html.split('id="current-CU"')[1].split("</tr>")[0]
    usd_row = html.split('id="current-CU-USD"')[1].split("</tr>")[0]
    assert "CNY 68,450.00" in cny_row and "USD" not in cny_row
    assert "USD 9,000.00" in usd_row
