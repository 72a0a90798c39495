"""Prepare a movement of money, and release, reject or withdraw it: maker-checker.

Preparing runs the movement's checks (its action's `check`, the list of refusals its service
runs first; a movement without one is done and undone, in one savepoint rolled back): what a second person releases was possible when it was prepared, with the same
refusals the direct action gives, and nothing is written but the release. Releasing does it for
real under the release's row lock, so that two releases at once post once: the second finds it
released.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_batch, audit_record, audited
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.core.races import insert_unless_taken
from scf.parties.models import Organization, User
from scf.parties.permissions import four_eyes_require, require
from scf.parties.second_factor import second_factor_recheck

from . import registry
from .models import Release
from .selectors import may_release

Status = Release.Status


class _Rehearsed(Exception):
    """Raised at the end of a rehearsal to undo it."""


def _check(action: registry.ReleaseAction, release: Release, acting_user: User) -> None:
    """Refuse what the movement would refuse now, with the preparer acting; write nothing."""
    if action.check is not None:
        action.check(release, acting_user)
        return
    # No list of refusals of its own: do the movement and undo it (one savepoint, rolled back).
    try:
        with transaction.atomic(), audit_batch():
            action.execute(release, acting_user)
            raise _Rehearsed
    except _Rehearsed:
        pass


def _waiting(release: Release) -> str:
    return _("%(what)s %(ref)s was prepared by %(user)s at %(at)s and waits for release.") % {
        "what": registry.action(release.action).label, "ref": release.reference,
        "user": release.prepared_by.get_full_name() or release.prepared_by.get_username(),
        "at": formats.date_format(timezone.localtime(release.prepared_at), "Y-m-d H:i")}


@audited
def release_prepare(*, action: str, lender: Organization, key: str, reference: str, amount: Decimal,
                    currency: str, acting_user: User, case: models.Model | None = None,
                    parties: Iterable[Organization] = (), payload: dict | None = None) -> Release:
    """Prepare a movement for a second person to release; nothing is posted yet.

    `key` names what moves (one pending release per key and lender); `parties` are the
    organizations whose members may not release it (the case's supplier, debtor...).
    """
    spec = registry.action(action)
    release = Release(
        lender=lender, action=action, key=key[:120], reference=reference[:60], amount=amount, currency=currency,
        party_ids=sorted({party.pk for party in parties if party is not None}), prepared_by=acting_user,
        payload=json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder)),
    )
    if case is not None:
        release.case = case  # kept as given: the checks read it without loading it again
    require(may_release(acting_user, release), _("Only the staff of %(lender)s entitled to it may prepare %(what)s.")
            % {"lender": lender.legal_name, "what": spec.label})
    _check(spec, release, acting_user)
    if not insert_unless_taken(release):
        # One pending release per key and lender (a unique index): the one waiting answers, without a
        # look-up before every preparation.
        waiting = (Release.objects.filter(lender=lender, key=release.key, status=Status.PENDING)
                   .select_related("prepared_by").first())
        if waiting is not None:
            raise IllegalTransition(_waiting(waiting))
        # Prepared by someone else and decided in the meantime: this one is refused all the same.
        raise IllegalTransition(_("%(what)s %(ref)s was prepared by someone else at the same time and waits for "
                                  "release.") % {"what": spec.label, "ref": release.reference})
    audit_record(action="release.prepare", target=release, actor=acting_user, target_state=Status.PENDING,
                 note=f"{action} {release.reference} {currency} {amount}")
    return release


def _lock_pending(release: Release, acting_user: User, verb: str) -> Release:
    # Only the release's own row is locked: its joined users and lender may be absent (outer joins).
    release = (Release.objects.select_for_update(of=("self",))
               .select_related("lender", "prepared_by", "decided_by").get(pk=release.pk))
    if release.status != Status.PENDING:
        who = release.decided_by or release.prepared_by
        raise IllegalTransition(_("%(what)s %(ref)s is already %(status)s (by %(user)s); it cannot be %(verb)s.")
                                % {"what": registry.action(release.action).label, "ref": release.reference,
                                   "status": release.get_status_display().lower(),
                                   "user": who.get_full_name() or who.get_username(), "verb": verb})
    return release


def _second_person(release: Release, acting_user: User, prepared: str) -> None:
    four_eyes_require(acting_user, preparer_id=release.prepared_by_id, organizations=release.party_ids,
                      lender=release.lender, prepared=prepared)
    require(may_release(acting_user, release), _("Only the staff of %(lender)s entitled to it may release %(what)s.")
            % {"lender": release.lender.legal_name, "what": registry.action(release.action).label})


def _decide(release: Release, acting_user: User, status: str, comment: str = "") -> Release:
    source = release.status
    release.status, release.decided_by, release.decided_at = status, acting_user, timezone.now()
    release.comment = comment
    release.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    audit_record(action=f"release.{status}", target=release, actor=acting_user, source_state=source,
                 target_state=status, note=comment or f"prepared by {release.prepared_by.get_username()}")
    return release


@audited
def release_approve(*, release: Release, acting_user: User, otp_code: str | None = None) -> Release:
    """Release a prepared movement: a second person entitled to it does it now, for real.

    A releaser with an authenticator app enters a fresh code from it (`otp_code`); without it nothing moves.
    """
    release = _lock_pending(release, acting_user, _("released"))
    _second_person(release, acting_user, _("You prepared this; a second person entitled to it must release it."))
    second_factor_recheck(user=acting_user, code=otp_code)
    registry.action(release.action).execute(release, acting_user)
    return _decide(release, acting_user, Status.RELEASED)


@audited
def release_reject(*, release: Release, acting_user: User, comment: str) -> Release:
    """Refuse a prepared movement, saying why: nothing is posted, the preparer may prepare it again."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the release is rejected.")})
    release = _lock_pending(release, acting_user, _("rejected"))
    _second_person(release, acting_user, _("You prepared this; withdraw it instead of rejecting it."))
    return _decide(release, acting_user, Status.REJECTED, comment)


@audited
def release_withdraw(*, release: Release, acting_user: User) -> Release:
    """The preparer takes a prepared movement back before anyone released it."""
    release = _lock_pending(release, acting_user, _("withdrawn"))
    if release.prepared_by_id != acting_user.pk:
        raise ActionNotPermitted(_("Only %(user)s, who prepared it, may withdraw it; reject it instead.")
                                % {"user": release.prepared_by.get_full_name() or release.prepared_by.get_username()})
    return _decide(release, acting_user, Status.WITHDRAWN)
