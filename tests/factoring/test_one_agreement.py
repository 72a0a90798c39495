"""One executed factoring agreement per financing: one number, the supplier's language or parallel text,
signed once by the supplier and the lender; the debtor signs only the notice and its confirmation letter.

Worked numbers (facility defaults: advance 80 %, 6.5 % a year ACT/360 in advance, fee 0.5 %): one invoice of
100,000.00 confirmed in full, value date 2026-11-25, due 2027-02-23 = 90 days. Advance A = 100,000 × 0.80 =
80,000.00 (人民币捌万元整); interest = 80,000 × 0.065 × 90 / 360 = 1,300.00; fee = 100,000 × 0.005 = 500.00;
net = 80,000 − 1,300 − 500 = 78,200.00.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from documents.exceptions import SigningRefused
from documents.models import Document, Signature
from documents.rendering import render_html
from documents.services import document_sign
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring import services
from workflows.factoring.documents import SIGNERS
from workflows.factoring.models import FactoringFinancing

from .test_factoring_edges import _invoice, _request

PASSWORD = "pw-Secret-123"
SIG_MARKER = re.compile(r'data-sig-signer="([^"]+)"')


@pytest.fixture
def approved(world, django_capture_on_commit_callbacks):
    """A financing of 100,000.00 approved: the flow issued the agreement in the supplier's language."""
    receivable = _invoice(world, "ONE-1", "100000.00")
    financing = _request(world, receivable)
    services.receivable_confirm(receivable=receivable, amount=Decimal("100000.00"), note="",
                                acting_user=world.debtor_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=FactoringFinancing.objects.get(pk=financing.pk),
                                         approver=world.officer, decision="approve")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED
    return financing


def _agreements(financing):
    return Document.objects.filter(object_id=financing.pk, kind="factoring_agreement").order_by("version")


def _rows(financing):
    return list(Document.objects.filter(object_id=financing.pk).order_by("pk").values_list("pk", "kind", "language",
                                                                                            "version", "state"))


def _sign(document, organization, user):
    document.refresh_from_db()
    return document_sign(document=document, organization=organization, signer=user, password=PASSWORD,
                         ip_address="203.0.113.7", user_agent="pytest")


def test_the_supplier_chooses_bilingual_and_the_agreement_keeps_its_one_number(world, approved,
                                                                              django_capture_on_commit_callbacks):
    first = _agreements(approved).get()
    assert (first.language, first.state) == ("zh-hans", "issued")
    with django_capture_on_commit_callbacks(execute=True):
        made = services.financing_generate_contracts(financing=approved, language="bilingual",
                                                     acting_user=world.supplier_user)
    assert [d.kind for d in made] == ["factoring_agreement"]  # the debtor's notice and letter stay as they are
    first.refresh_from_db()
    second = _agreements(approved).last()
    assert (second.language, second.version, second.state) == ("bilingual", 2, "issued")
    assert second.number == first.number and first.state == "superseded"
    assert second.title == "国内保理业务合同 / Factoring Agreement"
    live = _agreements(approved).exclude(state__in=["superseded", "void"])
    assert list(live) == [second]  # one agreement, never one per language


def test_the_same_language_again_makes_nothing_new(world, approved, django_capture_on_commit_callbacks):
    before = _rows(approved)
    with django_capture_on_commit_callbacks(execute=True):
        made = services.financing_generate_contracts(financing=approved, language="zh-hans", acting_user=world.officer)
    assert made == [] and _rows(approved) == before


def test_the_parallel_text_says_the_chinese_governs_and_has_no_debtor_block(world, approved,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_generate_contracts(financing=approved, language="bilingual", acting_user=world.supplier_user)
    agreement = _agreements(approved).last()
    html = agreement.html
    assert "中文文本与英文文本如有任何不一致，以中文文本为准" in html
    assert "If the Chinese and the English text differ in any way, the Chinese text governs." in html
    assert "人民币捌万元整" in html and "CNY 80,000.00 (in words: Renminbi Eighty Thousand Yuan Only)" in html
    assert "人民币柒万捌仟贰佰元整" in html and "CNY 78,200.00" in html  # the net, in both languages
    assert set(SIG_MARKER.findall(html)) == {world.lender.uscc, world.supplier.uscc}
    assert agreement.page_count >= 5


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_one_language_agreement_no_longer_claims_a_second_text(world, approved, language,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_generate_contracts(financing=approved, language=language, acting_user=world.officer)
    html = _agreements(approved).exclude(state="superseded").get().html
    assert "made in Chinese and English" not in html and "以中文和英文书就" not in html
    assert "Acknowledged by the Debtor" not in html and "买方确认上述应收账款" not in html
    assert set(SIG_MARKER.findall(html)) == {world.lender.uscc, world.supplier.uscc}


def test_each_document_has_a_block_for_exactly_the_parties_that_sign_it(world, approved):
    documents = Document.objects.filter(object_id=approved.pk, state="issued")
    assert {d.kind for d in documents} == set(SIGNERS)
    uscc = {"supplier": world.supplier.uscc, "debtor": world.debtor.uscc, "lender": world.lender.uscc}
    for document in documents:
        signing = set(document.document_parties.filter(must_sign=True).values_list("role", flat=True))
        assert signing == set(SIGNERS[document.kind]), document.kind
        assert set(SIG_MARKER.findall(document.html)) == {uscc[role] for role in signing}, document.kind
    assert SIGNERS["factoring_agreement"] == ("supplier", "lender")
    assert "debtor" not in SIGNERS["factoring_agreement"]


def test_the_debtor_cannot_sign_the_agreement(world, approved):
    agreement = _agreements(approved).get()
    with pytest.raises(SigningRefused, match="is not a signing party"):
        _sign(agreement, world.debtor, world.debtor_user)
    assert not Signature.objects.filter(document=agreement).exists()


def test_each_party_signs_once_and_the_financing_is_signed(world, approved, django_capture_on_commit_callbacks):
    agreement = _agreements(approved).get()
    notice = Document.objects.get(object_id=approved.pk, kind="notice_of_assignment")
    letter = Document.objects.get(object_id=approved.pk, kind="debtor_confirmation_letter")
    with django_capture_on_commit_callbacks(execute=True):
        for document, organization, user in ((agreement, world.supplier, world.supplier_user),
                                             (notice, world.supplier, world.supplier_user),
                                             (notice, world.debtor, world.debtor_user),
                                             (letter, world.debtor, world.debtor_user),
                                             (agreement, world.lender, world.ops)):
            _sign(document, organization, user)
    with pytest.raises(SigningRefused):  # signed once: a second signature is refused
        _sign(agreement, world.supplier, world.supplier_user)
    approved.refresh_from_db()
    assert approved.state == FactoringFinancing.State.SIGNED
    assert sorted(Signature.objects.filter(document=agreement).values_list("organization__uscc", flat=True)) == sorted(
        [world.supplier.uscc, world.lender.uscc])
    for document in (agreement, notice, letter):
        document.refresh_from_db()
        assert document.state == "signed" and document.final_pdf


def test_the_portal_offers_the_supplier_the_language_choice(client, world, approved):
    client.force_login(world.supplier_user)
    page = client.get(reverse("factoring:financing-detail", args=[approved.pk])).content.decode()
    assert 'name="agreement_language"' in page and 'value="bilingual"' in page
    response = client.post(reverse("factoring:financing-generate", args=[approved.pk]),
                           {"agreement_language": "bilingual"}, follow=True)
    assert response.status_code == 200
    assert _agreements(approved).last().language == "bilingual"


def test_the_debtor_is_not_offered_the_choice(client, world, approved):
    client.force_login(world.debtor_user)
    page = client.get(reverse("factoring:financing-detail", args=[approved.pk])).content.decode()
    assert 'name="agreement_language"' not in page
    before = _rows(approved)
    client.post(reverse("factoring:financing-generate", args=[approved.pk]), {"agreement_language": "en"})
    assert _rows(approved) == before


# --- API -------------------------------------------------------------------------------------------------

def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _url(financing):
    return f"/api/v1/factoring/financings/{financing.pk}/contracts/"


def test_api_generates_the_agreement_in_the_chosen_language(world, approved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(world.supplier_user).post(_url(approved), {"language": "bilingual"}, format="json")
    assert response.status_code == 201, response.content
    agreements = [d for d in response.json() if d["kind"] == "factoring_agreement"]
    assert [(d["language"], d["version"]) for d in agreements] == [("bilingual", 2)]
    # Rendered and numbered after commit: the same number as the first text, a new version.
    assert Document.objects.get(pk=agreements[0]["id"]).number == _agreements(approved).first().number


def test_api_refuses_a_language_it_does_not_know_and_changes_nothing(world, approved):
    before = _rows(approved)
    response = _api(world.supplier_user).post(_url(approved), {"language": "fr"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "language" in error["fields"]
    assert _rows(approved) == before


def test_api_refuses_before_approval_with_409(world):
    receivable = _invoice(world, "ONE-2", "100000.00")
    financing = _request(world, receivable)
    response = _api(world.supplier_user).post(_url(financing), {"language": "en"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "contracts_not_open"
    assert not Document.objects.filter(object_id=financing.pk).exists()


def test_api_refuses_once_a_party_signed_with_409(world, approved):
    _sign(_agreements(approved).get(), world.supplier, world.supplier_user)
    before = _rows(approved)
    response = _api(world.officer).post(_url(approved), {"language": "bilingual"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "contracts_already_signed"
    assert _rows(approved) == before


def test_api_answers_404_for_another_tenants_financing_and_403_for_the_debtor(world, approved):
    other = OrganizationFactory(legal_name="另一供应商", legal_name_en="Another Supplier")
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=other, role="operator")
    LenderFactory()
    before = _rows(approved)
    assert _api(stranger).post(_url(approved), {"language": "en"}, format="json").status_code == 404
    assert _api(world.debtor_user).post(_url(approved), {"language": "en"}, format="json").status_code == 403
    assert _rows(approved) == before


def test_the_bilingual_template_renders_under_chinese_whatever_the_request_language(world, approved):
    from django.utils import translation

    from documents import registry
    from documents.issuing import build_context

    kind = registry.get("factoring_agreement")
    context = build_context(kind, approved, {"number": "FAC-2099-000001", "version": 1, "title": "x",
                                             "language": "bilingual", "issued_date": approved.value_date,
                                             "kind": kind.code})
    with translation.override("en"):
        html = render_html(kind.template_name("bilingual"), context, "bilingual")
    assert '<html lang="zh-Hans" class="bi">' in html
