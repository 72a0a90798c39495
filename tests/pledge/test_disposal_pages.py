"""The disposal case's pages and read API: the maker enters the sale, a second person settles it, the pledgor reads.

Figures of tests/pledge/test_disposals.py: a loan of 500,000.00; sold on 2026-04-07 for 620,000.00 with
12,400.00 of costs; interest 3,250.00 to the sale day; surplus 104,350.00.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from workflows.pledge import disposals
from workflows.pledge.models import PledgeDisposal

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D
from .test_disposals import SALE_DAY, defaulted, loan, to_sale_day

pytestmark = pytest.mark.django_db

SALE = {"method": "auction", "buyer": "Metals Trading Co.", "sale_date": "2026-04-07",
        "gross_proceeds": "620000.00", "costs_of_sale": "12400.00", "note": ""}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_maker_enters_the_sale_and_a_second_person_settles_it_on_the_page(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    maker, checker = client_for(dw.ops), client_for(dw.ops2)
    page = maker.get(reverse("pledge:disposal-detail", kwargs={"pledge_disposal_pk": disposal.pk}))
    assert page.status_code == 200 and "Enter the sale" in page.content.decode()
    response = maker.post(reverse("pledge:disposal-sale", kwargs={"pledge_disposal_pk": disposal.pk}), SALE)
    assert response.status_code == 302
    page = maker.get(reverse("pledge:disposal-detail", kwargs={"pledge_disposal_pk": disposal.pk})).content.decode()
    assert "104,350.00" in page and "Approve and settle" not in page
    response = checker.post(reverse("pledge:disposal-settle", kwargs={"pledge_disposal_pk": disposal.pk}))
    assert response.status_code == 302
    assert PledgeDisposal.objects.get(pk=disposal.pk).state == PledgeDisposal.State.SETTLED
    agreement_page = client_for(dw.pledgor_user).get(
        reverse("pledge:agreement-detail", kwargs={"agreement_pk": dw.agreement.pk})).content.decode()
    assert disposal.reference in agreement_page


def test_costs_above_the_proceeds_come_back_on_the_form_and_change_nothing(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    response = client_for(dw.ops).post(reverse("pledge:disposal-sale", kwargs={"pledge_disposal_pk": disposal.pk}),
                                       {**SALE, "costs_of_sale": "620000.01"})
    assert response.status_code == 400
    assert "cannot be more than the proceeds" in response.content.decode()
    disposal.refresh_from_db()
    assert (disposal.state, disposal.gross_proceeds, disposal.buyer) == (PledgeDisposal.State.OPENED, D("0.00"), "")


def test_the_pledgor_reads_the_disposal_but_cannot_enter_a_sale(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    pledgor = client_for(dw.pledgor_user)
    page = pledgor.get(reverse("pledge:disposal-detail", kwargs={"pledge_disposal_pk": disposal.pk}))
    assert page.status_code == 200 and "Enter the sale" not in page.content.decode()
    response = pledgor.post(reverse("pledge:disposal-sale", kwargs={"pledge_disposal_pk": disposal.pk}), SALE)
    assert response.status_code == 400
    assert PledgeDisposal.objects.get(pk=disposal.pk).state == PledgeDisposal.State.OPENED


def test_the_warehouse_does_not_see_the_disposal(dw):
    loan(dw)
    disposal = defaulted(dw)
    response = client_for(dw.warehouse_user).get(
        reverse("pledge:disposal-detail", kwargs={"pledge_disposal_pk": disposal.pk}))
    assert response.status_code == 404


def test_the_api_shows_the_application_of_the_proceeds(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = disposals.disposal_record_sale(disposal=disposal, method="auction", buyer="b",
                                              sale_date=SALE_DAY, gross_proceeds="620000.00",
                                              costs_of_sale="12400.00", acting_user=dw.ops)
    disposals.disposal_settle(disposal=disposal, acting_user=dw.ops2)
    url = reverse("api:pledge-disposal-detail", kwargs={"pledge_disposal_pk": disposal.pk})
    data = client_for(dw.pledgor_user).get(url).json()
    assert (data["state"], data["applied_costs"], data["applied_interest"], data["applied_principal"],
            data["surplus"], data["shortfall"]) == ("settled", "12400.00", "3250.00", "500000.00", "104350.00",
                                                   "0.00")
    assert client_for(dw.warehouse_user).get(url).status_code == 404


def test_the_defaulted_agreements_loans_card_says_no_loan_can_be_drawn(dw, today):
    loan(dw)
    defaulted(dw)
    page = client_for(dw.ops).get(
        reverse("pledge:agreement-detail", kwargs={"agreement_pk": dw.agreement.pk})).content.decode()
    assert "The agreement is in default: no loan can be drawn" in page
    assert "Loans are drawn once the agreement is active." not in page
