"""Concurrent drawdown requests never together take more than is available (PostgreSQL, real threads).

The set-up of tests/pledge/drawdown_setup.py: collateral 1,000,000.00 at r 0.60, so 600,000.00 may be drawn.
Four requests of 200,000.00 at once: exactly three are accepted, the fourth is refused with the figures,
and the facility holds 600,000.00 reserved, never more.
"""

from decimal import Decimal

import pytest
from django.db import connection

from scf.facilities.models import CreditFacility
from scf.parties.models import User
from tests.races import run_together
from workflows.pledge import drawdowns
from workflows.pledge.exceptions import DrawdownAboveAvailable
from workflows.pledge.models import PledgeAgreement, PledgeDrawdown

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_four_requests_at_once_never_draw_more_than_is_available(postgres_only, dw):
    assert connection.vendor == "postgresql"

    def ask():
        agreement = PledgeAgreement.objects.get(pk=dw.agreement.pk)
        pledgor_user = User.objects.get(pk=dw.pledgor_user.pk)
        return drawdowns.drawdown_request(agreement=agreement, amount=Decimal("200000.00"), acting_user=pledgor_user)

    results, errors = run_together(ask, ask, ask, ask)
    unexpected = {i: repr(e) for i, e in errors.items() if not isinstance(e, DrawdownAboveAvailable)}
    assert not unexpected, unexpected
    assert (len(results), len(errors)) == (3, 1)
    assert PledgeDrawdown.objects.filter(agreement=dw.agreement).count() == 3
    assert CreditFacility.objects.get(pk=dw.agreement.facility_id).reserved_amount == Decimal("600000.00")
