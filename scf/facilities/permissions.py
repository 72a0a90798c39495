"""Who may change a facility's limit: one predicate per action, for the view's buttons and the service's refusal."""

from __future__ import annotations

from scf.parties.models import User
from scf.parties.permissions import is_member_of_any, staff_may

from .models import CreditFacility, FacilityLimitChange

# Proposing a new limit takes the right to propose facilities; deciding it, the right to activate them.
PROPOSE_PERMISSION = "facilities.add_creditfacility"
DECIDE_PERMISSION = "facilities.activate_facility"


def facility_parties(facility: CreditFacility) -> list:
    return [o for o in (facility.obligor_id, facility.anchor_id) if o is not None]


def can_propose_limit_change(user: User, facility: CreditFacility) -> bool:
    return staff_may(user, PROPOSE_PERMISSION, facility.lender_id)


def can_decide_limit_change(user: User, change: FacilityLimitChange) -> bool:
    """A second person: staff of the lender with the right, not the proposer, not a member of the facility's parties."""
    facility = change.facility
    return (change.state == FacilityLimitChange.State.PROPOSED and user.pk != change.proposed_by_id
            and staff_may(user, DECIDE_PERMISSION, facility.lender_id)
            and is_member_of_any(user, facility_parties(facility)) is None)


def can_cancel_limit_change(user: User, change: FacilityLimitChange) -> bool:
    return change.state == FacilityLimitChange.State.PROPOSED and user.pk == change.proposed_by_id
