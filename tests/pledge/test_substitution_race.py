"""Substitutions at once against the same new goods: the value in is used once (PostgreSQL row locks).

LOT-OLD 100.000 t and, brought in first, LOT-NEW 20.000 t at 5,000.00/t: 100,000.00 in. Four substitutions
of 6.000 t (30,000.00 each) at once: three fit (90,000.00), the fourth would take 120,000.00 > 100,000.00.
"""

from decimal import Decimal

import pytest

from tests.pledge.release_helpers import pledge_goods, priced_agreement
from tests.races import run_together
from workflows.pledge import pledge_releases as releases
from workflows.pledge.exceptions import SubstitutionExceedsValueIn
from workflows.pledge.models import PledgeRelease
from workflows.pledge.pledge_releases import ReleaseRequestLine

D = Decimal


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_substitutions_at_once_use_the_value_in_once(postgres_only, world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (old,) = pledge_goods(world, agreement, lots=[("LOT-OLD", "100.000")])
    (new,) = pledge_goods(world, agreement, lots=[("LOT-NEW", "20.000")])

    def swap():
        return releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(old.pk, D("6.000"))],
                                        acting_user=world.pledgor_user, substitution_for=new.intake_id)

    results, errors = run_together(*(swap for _ in range(4)))
    assert len(results) == 3, (results, errors)
    assert all(isinstance(error, SubstitutionExceedsValueIn) for error in errors.values()), errors
    figures = releases.substitution_figures(agreement, new.intake)
    assert figures.exchanged == D("90000.00") and figures.left_in == D("10000.00")
    assert PledgeRelease.objects.filter(substitution_for=new.intake).count() == 3
