"""One executed agreement, walked in Chromium: the supplier chooses the parallel text, each party signs its own.

The demo's first case of supplier1 on core1 was approved and its contracts issued in Chinese, the
supplier's document language. supplier1 chooses Chinese and English as parallel text: the agreement
keeps its one number as version 2. core1 signs only what it is a party to (the notice of assignment
and its confirmation letter), never the agreement; supplier1 signs the agreement and the notice; ops
signs the agreement for the lender. The final PDF's blocks show who signed and when, and the lender's
seal; its pages are rendered with pdftoppm beside the screenshots.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from scf.parties.demo import ORGS
from tests.second_factor import fill_code

from .conftest import screenshot_dir
from .test_factoring_walk import REFERENCE, _badge, _card, _expect, _nav, _open_financing, _open_task

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}
NUMBER = re.compile(r"FAC-\d{4}-\d{6}")


def _sign_task(page, reference: str, title: str, password: str, shoot, who: str) -> list[str]:
    """Open the signing task, wait for the documents to be issued, sign them; return what was listed."""
    expect = _expect()
    _open_task(page, reference, title)
    for _attempt in range(20):  # contracts render after commit; the page says so until they are issued
        if page.get_by_text("Some documents are still being prepared.").count() == 0:
            break
        page.wait_for_timeout(500)
        page.reload()
    items = page.locator("aside ul li")
    expect(items.first).to_be_visible()
    listed = [items.nth(index).inner_text() for index in range(items.count())]
    for index in range(items.count()):
        expect(items.nth(index).locator(".badge")).to_have_text("Issued")
    shoot(page, f"sign-{who}")
    page.get_by_label("Your password").fill(password)
    fill_code(page, who)  # the lender's signatory re-enters a code from the authenticator app
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Signed \d+ documents? for "))
    return listed


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm, pdftotext)")
def test_one_agreement_chosen_by_the_supplier_and_signed_once_by_each_party(today, login, shoot, demo):
    expect = _expect()

    # 1. supplier1 opens its case waiting for signatures: the agreement was issued in Chinese.
    supplier = login("supplier1")
    _nav(supplier, "Factoring")
    row = supplier.locator("tbody tr").filter(has_text="Contract issued").filter(has_text=NAMES["core1"])
    expect(row).to_have_count(1)
    reference = REFERENCE.search(row.inner_text()).group()
    _open_financing(supplier, reference)
    documents = _card(supplier, "Documents")
    agreement_rows = documents.locator("tbody tr").filter(has_text="FAC-")
    expect(agreement_rows).to_have_count(1)
    expect(agreement_rows).to_contain_text("Simplified Chinese")
    number = NUMBER.search(agreement_rows.inner_text()).group()
    shoot(supplier, "agreement-in-chinese")

    # 2. It chooses the parallel text: the same agreement, the same number, version 2; v1 is superseded.
    documents.get_by_label("Chinese and English (parallel text)").check()
    shoot(supplier, "choose-bilingual")
    documents.get_by_role("button", name="Regenerate contracts").click()
    expect(supplier.locator(".messages")).to_contain_text("1 document generated.")
    agreement_rows = _card(supplier, "Documents").locator("tbody tr").filter(has_text=number)
    expect(agreement_rows).to_have_count(2)  # two versions of one agreement, never two agreements
    expect(_card(supplier, "Documents").locator("tbody tr").filter(has_text="FAC-")).to_have_count(2)
    current = agreement_rows.filter(has_text=f"{number} v2")
    expect(current).to_contain_text("Chinese and English (parallel text)")
    expect(current.locator(".badge")).to_have_text("Issued")
    expect(agreement_rows.filter(has_text=f"{number} v1").locator(".badge")).to_have_text("Superseded")
    shoot(supplier, "bilingual-issued")

    # 3. core1 signs what it is a party to: the notice and its confirmation letter, not the agreement.
    core = login("core1")
    listed = _sign_task(core, reference, "Acknowledge the notice and sign the confirmation letter", demo, shoot,
                        "core1")
    assert len(listed) == 2, listed
    assert not any("FAC-" in item or "保理业务合同" in item or "Factoring Agreement" in item for item in listed)
    _open_financing(core, reference)
    expect(_card(core, "Documents").locator("tbody tr").filter(has_text="FAC-")).to_have_count(0)  # not its document
    shoot(core, "core1-signed")

    # 4. supplier1 signs the agreement (the parallel text) and the notice; ops signs the agreement for the lender.
    listed = _sign_task(supplier, reference, "Sign the agreement and the notice", demo, shoot, "supplier1")
    assert len(listed) == 2 and any(f"{number} v2" in item for item in listed), listed
    ops = login("ops")
    listed = _sign_task(ops, reference, "Sign the factoring agreement", demo, shoot, "ops")
    assert len(listed) == 1 and f"{number} v2" in listed[0], listed
    _open_financing(ops, reference)
    expect(_badge(ops)).to_have_text("Signed")
    shoot(ops, "financing-signed")

    # 5. The final PDF of the agreement: filled signature blocks, the lender's seal, one number.
    _card(ops, "Documents").locator("tbody tr").filter(has_text=f"{number} v2").get_by_role("link").click()
    expect(ops.get_by_role("heading", level=1)).to_contain_text("Factoring Agreement")
    expect(ops.locator("main")).to_contain_text("Chinese and English (parallel text)")
    shoot(ops, "agreement-page")
    with ops.expect_download() as download:
        ops.get_by_role("link", name="Download signed PDF").click()
    folder = screenshot_dir()
    final = folder / "agreement_walk-final.pdf"
    download.value.save_as(final)
    text = "".join(_pdf_text(final).split())
    assert number in text and "以中文文本为准" in text and "theChinesetextgoverns" in text
    assert "王晓东（电子签名/signedelectronically）" in text  # supplier1's signatory
    assert "ChenJing（电子签名/signedelectronically）" in text  # ops, for the lender
    assert text.count("（北京时间Beijingtime）") >= 2
    assert "电子合同专用章" in text  # the lender's seal in its block
    assert "买方（债务人）" not in text  # no block for the debtor, which is not a party
    for stale in folder.glob("agreement_walk-final-*.png"):
        stale.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(final), str(folder / "agreement_walk-final")], check=True)
    pages = sorted(folder.glob("agreement_walk-final-*.png"))
    assert len(pages) >= 6
    print(f"\nfinal PDF pages: {', '.join(str(p) for p in pages)}")
