"""Financing requests, confirmation and dispute through the API: tenant-scoped, clear errors."""

from decimal import Decimal

from rest_framework.test import APIClient

from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import _receivable


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_request_confirm_and_dispute_through_the_api(world):
    first, second = _receivable(world, "INV-A1"), _receivable(world, "INV-A2", face="200000.00")
    supplier = _api(world.supplier_user)
    bad = supplier.post("/api/v1/factoring/financings/", {"receivables": [first.pk], "value_date": "2026-11-24"},
                        format="json")
    assert bad.status_code == 400 and "value_date" in bad.json()["error"]["fields"]
    created = supplier.post("/api/v1/factoring/financings/",
                            {"receivables": [first.pk, second.pk], "value_date": "2026-11-25"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["confirmed_amount"], body["advance_amount"]) == ("draft", "1200000.00", "960000.00")

    core = _api(world.debtor_user)
    assert supplier.post(f"/api/v1/receivables/{first.pk}/confirm/",
                         {"confirmed_amount": "1000000.00"}, format="json").status_code == 403
    over = core.post(f"/api/v1/receivables/{first.pk}/confirm/", {"confirmed_amount": "1000000.01"}, format="json")
    assert over.status_code == 400 and "confirmed_amount" in over.json()["error"]["fields"]
    assert core.post(f"/api/v1/receivables/{first.pk}/confirm/", {"confirmed_amount": "1000000.00"},
                     format="json").status_code == 200
    no_reason = core.post(f"/api/v1/receivables/{second.pk}/dispute/", {"note": ""}, format="json")
    assert no_reason.status_code == 400
    assert core.post(f"/api/v1/receivables/{second.pk}/dispute/", {"note": "Goods returned"},
                     format="json").status_code == 200
    again = core.post(f"/api/v1/receivables/{second.pk}/dispute/", {"note": "Goods returned"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"

    financing = FactoringFinancing.objects.get()
    # The disputed invoice leaves the request; the rest is repriced on 1,000,000.00 and goes to review.
    assert (financing.state, financing.confirmed_amount, financing.advance_amount) == (
        "under_review", Decimal("1000000.00"), Decimal("800000.00"))
    assert list(financing.receivables.values_list("invoice_number", flat=True)) == ["INV-A1"]
    as_debtor = _api(world.debtor_user).get(f"/api/v1/factoring/financings/{financing.pk}/").json()
    assert as_debtor["confirmed_amount"] == "1000000.00" and "net_disbursement" not in as_debtor
    # Supplier: A = 800,000.00, I = 800,000 × 0.065 × 90/360 = 13,000.00, F = 5,000.00, net 782,000.00.
    assert supplier.get(f"/api/v1/factoring/financings/{financing.pk}/").json()["net_disbursement"] == "782000.00"


def test_another_suppliers_invoice_cannot_be_financed_and_other_tenants_get_404(world, corporate):
    theirs = _receivable(world, "INV-THEIRS")
    stranger_org, stranger = corporate("stranger")
    client = _api(stranger)
    refused = client.post("/api/v1/factoring/financings/", {"receivables": [theirs.pk], "value_date": "2026-11-25"},
                          format="json")
    assert refused.status_code == 400 and "receivables" in refused.json()["error"]["fields"]
    assert client.post(f"/api/v1/receivables/{theirs.pk}/confirm/", {"confirmed_amount": "1.00"},
                       format="json").status_code == 404
    assert Receivable.objects.get().state == "draft"
    assert not FactoringFinancing.objects.exists()
