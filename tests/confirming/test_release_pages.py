"""Release pages: the request form on an order (errors in the form, in Chinese too), a release's page and its actions,
and the releases card an order's page includes. Figures as in test_release_services.py.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.confirming import release_setup
from tests.confirming.release_setup import pay
from workflows.confirming.models import ReleaseRequest
from workflows.confirming.services import release_request

pytestmark = pytest.mark.django_db
funded_order = release_setup.funded_order
warehouse_user = release_setup.warehouse_user


def logged_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def order(world, funded_order):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    order.refresh_from_db()
    return order


def test_the_request_form_shows_what_is_releasable_and_refuses_more_in_the_form(world, order):
    client = logged_in(world.distributor_user)
    url = reverse("confirming:release-request", kwargs={"cw_order_pk": order.pk})
    page = client.get(url).content.decode()
    assert "142,857.14" in page and "Mode 2: (M − M0) ÷ (1 − margin ratio), rounded down to 0.01." in page
    response = client.post(url, {"value": "142857.15"})
    assert response.status_code == 409
    assert "At most 142,857.14 can be released now" in response.content.decode()
    response = client.post(url, {"value": "abc"})
    assert response.status_code == 400 and "Enter a number." in response.content.decode()
    assert client.post(url, {"value": "0"}).status_code == 400
    assert not ReleaseRequest.objects.exists()
    response = client.post(url, {"value": "100000.00"})
    release = ReleaseRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "confirming:release-detail", kwargs={"cw_release_pk": release.pk})
    assert release.value == D("100000.00")


def test_the_request_form_in_chinese(world, order):
    client = logged_in(world.distributor_user, "zh-hans")
    url = reverse("confirming:release-request", kwargs={"cw_order_pk": order.pk})
    page = client.get(url).content.decode()
    assert "当前最多可申请CNY 142,857.14。" in page
    assert "方式二：（M－M0）÷（1－保证金比例），向下保留至分。" in page
    response = client.post(url, {"value": "abc"})
    assert response.status_code == 400 and "请输入数字。" in response.content.decode()
    response = client.post(url, {"value": "142857.15"})
    assert response.status_code == 409 and "当前最多可提货 142,857.14" in response.content.decode()


def test_only_the_distributor_asks_and_another_tenant_finds_nothing(world, order, corporate):
    _other, stranger = corporate("dist2", is_distributor=True, is_supplier=False)
    url = reverse("confirming:release-request", kwargs={"cw_order_pk": order.pk})
    assert logged_in(stranger).get(url).status_code == 404
    assert logged_in(world.seller_user).get(url).status_code == 404
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    detail = reverse("confirming:release-detail", kwargs={"cw_release_pk": release.pk})
    assert logged_in(stranger).get(detail).status_code == 404
    assert logged_in(stranger).post(reverse("confirming:release-withdraw",
                                            kwargs={"cw_release_pk": release.pk})).status_code == 404
    assert logged_in(world.seller_user).get(detail).status_code == 200


def test_a_release_is_worked_from_its_page(world, order, warehouse_user):
    release = release_request(order=order, value=D("142857.14"), acting_user=world.distributor_user)
    kwargs = {"cw_release_pk": release.pk}
    detail = reverse("confirming:release-detail", kwargs=kwargs)
    assert "Withdraw the request" in logged_in(world.distributor_user).get(detail).content.decode()
    # the distributor cannot issue the notice: refused on the page, nothing changed
    response = logged_in(world.distributor_user).post(reverse("confirming:release-notice", kwargs=kwargs))
    assert response.status_code == 403
    ops = logged_in(world.ops)
    assert "Issue the release notice" in ops.get(detail).content.decode()
    assert ops.post(reverse("confirming:release-notice", kwargs=kwargs)).status_code == 302
    # a second notice is a conflict
    assert ops.post(reverse("confirming:release-notice", kwargs=kwargs)).status_code == 409

    first, second = order.lines.order_by("pk")
    seller = logged_in(world.seller_user)
    page = seller.get(detail).content.decode()
    assert "Give the delivery notice" in page and "Left to deliver: 120 t." in page
    response = seller.post(reverse("confirming:release-delivery-notice", kwargs=kwargs),
                           {f"line-{first.pk}": "40", f"line-{second.pk}": "abc"})
    assert response.status_code == 400 and "Enter a number." in response.content.decode()
    response = seller.post(reverse("confirming:release-delivery-notice", kwargs=kwargs),
                           {f"line-{first.pk}": "40", f"line-{second.pk}": "0.5"})
    assert response.status_code == 302
    warehouse = logged_in(warehouse_user)
    page = warehouse.get(detail).content.decode()
    assert "Named by the delivery notice: 40 t." in page
    response = warehouse.post(reverse("confirming:release-delivery-confirm", kwargs=kwargs),
                              {f"line-{first.pk}": "40", f"line-{second.pk}": "0.3"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.delivered_value == D("140750.00")
    page = logged_in(world.distributor_user).get(detail).content.decode()
    assert "140,750.00" in page and "Delivery confirmed" in page


def test_withdrawing_from_the_page_frees_the_value(world, order):
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    client = logged_in(world.distributor_user)
    response = client.post(reverse("confirming:release-withdraw", kwargs={"cw_release_pk": release.pk}))
    assert response.status_code == 302
    release.refresh_from_db()
    order.refresh_from_db()
    assert release.state == ReleaseRequest.State.WITHDRAWN and order.released_value == D("0.00")


def test_the_releases_card_of_an_orders_page(world, order, corporate):
    release_request(order=order, value=D("42857.14"), acting_user=world.distributor_user)
    order.refresh_from_db()
    template = Template("{% load confirming_releases %}{% order_releases_card order %}")

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return template.render(Context({"request": request, "order": order}))

    html = render(world.distributor_user)
    assert "Releasable now: CNY 100,000.00" in html  # 142,857.14 − 42,857.14
    assert "42,857.14" in html and "Request a release" in html
    assert "Request a release" not in render(world.seller_user)
    _other, stranger = corporate("dist2", is_distributor=True, is_supplier=False)
    assert "42,857.14" not in render(stranger) and "Releases" not in render(stranger)  # not a party: no card
