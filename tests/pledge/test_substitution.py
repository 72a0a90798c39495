"""Substitution (换货) of a dynamic pledge, DESIGN §5 "Dynamic pledge floor", with numbers worked by hand.

Old goods: copper lot LOT-OLD 100.000 t at 5,000.00/t = 500,000.00; r = 0.60; E = 180,000.00;
F = 180,000.00 / 0.60 = 300,000.00. New goods in first: lot LOT-NEW 20.000 t, counted and pledged
(an effective intake): 20 × 5,000.00 = 100,000.00 in, so V = 600,000.00.
A substitution may take out at most the value in (100,000.00 = 20.000 t) while V − R − out ≥ F.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from documents.models import Document
from documents.services import document_generate
from tests.pledge.collateral_helpers import approve_price, declare, lot_line
from tests.pledge.release_helpers import pledge_goods, priced_agreement
from workflows.pledge import pledge_releases as releases
from workflows.pledge.exceptions import (
    SubstitutionBelowFloor,
    SubstitutionExceedsValueIn,
    SubstitutionNotAllowed,
)
from workflows.pledge.models import PledgeAgreement, PledgedItem, PledgeRelease
from workflows.pledge.pledge_releases import ReleaseRequestLine
from workflows.pledge.release_documents import release_context

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def swap(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (old,) = pledge_goods(world, agreement, lots=[("LOT-OLD", "100.000")])
    (new,) = pledge_goods(world, agreement, lots=[("LOT-NEW", "20.000")])
    return agreement, old, new


def substitute(world, agreement, intake, *lines):
    return releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(item, D(q) if q else None)
                                                                for item, q in lines],
                                    acting_user=world.pledgor_user, substitution_for=intake)


def test_out_up_to_the_value_in_is_allowed_and_linked_to_the_intake(world, swap):
    agreement, old, new = swap
    figures = releases.substitution_figures(agreement, new.intake)
    assert figures.value_in == D("100000.00") and figures.exchanged == D("0.00")
    assert figures.floor == D("300000.00") and figures.value == D("600000.00")
    assert figures.allowed_out == D("100000.00")  # min(100,000.00, 600,000.00 − 300,000.00)
    release = substitute(world, agreement, new.intake, (old, "20.000"))
    assert release.substitution_for_id == new.intake_id and release.requested_value == D("100000.00")
    # It counts as pending (R) like any release, and nothing more may go out against the same intake.
    assert releases.releasable_now(agreement).pending == D("100000.00")
    assert releases.substitution_figures(agreement, new.intake).left_in == D("0.00")
    releases.release_order_issue(release=release, acting_user=world.ops)
    releases.release_execute(release=release, acting_user=world.warehouse_user)
    old.refresh_from_db()
    assert old.quantity == D("80.000")
    # After: 80 t + 20 t = 100 t, V = 500,000.00 ≥ F 300,000.00.
    assert releases.releasable_now(agreement).value == D("500000.00")


def test_more_out_than_in_is_refused_with_the_figures_nothing_kept(world, swap):
    agreement, old, new = swap
    with pytest.raises(SubstitutionExceedsValueIn) as refused:
        substitute(world, agreement, new.intake, (old, "20.001"))  # 20.001 × 5,000.00 = 100,005.00
    assert refused.value.message == (
        "The goods going out are worth CNY 100,005.00, more than the new goods of intake "
        f"{new.intake.reference} bring in: 100,000.00, of which 0.00 already went against other goods, so at "
        "most 100,000.00 may go out.")
    assert refused.value.code == "substitution_exceeds_value_in" and refused.value.http_status == 409
    assert not PledgeRelease.objects.exists()


def test_the_value_in_is_used_once_across_substitutions(world, swap):
    agreement, old, new = swap
    substitute(world, agreement, new.intake, (old, "12.000"))  # 60,000.00 out
    with pytest.raises(SubstitutionExceedsValueIn) as refused:
        substitute(world, agreement, new.intake, (old, "8.001"))  # 40,005.00 > 100,000.00 − 60,000.00
    assert "of which 60,000.00 already went against other goods, so at most 40,000.00" in refused.value.message
    second = substitute(world, agreement, new.intake, (old, "8.000"))  # 40,000.00: exactly what is left
    releases.release_cancel(release=second, acting_user=world.pledgor_user)
    assert releases.substitution_figures(agreement, new.intake).left_in == D("40000.00")  # freed by the cancel


def test_the_value_after_must_stay_at_or_above_the_floor(world, swap):
    agreement, old, new = swap
    agreement.floor_value_minimum = D("550000.00")  # the lender's floor, above E / r = 300,000.00
    agreement.save(update_fields=["floor_value_minimum"])
    with pytest.raises(SubstitutionBelowFloor) as refused:
        substitute(world, agreement, new.intake, (old, "20.000"))  # 600,000.00 − 100,000.00 = 500,000.00
    assert refused.value.message == (
        "After this substitution the goods would be worth CNY 500,000.00, below the floor value 550,000.00 "
        "(value now 600,000.00, 0.00 already being released, 100,000.00 going out).")
    release = substitute(world, agreement, new.intake, (old, "10.000"))  # 600,000.00 − 50,000.00 = F exactly
    assert release.requested_value == D("50000.00")


def test_the_floor_counts_releases_not_yet_executed(world, swap):
    agreement, old, new = swap
    # An ordinary release of 40.000 t (200,000.00) first: V = 800,000.00, R = 200,000.00, V − R = 600,000.00.
    (other,) = pledge_goods(world, agreement, lots=[("LOT-B", "40.000")])
    releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(other, D("40.000"))],
                             acting_user=world.pledgor_user)
    agreement.principal_outstanding = D("300000.01")  # F = 300,000.01 / 0.60 = 500,000.0166… → 500,000.02
    agreement.save(update_fields=["principal_outstanding"])
    with pytest.raises(SubstitutionBelowFloor) as refused:
        substitute(world, agreement, new.intake, (old, "20.000"))  # 600,000.00 − 100,000.00 = 500,000.00 < F
    assert refused.value.message == (
        "After this substitution the goods would be worth CNY 500,000.00, below the floor value 500,000.02 "
        "(value now 800,000.00, 200,000.00 already being released, 100,000.00 going out).")
    release = substitute(world, agreement, new.intake, (old, "19.999"))  # 99,995.00 out: 500,005.00 after
    assert release.requested_value == D("99995.00")


def test_prices_now_decide_the_value_in(world, swap):
    agreement, old, new = swap
    approve_price(world, world.copper, "4000.00")  # the new goods bring in 20 × 4,000.00 = 80,000.00 now
    with pytest.raises(SubstitutionExceedsValueIn) as refused:
        substitute(world, agreement, new.intake, (old, "20.001"))  # 20.001 × 4,000.00 = 80,004.00
    assert "worth CNY 80,004.00" in refused.value.message and "bring in: 80,000.00" in refused.value.message
    release = substitute(world, agreement, new.intake, (old, "20.000"))  # 80,000.00 in, 80,000.00 out
    assert release.requested_value == D("80000.00")


def test_refusals_before_any_figure(world, swap, active_agreement):
    agreement, old, new = swap
    with pytest.raises(ValidationError) as refused:  # the new goods themselves
        substitute(world, agreement, new.intake, (new, "1.000"))
    assert "cannot go out in exchange for themselves" in str(refused.value)
    declared = declare(world, agreement, lot_line("LOT-D", world.copper, "5.000"))
    with pytest.raises(SubstitutionNotAllowed) as refused:  # declared, not counted and pledged
        substitute(world, agreement, declared, (old, "1.000"))
    assert declared.reference in refused.value.message
    agreement.kind = PledgeAgreement.Kind.STATIC
    agreement.save(update_fields=["kind"])
    with pytest.raises(SubstitutionNotAllowed) as refused:
        substitute(world, agreement, new.intake, (old, "1.000"))
    assert "Only a dynamic pledge substitutes goods" in refused.value.message
    assert not PledgeRelease.objects.exists()
    assert PledgedItem.objects.get(pk=old.pk).quantity == D("100.000")


def test_the_release_order_of_a_substitution_names_the_new_goods(world, swap, django_capture_on_commit_callbacks):
    agreement, old, new = swap
    release = substitute(world, agreement, new.intake, (old, "20.000"))
    assert release_context(release)["release"]["substitution_for"] == new.intake.reference
    for language in ("zh-hans", "en"):
        with django_capture_on_commit_callbacks(execute=True):
            document_generate(obj=release, kind_code=releases.RELEASE_ORDER, language=language,
                              acting_user=world.ops)
    documents = Document.objects.filter(kind="pledge_release_order", object_id=release.pk)
    assert sorted(d.language for d in documents) == ["en", "zh-hans"]
    assert all(d.state == Document.State.SIGNED for d in documents)
