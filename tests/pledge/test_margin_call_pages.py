"""Margin call pages and API: the lender's staff list the open calls and record a cash margin; the pledgor sees
its call and notice; the warehouse and another lender get 404. Figures as in test_margin_calls.py."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.pledge.test_margin_calls import *  # noqa: F403  (the fixtures called, on_day)
from workflows.pledge.models import PledgeMarginCall

pytestmark = pytest.mark.django_db

D = Decimal


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_lenders_staff_list_the_open_calls_and_open_one(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    page = client_of(world.ops).get(reverse("pledge:margin-call-list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert call.reference in body and "2026-12-04" in body and "100,000.00" in body
    detail = client_of(world.ops).get(reverse("pledge:margin-call-detail", kwargs={"margin_call_pk": call.pk}))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "19.114" in text and "cash-margin" in text
    assert "Copper cathode at 8,720.00" in text  # the price as money, not 8720.000000
    assert "Additional goods: 19.114 (tonne) of CU · Copper cathode at 8,720.00 per tonne" in text  # with its unit
    agreement_page = client_of(world.ops).get(reverse("pledge:agreement-detail", kwargs={"agreement_pk": called.pk}))
    assert call.reference in agreement_page.content.decode()


def test_a_cash_margin_through_the_page_cures_and_bad_input_changes_nothing(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    url = reverse("pledge:margin-call-cash", kwargs={"margin_call_pk": call.pk})
    bad = client_of(world.ops).post(url, {"amount": "-1", "bank_reference": "", "received_on": "2026-12-01"})
    assert bad.status_code == 400
    called.refresh_from_db()
    assert called.cash_margin == D("0.00")
    # 1.00 of cash margin: E 699,999.00 against V 1,000,000.00, LTV 0.699999 < 0.70: cured.
    done = client_of(world.ops).post(url, {"amount": "1.00", "bank_reference": "BK-P1", "received_on": "2026-12-01"})
    assert done.status_code == 302
    call.refresh_from_db()
    assert call.state == PledgeMarginCall.State.CURED
    again = client_of(world.ops).post(url, {"amount": "1.00", "bank_reference": "BK-P2", "received_on": "2026-12-01"})
    assert again.status_code == 409
    called.refresh_from_db()
    assert called.cash_margin == D("1.00")


def test_the_pledgor_sees_its_call_and_notice_and_may_not_record_cash(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    page = client_of(world.pledgor_user).get(reverse("pledge:margin-call-detail", kwargs={"margin_call_pk": call.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert call.reference in text and "cash-margin" not in text
    assert "PMC-" in text  # the notice's number in the documents card
    refused = client_of(world.pledgor_user).post(
        reverse("pledge:margin-call-cash", kwargs={"margin_call_pk": call.pk}),
        {"amount": "1.00", "bank_reference": "BK-X", "received_on": "2026-12-01"})
    assert refused.status_code == 403
    called.refresh_from_db()
    assert called.cash_margin == D("0.00")


def test_the_api_reads_the_calls_tenant_scoped(world, called, other_lender_world):
    call = PledgeMarginCall.objects.get(agreement=called)
    api = APIClient()
    api.force_authenticate(world.pledgor_user)
    listed = api.get(reverse("api:pledge-margin-call-list"), {"state": "open"})
    assert listed.status_code == 200 and [c["reference"] for c in listed.json()] == [call.reference]
    detail = api.get(reverse("api:pledge-margin-call-detail", args=[call.pk])).json()
    assert (detail["cure_amount"], detail["deadline"], detail["state"]) == ("100000.00", "2026-12-04", "issued")
    assert {g["commodity"]: g["quantity"] for g in detail["cure_goods"]} == {"CU": "19.114", "EVB": "14.000"}
    assert [d["kind"] for d in detail["documents"]] == ["pledge_margin_call_notice"]
    for user in (world.warehouse_user, other_lender_world[1]):
        api.force_authenticate(user)
        assert api.get(reverse("api:pledge-margin-call-detail", args=[call.pk])).status_code == 404
        assert api.get(reverse("api:pledge-margin-call-list")).json() == []
    assert client_of(world.warehouse_user).get(
        reverse("pledge:margin-call-detail", kwargs={"margin_call_pk": call.pk})).status_code == 404
