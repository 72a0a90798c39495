"""The stock count page: the warehouse's form (≥ 0, the unit's precision), the variance shown, others refused."""

import pytest
from django.test import Client
from django.urls import reverse

from workflows.pledge.models import PledgedItem, PledgeStockCount

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(dw) -> str:
    return reverse("pledge:stock-count", kwargs={"agreement_pk": dw.agreement.pk})


def test_the_warehouse_enters_a_count_and_sees_the_variance(dw):
    item = PledgedItem.objects.get(agreement=dw.agreement)
    client = client_of(dw.warehouse_user)
    page = client.get(url(dw))
    assert page.status_code == 200 and f'name="count-{item.pk}"' in page.content.decode()
    response = client.post(url(dw), {f"count-{item.pk}": "97.250", "counted_on": "2026-03-02", "note": "Q1"})
    assert response.status_code == 302
    # 97.250 − 100.000 = −2.750: a shortfall, the pledged quantity now 97.250.
    body = client.get(url(dw)).content.decode()
    assert "-2.75" in body and "97.25" in body
    item.refresh_from_db()
    assert item.quantity == D("97.250")
    assert "Stock counts" in client.get(reverse("pledge:goods-to-count")).content.decode()


@pytest.mark.parametrize(("value", "message"), [("-1", "cannot be below zero"), ("99.0001", "decimal places"),
                                                ("", "This field is required")])
def test_a_bad_quantity_is_refused_with_the_form_and_nothing_changes(dw, value, message):
    item = PledgedItem.objects.get(agreement=dw.agreement)
    response = client_of(dw.warehouse_user).post(url(dw), {f"count-{item.pk}": value, "counted_on": "2026-03-02"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not PledgeStockCount.objects.exists()


def test_a_count_dated_tomorrow_is_refused(dw):
    item = PledgedItem.objects.get(agreement=dw.agreement)
    response = client_of(dw.warehouse_user).post(url(dw), {f"count-{item.pk}": "100", "counted_on": "2026-03-03"})
    assert response.status_code == 400 and not PledgeStockCount.objects.exists()


def test_the_lender_and_pledgor_see_the_counts_but_cannot_enter_one(dw):
    item = PledgedItem.objects.get(agreement=dw.agreement)
    for user in (dw.ops, dw.pledgor_user):
        client = client_of(user)
        page = client.get(url(dw))
        assert page.status_code == 200 and f'name="count-{item.pk}"' not in page.content.decode()
        assert client.post(url(dw), {f"count-{item.pk}": "1", "counted_on": "2026-03-02"}).status_code == 403
    assert not PledgeStockCount.objects.exists()
