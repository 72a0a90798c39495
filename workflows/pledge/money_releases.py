"""Pledge's money under maker-checker: a loan's disbursement is prepared by one operations user, released by a second.

The task page, the loan's page and the API prepare it; the release (scf.releases) runs
`drawdown_disburse` for real with the releaser as the acting user; its checks (registration, valuation,
what may be drawn, the settlement account: `drawdown_disbursement_check`, which the disbursement runs
first) run alone when it is prepared, so a refusal comes at once.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.core.exceptions import IllegalTransition
from scf.parties.models import User
from scf.releases.models import Release
from scf.releases.registry import ReleaseAction
from scf.releases.services import release_prepare

from . import drawdowns
from .models import PledgeDrawdown
from .permissions import DISBURSE_DRAWDOWN

DISBURSEMENT = "pledge.disburse"


def drawdown_disbursement_prepare(*, drawdown: PledgeDrawdown, acting_user: User) -> Release:
    """Prepare the payment of an approved loan; a second operations user releases it on the Releases page."""
    drawdown = PledgeDrawdown.objects.select_related("agreement__lender", "agreement__pledgor").get(pk=drawdown.pk)
    if drawdown.state in (PledgeDrawdown.State.DISBURSED, PledgeDrawdown.State.REPAID):
        raise IllegalTransition(_("%(ref)s is already disbursed.") % {"ref": drawdown.reference})
    agreement = drawdown.agreement
    return release_prepare(action=DISBURSEMENT, lender=agreement.lender, key=f"disburse:{drawdown.reference}",
                           reference=drawdown.reference, amount=drawdown.amount, currency=agreement.currency,
                           case=drawdown, parties=(agreement.pledgor, agreement.warehouse), acting_user=acting_user)


def _disburse_check(release: Release, acting_user: User) -> None:
    drawdown = release.case
    drawdowns.drawdown_disbursement_check(drawdown=drawdown, agreement=drawdown.agreement, acting_user=acting_user,
                                          on=timezone.localdate())


def _disburse(release: Release, acting_user: User) -> None:
    drawdowns.drawdown_disburse(drawdown=release.case, acting_user=acting_user)


ACTIONS = (ReleaseAction(DISBURSEMENT, gettext_lazy("Loan disbursement"), _disburse, DISBURSE_DRAWDOWN,
                         check=_disburse_check),)
