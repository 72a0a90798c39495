"""The credit review as the officer and the supplier meet it in the browser.

supplier1's next request after the demo's recourse case (240,000.00 advanced, due 40 days ago,
buy-back claimed, 242,340.00 owed: see test_factoring_walk.test_recourse_buy_back): the officer
sees that case beside the new one, returns the request asking for a document, supplier1 attaches
it (a file that is not a PDF is refused first), resubmits, and the officer reads it with its SHA-256.
"""

from __future__ import annotations

import hashlib

import pytest

from scf.parties.demo import MINIMAL_PDF
from workflows.factoring.credit_review import applicant_exposure
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.models import CaseAttachment

from .test_factoring_walk import (
    NAMES,
    REFERENCE,
    _card,
    _expect,
    _fact,
    _open_task,
    _register_and_request,
    _unfreeze_supplier1,
)

pytestmark = pytest.mark.django_db(transaction=True)

ASKED = "Audited financial statements 2025"


def test_the_officer_sees_the_earlier_buy_back_and_asks_for_a_document(today, login, shoot):
    expect = _expect()
    earlier = FactoringFinancing.objects.get(supplier__legal_name=NAMES["supplier1"], state="recourse_claimed")
    _unfreeze_supplier1(login, shoot)

    supplier = login("supplier1")
    _register_and_request(supplier, shoot, invoice="INV-REVIEW-0001", face="500000.00", today=today)
    supplier.get_by_role("button", name="Apply").click()
    reference = REFERENCE.search(supplier.get_by_role("heading", level=1).inner_text()).group()
    core = login("core1")
    _open_task(core, reference, "Confirm invoices")
    core.get_by_label("Confirmed amount").fill("500000.00")
    core.get_by_role("button", name="Send the answer").click()
    expect(core.locator(".messages")).to_contain_text(f"Your answer on {reference} was recorded.")

    # The officer: KYC, exposure, the earlier overdue case with its buy-back claimed, the concentration.
    officer = login("officer")
    _open_task(officer, reference, "Credit review")
    expect(_card(officer, "KYC")).to_contain_text(NAMES["supplier1"])
    expect(_card(officer, "KYC")).to_contain_text("expires on")
    review = officer.locator("#credit-review")
    financing = FactoringFinancing.objects.get(reference=reference)
    exposure = applicant_exposure(lender=financing.lender, supplier=financing.supplier, currency="CNY",
                                  request=financing)
    expect(_fact(review, "This request")).to_have_text("400,000.00")  # 500,000 × 0.80
    expect(_fact(review, "Exposure with this request")).to_have_text(f"CNY {exposure.with_request:,.2f}")
    row = review.locator("tbody tr").filter(has_text=earlier.reference)
    expect(row).to_contain_text("Recourse claimed")
    expect(row).to_contain_text("CNY 242,340.00")
    expect(review.locator("#overdue-history")).to_contain_text("1 financing with this lender that fell overdue")
    expect(review.locator("#concentration")).to_contain_text("Share of the facility's limit")
    review.scroll_into_view_if_needed()
    shoot(officer, "credit-review-card")

    officer.get_by_label("Return for revision", exact=True).check()
    officer.get_by_label("Comment").fill("Please send the latest audited accounts.")
    officer.get_by_label("Document to ask for").fill(ASKED)
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")

    # supplier1: the request names the document; a text file called .pdf is refused, the PDF is kept.
    supplier = login("supplier1")
    _open_task(supplier, reference, "Revise the request")
    expect(supplier.locator("#document-asked")).to_contain_text(f"The lender asks for: {ASKED}")
    expect(supplier.locator("#credit-review")).to_have_count(0)
    form = supplier.locator("#attach-form")
    form.get_by_label("Asked for").select_option(label=ASKED)
    form.locator('input[type="file"]').set_input_files(
        {"name": "accounts.pdf", "mimeType": "application/pdf", "buffer": b"these are not accounts"})
    form.get_by_role("button", name="Attach").click()
    expect(supplier.locator(".errorlist")).to_contain_text("Only PDF, PNG and JPEG files are accepted")
    shoot(supplier, "attachment-refused")
    assert not CaseAttachment.objects.filter(original_name__startswith="accounts").exists()
    form = supplier.locator("#attach-form")
    form.get_by_label("Asked for").select_option(label=ASKED)
    form.locator('input[type="file"]').set_input_files(
        {"name": "accounts-2025.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF})
    form.get_by_role("button", name="Attach").click()
    expect(supplier.locator(".messages")).to_contain_text(f"“{ASKED}” attached to {reference}.")
    expect(supplier.locator("#attachment-list")).to_contain_text("accounts-2025.pdf")
    shoot(supplier, "attached")
    supplier.get_by_label("Note").fill("Audited accounts attached.")
    supplier.get_by_role("button", name="Send").click()
    expect(supplier.locator(".messages")).to_contain_text(f"{reference} was updated.")

    officer = login("officer")
    _open_task(officer, reference, "Credit review")
    attachments = officer.locator("#attachments")
    expect(attachments.locator("#document-requests")).to_contain_text("attached on")
    expect(attachments.locator("#attachment-list")).to_contain_text(hashlib.sha256(MINIMAL_PDF).hexdigest())
    expect(attachments.get_by_role("link", name="accounts-2025.pdf")).to_be_visible()
    attachments.scroll_into_view_if_needed()
    shoot(officer, "attachment-for-the-reviewer")
