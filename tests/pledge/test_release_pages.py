"""Release pages in English and Chinese: the releases card, the request and substitution form, a release, a split.

Base case: copper 100.000 t at 5,000.00/t, r = 0.60, E = 180,000.00 → 300,000.00 must stay,
200,000.00 (40.000 t) releasable.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.pledge.release_helpers import pledge_goods, priced_agreement
from workflows.pledge import pledge_releases as releases
from workflows.pledge.models import PledgedItem, PledgeRelease, WarehouseReceipt
from workflows.pledge.pledge_releases import ReleaseRequestLine

pytestmark = pytest.mark.django_db

D = Decimal


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def page(client, url, language="en"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def no_inline_code(html: str) -> None:
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


@pytest.fixture
def goods(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    lot, wr_a = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")], receipts=[("WR-A", "30.000")])
    # V = 650,000.00; releasable = 650,000.00 − 300,000.00 = 350,000.00; per copper: keep 60.000 t, 70.000 t may go
    return agreement, lot, wr_a


def test_the_collateral_page_shows_the_releases_card(world, goods):
    agreement, lot, _wr_a = goods
    url = reverse("pledge:agreement-collateral", args=[agreement.pk])
    html = page(logged_in(world.pledgor_user), url)
    no_inline_code(html)
    assert "Releasable now" in html and "350,000.00" in html and "300,000.00" in html
    assert "60 tonne" in html and "70 tonne" in html
    assert reverse("pledge:release-request", args=[agreement.pk]) in html and "Substitution" in html
    releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot, D("10.000"))],
                             acting_user=world.pledgor_user)
    html = page(logged_in(world.pledgor_user, "zh-hans"), url, "zh-hans")
    assert "可解押" in html and "REL-" in html and "50,000.00" in html  # R = 10 t × 5,000.00
    warehouse = page(logged_in(world.warehouse_user), url)
    assert "Request a release" not in warehouse and "Exposure (E)" not in warehouse
    assert reverse("pledge:receipt-split", args=[goods[2].pk]) in warehouse  # WR-A may be split


def test_the_pledgor_requests_then_each_party_acts_on_the_release_page(world, goods, corporate):
    agreement, lot, wr_a = goods
    client = logged_in(world.pledgor_user)
    url = reverse("pledge:release-request", args=[agreement.pk])
    html = page(client, url)
    no_inline_code(html)
    assert "LOT-1" in html and "WR-A" in html and "Release whole" in html
    response = client.post(url, {f"item-{lot.pk}": "25.5", f"item-{wr_a.pk}": "whole", "note": "order 7"})
    release = PledgeRelease.objects.get()
    assert response.status_code == 302 and response.url == reverse("pledge:release-detail", args=[release.pk])
    assert release.requested_value == D("277500.00")  # 127,500.00 + 150,000.00
    detail = reverse("pledge:release-detail", args=[release.pk])
    html = page(client, detail)
    no_inline_code(html)
    assert "277,500.00" in html and "LOT-1" in html and "Cancel the release" in html
    assert "Issue the release order" not in html
    ops = logged_in(world.ops, "zh-hans")
    assert "签发解押指令" in page(ops, detail, "zh-hans")
    assert ops.post(reverse("pledge:release-order", args=[release.pk])).status_code == 302
    _other, other_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    assert logged_in(other_user).get(detail).status_code == 404
    assert logged_in(other_user).post(reverse("pledge:release-execute", args=[release.pk])).status_code == 404
    warehouse = logged_in(world.warehouse_user)
    todo = page(logged_in(world.warehouse_user, "zh-hans"), reverse("pledge:goods-to-count"), "zh-hans")
    assert "待执行的解押指令" in todo and release.reference in todo
    assert release.reference not in page(logged_in(other_user), reverse("pledge:goods-to-count"))
    html = page(warehouse, detail)
    assert "Confirm the goods went out" in html and "Release order" in html
    response = warehouse.post(reverse("pledge:release-execute", args=[release.pk]), {"note": "truck 9"})
    assert response.status_code == 302
    release.refresh_from_db()
    lot.refresh_from_db()
    assert release.state == PledgeRelease.State.EXECUTED and lot.quantity == D("74.500")
    html = page(client, detail)
    assert "Executed" in html and "truck 9" in html


def test_refusals_come_back_on_the_form_with_the_figures(world, goods):
    agreement, lot, wr_a = goods
    client = logged_in(world.pledgor_user)
    url = reverse("pledge:release-request", args=[agreement.pk])
    response = client.post(url, {f"item-{lot.pk}": "abc"})
    assert response.status_code == 400 and "Enter a number." in response.content.decode()
    response = client.post(url, {f"item-{lot.pk}": "70.001"})  # 70.000 t may go
    assert response.status_code == 409
    assert "At most 70.000 tonne of Copper cathode may be released now" in response.content.decode()
    chinese = logged_in(world.pledgor_user, "zh-hans").post(url, {f"item-{lot.pk}": "70.001"},
                                                             HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 409 and "70.000" in chinese.content.decode()
    response = client.post(url, {})
    assert response.status_code == 400 and "Choose at least one receipt or lot" in response.content.decode()
    assert not PledgeRelease.objects.exists()
    assert logged_in(world.warehouse_user).get(url).status_code == 404  # only the pledgor asks
    assert logged_in(world.ops).get(url).status_code == 404


def test_a_substitution_on_the_form(world, goods):
    agreement, lot, _wr_a = goods
    (new,) = pledge_goods(world, agreement, lots=[("LOT-NEW", "20.000")])  # 100,000.00 in
    client = logged_in(world.pledgor_user)
    url = reverse("pledge:release-request", args=[agreement.pk])
    html = page(client, url + "?mode=substitution")
    assert "Request a substitution" in html and new.intake.reference in html and "100,000.00" in html
    response = client.post(url, {f"item-{lot.pk}": "20.001", "substitution_for": new.intake_id})
    assert response.status_code == 409
    assert "CNY 100,005.00, more than the new goods of intake" in response.content.decode()
    response = client.post(url, {f"item-{lot.pk}": "20", "substitution_for": new.intake_id})
    release = PledgeRelease.objects.get()
    assert response.status_code == 302 and release.substitution_for_id == new.intake_id
    html = page(client, reverse("pledge:release-detail", args=[release.pk]))
    assert "Substitution for the goods of intake" in html and new.intake.reference in html


def test_the_warehouse_splits_a_receipt_on_its_page(world, goods):
    agreement, _lot, wr_a = goods
    url = reverse("pledge:receipt-split", args=[wr_a.pk])
    assert logged_in(world.pledgor_user).get(url).status_code == 404
    assert logged_in(world.ops).post(url, {}).status_code == 404
    warehouse = logged_in(world.warehouse_user)
    html = page(warehouse, url)
    no_inline_code(html)
    assert "Split receipt WR-A" in html and "30 tonne" in html
    response = warehouse.post(url, {"part-0-number": "WR-A1", "part-0-quantity": "10",
                                    "part-1-number": "WR-A2", "part-1-quantity": "19.999"})
    assert response.status_code == 400
    assert "The parts add up to 29.999; receipt WR-A holds 30.000." in response.content.decode()
    response = warehouse.post(url, {"part-0-number": "WR-A1", "part-0-quantity": "x",
                                    "part-1-number": "WR-A2", "part-1-quantity": "20"})
    assert response.status_code == 400 and "Enter a number." in response.content.decode()
    zh = logged_in(world.warehouse_user, "zh-hans").post(url, {"part-0-number": "WR-A1", "part-0-quantity": "10"},
                                                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and "拆分" in zh.content.decode()
    response = warehouse.post(url, {"part-0-number": "WR-A1", "part-0-quantity": "10",
                                    "part-3-number": "WR-A2", "part-3-quantity": "20"})
    assert response.status_code == 302
    assert response.url == reverse("pledge:agreement-collateral", args=[agreement.pk])
    assert set(WarehouseReceipt.objects.filter(split_from__number="WR-A").values_list("number", flat=True)) == {
        "WR-A1", "WR-A2"}
    wr_a.refresh_from_db()
    assert wr_a.status == PledgedItem.Status.SPLIT
    assert logged_in(world.warehouse_user).get(url).status_code == 200  # the split item is still seen


def test_the_warehouse_of_a_static_pledge_is_not_told_what_must_stay(world, goods):
    agreement, _lot, _wr_a = goods
    agreement.kind = agreement.Kind.STATIC
    agreement.save(update_fields=["kind"])
    url = reverse("pledge:agreement-collateral", args=[agreement.pk])
    warehouse = page(logged_in(world.warehouse_user), url)
    assert "Releases of this agreement" in warehouse
    assert "Must stay pledged" not in warehouse and "300,000.00" not in warehouse
    pledgor = page(logged_in(world.pledgor_user), url)
    assert "Must stay pledged" in pledgor and "300,000.00" in pledgor and "Substitution (new" not in pledgor
