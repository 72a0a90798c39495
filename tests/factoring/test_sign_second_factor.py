"""Signing asks a signer who has an authenticator app for a fresh code: in the inbox, on the document page,
and in the service itself; without a valid one nothing is signed."""

import pytest
from django.test import Client
from django.urls import reverse

from documents.models import Document, Signature
from documents.services import document_sign
from scf.parties.second_factor import SecondFactorRequired, WrongSecondFactor
from tests.second_factor import code_at, enrolled_device, force_login_verified
from workflows.factoring.flows import FactoringFlow

from .test_financing_lifecycle import _task
from .test_one_agreement import PASSWORD, approved  # noqa: F401  (the fixture)


def _wrong(device) -> str:
    return "000000" if code_at(device) != "000000" else "111111"


def _lender_documents(financing, world):
    return [d for d in Document.objects.filter(object_id=financing.pk, state="issued")
            if d.document_parties.filter(organization=world.lender, must_sign=True).exists()]


def test_the_inbox_sign_step_needs_a_fresh_code_and_signs_nothing_without(world, approved):  # noqa: F811
    device = enrolled_device(world.ops)
    client = Client()
    force_login_verified(client, world.ops, device)
    url = reverse("inbox:task", kwargs={"task_pk": _task(approved, FactoringFlow.sign_lender).pk})
    assert 'name="otp_code"' in client.get(url).content.decode()
    form = {"password": PASSWORD, "_viewflow_activation-started": "x"}

    missing = client.post(url, form)
    assert missing.status_code == 400 and "authenticator app" in missing.content.decode()
    wrong = client.post(url, {**form, "otp_code": _wrong(device)})
    assert wrong.status_code == 400
    assert Signature.objects.count() == 0
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    device.throttle_reset()
    to_sign = _lender_documents(approved, world)
    done = client.post(url, {**form, "otp_code": code_at(device)})
    assert done.status_code == 302
    # One code signs every document of the click.
    assert Signature.objects.filter(organization=world.lender).count() == len(to_sign) >= 1


def test_the_service_refuses_without_a_valid_code(world, approved):  # noqa: F811
    device = enrolled_device(world.ops)
    document = _lender_documents(approved, world)[0]
    sign = {"document": document, "organization": world.lender, "signer": world.ops, "password": PASSWORD,
            "ip_address": "203.0.113.7", "user_agent": "pytest"}
    with pytest.raises(SecondFactorRequired):
        document_sign(**sign)
    with pytest.raises(WrongSecondFactor):
        document_sign(**sign, otp_code=_wrong(device))
    assert Signature.objects.count() == 0
    device.throttle_reset()
    assert document_sign(**sign, otp_code=code_at(device)).organization == world.lender


def test_the_document_page_asks_for_the_code(world, approved):  # noqa: F811
    device = enrolled_device(world.ops)
    document = _lender_documents(approved, world)[0]
    client = Client()
    force_login_verified(client, world.ops, device)
    assert 'name="otp_code"' in client.get(reverse("documents:detail", kwargs={"document_pk": document.pk})).content.decode()
    url = f"/documents/{document.pk}/sign/"
    form = {"organization": world.lender.pk, "password": PASSWORD, "confirm": "on"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and Signature.objects.count() == 0
    done = client.post(url, {**form, "otp_code": code_at(device)})
    assert done.status_code == 302 and Signature.objects.count() == 1
