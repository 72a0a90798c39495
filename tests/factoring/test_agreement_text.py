"""The factoring agreement says whose facility a financing uses: the supplier's, or the debtor's in reverse factoring."""

import re

import pytest

from documents.rendering import render_html


class _Blank(dict):
    """Whatever the template asks for and this test does not set prints as nothing."""

    def __contains__(self, key) -> bool:
        return True

    def __missing__(self, key):
        return _Blank()

    def __str__(self) -> str:
        return ""


def _text(template: str, reverse: bool) -> str:
    context = _Blank(financing=_Blank(reverse=reverse, reference="FIN-1"),
                     facility=_Blank(reference="CF-9", limit=_Blank(currency="CNY", figures="5,000,000.00")))
    return re.sub(r"\s+", " ", render_html(template, context, "zh-hans" if "zh" in template else "en"))


@pytest.mark.parametrize("template", ["documents/factoring_agreement.zh-hans.html",
                                      "documents/factoring_agreement.bilingual.html"])
def test_the_chinese_recital_grants_a_reverse_facility_to_the_buyer(template):
    reverse, plain = _text(template, True), _text(template, False)
    assert "甲方已为买方核定反向保理额度CF-9" in reverse and "甲方已为乙方核定保理额度" not in reverse
    assert "暂停乙方在保理额度CF-9项下的融资" in reverse and "暂停或取消保理额度CF-9" not in reverse
    assert "甲方已为乙方核定保理额度CF-9" in plain and "反向保理额度" not in plain
    assert "暂停或取消保理额度CF-9" in plain


@pytest.mark.parametrize("template", ["documents/factoring_agreement.en.html",
                                      "documents/factoring_agreement.bilingual.html"])
def test_the_english_recital_names_the_debtor_as_the_facility_holder(template):
    reverse, plain = _text(template, True), _text(template, False)
    assert "reverse factoring facility CF-9 granted by the Factor to the Debtor" in reverse
    assert "suspend the Seller's financing under facility CF-9" in reverse
    assert "suspend or cancel facility CF-9" not in reverse
    assert "Under factoring facility CF-9 (limit CNY 5,000,000.00" in plain
    assert "suspend or cancel facility CF-9" in plain
