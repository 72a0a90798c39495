"""A case's history as each reader may see it: the lender's staff all of it, the parties what is theirs.

The audit trail of a case records everything. Shown to a party it keeps the lender's own judgment
and the applicant's credit file with the lender out of sight of anyone they are not for:

* the lender's staff (and platform superusers) read every record and note;
* the applicant reads every record; of its notes written by the lender's staff only those told to it
  (why the case was returned or rejected, which document is asked for), not the approvers' comments;
* any other party (a debtor, a warehouse, a seller) reads the case's steps without the applicant's
  credit file (returns, documents asked for and uploaded) and without any note written by the
  lender's staff.
"""

from __future__ import annotations

from django.db import models

from scf.audit.models import AuditRecord
from scf.audit.services import history_for
from scf.parties.models import Membership, User
from scf.parties.permissions import is_member, is_staff_of

#: The applicant's credit file with the lender: never shown to the case's other parties.
APPLICANT_ONLY_ACTIONS = frozenset({"return_for_revision", "resubmit", "ask_document", "upload"})
#: Notes by the lender's staff that are written for the applicant to read.
TOLD_TO_APPLICANT = frozenset({"return_for_revision", "reject", "ask_document"})


def case_history(obj: models.Model, *, user: User, lender_id: int | None,
                 applicant_id: int | None) -> list[AuditRecord]:
    """Return the audit records of `obj` that `user` may read, oldest first (see the module's rules)."""
    records = history_for(obj)
    if lender_id is None or user.is_superuser or is_staff_of(user, lender_id):
        return records
    applicant = applicant_id is not None and is_member(user, applicant_id)
    staff_ids = set(Membership.objects.filter(organization_id=lender_id).values_list("user_id", flat=True))
    visible = []
    for record in records:
        name = record.action.rsplit(".", 1)[-1]
        if not applicant and name in APPLICANT_ONLY_ACTIONS:
            continue
        if record.actor_id in staff_ids and not (applicant and name in TOLD_TO_APPLICANT):
            record.note = ""  # shown without it; the stored record is untouched
        visible.append(record)
    return visible
