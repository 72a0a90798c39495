"""Margin calls (跌价补偿) and warning notices, opened and followed by the revaluations (DESIGN §5).

Every revaluation hands its run and its zone changes to `on_revaluation`, inside its transaction:

* an agreement that entered the call or liquidation zone without an open call gets one (issued), with
  K = E − V × r rounded up to 0.01 from its stored valuation, and a deadline `cure_days` business days
  (Chinese calendar) after the valuation day; the default work acts on liquidation;
* an agreement that entered the warning zone gets a warning notice (no obligation);
* every open call of an agreement valued in the run has K recomputed from the stored valuation: LTV
  below the call line cures it; a lower K with the LTV still at or above the line makes it partly met.

All of it is set-based: a fixed number of statements whatever the number of agreements (one read of the
stored valuations concerned, one bulk insert per kind, one bulk update, the audit records in one batch).
The notices are rendered and mailed after commit by Celery tasks, `CHUNK` calls a task.

The pledgor cures with a cash margin (`margin_call_pay_cash`), a repayment (the drawdown repayment
service) or more goods (the collateral intake confirmed by the warehouse): each is followed by a
revaluation of that agreement alone, which moves the call. The daily job `margin_calls_expire` closes
the calls past their deadline.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.collections.permissions import require_receipts_staff
from scf.money import add_business_days
from scf.parties.models import User

from . import calculations as calc
from .exceptions import MarginCallClosed
from .models import (
    PledgeAgreement,
    PledgeCashMargin,
    PledgeMarginCall,
    PledgeRevaluation,
    PledgeValuation,
    PledgeWarningNotice,
)

#: The calls (or notices) one Celery task renders and mails.
CHUNK = 200

OPENING_ZONES = (calc.Zone.CALL, calc.Zone.LIQUIDATION)


def _lines(agreement: PledgeAgreement) -> calc.Lines:
    return calc.Lines(warning=agreement.warning_ltv, call=agreement.call_ltv, liquidation=agreement.liquidation_ltv)


def call_cure_amount(valuation: PledgeValuation, agreement: PledgeAgreement) -> Decimal:
    """K = E − V × r rounded up to 0.01 from the stored valuation (0.00 below the call line)."""
    return calc.cure_amount(valuation.exposure, valuation.value, agreement.pledge_rate, _lines(agreement))


def _open_calls(run: PledgeRevaluation, agreement_ids: list[int]) -> list[PledgeMarginCall]:
    """Open a call for each agreement of `agreement_ids` that has none open: two queries and one insert."""
    if not agreement_ids:
        return []
    already = set(PledgeMarginCall.objects.filter(agreement_id__in=agreement_ids, state__in=PledgeMarginCall.OPEN)
                  .values_list("agreement_id", flat=True))
    valuations = (PledgeValuation.objects.select_related("agreement")
                  .filter(agreement_id__in=[pk for pk in agreement_ids if pk not in already]).order_by("agreement_id"))
    calls = []
    for valuation in valuations:
        agreement = valuation.agreement
        k = call_cure_amount(valuation, agreement)
        calls.append(PledgeMarginCall(
            agreement=agreement, reference=f"PMC-{run.pk}-{agreement.pk}", opened_by=run, last_revaluation=run,
            opened_on=run.valued_on, deadline=add_business_days(run.valued_on, agreement.cure_days),
            currency=valuation.currency, value_at_opening=valuation.value, exposure_at_opening=valuation.exposure,
            ltv_at_opening=valuation.ltv, call_line=agreement.call_ltv, amount_at_opening=k, cure_amount=k))
    PledgeMarginCall.objects.bulk_create(calls)
    for call in calls:
        audit_record(action="pledge.pledgemargincall.open", target=call, actor=run.run_by,
                     target_state=call.state, note=f"K {call.currency} {call.cure_amount}, due {call.deadline}")
    return calls


def _warning_notices(run: PledgeRevaluation, agreement_ids: list[int]) -> list[PledgeWarningNotice]:
    """Record a warning notice for each agreement that entered the warning zone: one read, one insert."""
    if not agreement_ids:
        return []
    notices = [PledgeWarningNotice(
        agreement_id=v.agreement_id, reference=f"PWN-{run.pk}-{v.agreement_id}", revaluation=run,
        issued_on=run.valued_on, currency=v.currency, value=v.value, exposure=v.exposure, ltv=v.ltv,
        warning_line=v.agreement.warning_ltv)
        for v in PledgeValuation.objects.select_related("agreement").filter(agreement_id__in=agreement_ids)
        .order_by("agreement_id")]
    PledgeWarningNotice.objects.bulk_create(notices)
    for notice in notices:
        audit_record(action="pledge.pledgewarningnotice.issue", target=notice, actor=run.run_by,
                     note=f"LTV {notice.ltv}")
    return notices


def _follow_open_calls(run: PledgeRevaluation) -> list[PledgeMarginCall]:
    """Recompute K of the open calls of the agreements valued in `run`; cure or mark partly met. Set-based."""
    calls = list(PledgeMarginCall.objects.select_related("agreement", "agreement__stored_valuation")
                 .filter(state__in=PledgeMarginCall.OPEN, agreement__stored_valuation__revaluation=run))
    changed = []
    now = timezone.now()
    for call in calls:
        agreement, valuation = call.agreement, call.agreement.stored_valuation
        still_called = calc.is_margin_call(valuation.exposure, valuation.value, _lines(agreement))
        k = call_cure_amount(valuation, agreement)
        note = f"E {valuation.exposure}, V {valuation.value}, K {k}"
        if not still_called:
            call.cure(at=now, by=run.run_by, note=note)
        elif k < call.cure_amount:
            call.meet_partly(cure_amount=k, by=run.run_by, note=note)
        elif k != call.cure_amount:
            call.cure_amount = k
        else:
            continue
        call.last_revaluation = run
        changed.append(call)
    _write_states(changed)
    return changed


def _write_states(calls: list[PledgeMarginCall]) -> None:
    """Write the calls' state, K, closing time and last revaluation back in one statement.

    On PostgreSQL one UPDATE joins the rows to arrays of the new values (Django's bulk_update builds a CASE
    per field whose cost grows with the square of the rows: minutes for ten thousand calls).
    """
    if not calls:
        return
    if connection.vendor != "postgresql":
        PledgeMarginCall.objects.bulk_update(calls, ["state", "cure_amount", "closed_at", "last_revaluation"],
                                             batch_size=500)
        return
    table = connection.ops.quote_name(PledgeMarginCall._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET state = v.state, cure_amount = v.cure_amount, closed_at = v.closed_at,"
            f" last_revaluation_id = v.last_revaluation_id"
            f" FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[], %s::timestamptz[], %s::bigint[])"
            f" AS v(id, state, cure_amount, closed_at, last_revaluation_id) WHERE t.id = v.id",
            [[c.pk for c in calls], [c.state for c in calls], [c.cure_amount for c in calls],
             [c.closed_at for c in calls], [c.last_revaluation_id for c in calls]])


def on_revaluation(run: PledgeRevaluation, changes) -> None:
    """The revaluation handler: open calls, record warning notices, follow the open calls; mail after commit."""
    entering_call = [c.agreement_id for c in changes
                     if c.new_zone in OPENING_ZONES and c.old_zone not in OPENING_ZONES]
    entering_warning = [c.agreement_id for c in changes if c.new_zone == calc.Zone.WARNING]
    # The open calls first, so that a call opened now is not followed in the same run.
    _follow_open_calls(run)
    opened = _open_calls(run, entering_call)
    notices = _warning_notices(run, entering_warning)
    _notify_after_commit([c.pk for c in opened], [n.pk for n in notices])


def _notify_after_commit(call_ids: list[int], notice_ids: list[int]) -> None:
    from . import tasks

    def send() -> None:
        for start in range(0, len(call_ids), CHUNK):
            tasks.issue_margin_call_notices.delay(call_ids=call_ids[start:start + CHUNK])
        for start in range(0, len(notice_ids), CHUNK):
            tasks.issue_warning_notices.delay(notice_ids=notice_ids[start:start + CHUNK])

    if call_ids or notice_ids:
        transaction.on_commit(send)


# --- the cures -----------------------------------------------------------------------------------

def _lock_call(call: PledgeMarginCall) -> PledgeMarginCall:
    return PledgeMarginCall.objects.select_for_update().select_related("agreement").get(pk=call.pk)


def require_open(call: PledgeMarginCall) -> None:
    """Refuse a cure of a call that is no longer open (409 pledge_margin_call_closed)."""
    if call.state not in PledgeMarginCall.OPEN:
        raise MarginCallClosed(_("Margin call %(ref)s is %(state)s: it can no longer be cured.")
                               % {"ref": call.reference, "state": call.get_state_display()})


def agreement_revalue(agreement: PledgeAgreement, *, acting_user: User | None, on: datetime.date | None = None):
    """Re-value one agreement (after a cure), which moves its open call."""
    from .revaluation import Trigger, revalue_agreement

    return revalue_agreement(agreement=agreement.pk, trigger=Trigger.MANUAL, acting_user=acting_user, on=on)


@audited
def margin_call_pay_cash(*, call: PledgeMarginCall, amount: Decimal, bank_reference: str,
                         received_on: datetime.date, acting_user: User) -> PledgeMarginCall:
    """Record a cash margin paid against the call: the agreement's cash margin held rises, then it is re-valued.

    Refused on a closed call (409); the amount must be positive and the bank reference new for the agreement.
    """
    call = _lock_call(call)
    require_open(call)
    require_receipts_staff(acting_user, lender=call.agreement.lender, action=_("record a cash margin"))
    bank_reference = (bank_reference or "").strip()
    errors = {}
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("Enter an amount greater than zero, to 0.01.")
    if not bank_reference:
        errors["bank_reference"] = _("Enter the bank reference of the payment.")
    elif PledgeCashMargin.objects.filter(agreement_id=call.agreement_id, bank_reference=bank_reference).exists():
        errors["bank_reference"] = _("A cash margin with this bank reference is already recorded.")
    if errors:
        raise ValidationError(errors)
    agreement = PledgeAgreement.objects.select_for_update().get(pk=call.agreement_id)
    PledgeCashMargin.objects.create(agreement=agreement, margin_call=call, amount=amount, currency=agreement.currency,
                                    bank_reference=bank_reference, received_on=received_on, recorded_by=acting_user)
    agreement.cash_margin += amount
    agreement.save(update_fields=["cash_margin"])
    audit_record(action="pledge.pledgeagreement.margin_received", target=agreement, actor=acting_user,
                 note=f"{call.reference}: {agreement.currency} {amount} ({bank_reference})")
    agreement_revalue(agreement, acting_user=acting_user)
    call.refresh_from_db()
    return call


# --- expiry ------------------------------------------------------------------------------------

@audited
def margin_calls_expire(on: datetime.date) -> list[PledgeMarginCall]:
    """Close as expired the open calls whose deadline passed before `on`; return them (the default work's hook).

    Idempotent: an expired call is no longer open, so a second run on the same day expires nothing.
    """
    calls = list(PledgeMarginCall.objects.select_for_update()
                 .filter(state__in=PledgeMarginCall.OPEN, deadline__lt=on).order_by("pk"))
    now = timezone.now()
    for call in calls:
        call.expire(at=now, note=f"deadline {call.deadline} passed, K {call.cure_amount}")
    _write_states(calls)
    return calls


@audited
def margin_calls_expire_daily(on: datetime.date) -> int:
    """The daily job: the calls past their deadline expire and put their agreements in default; returns how many.

    DESIGN §5: a call not cured by its deadline is a default (facility frozen, a disposal opened). The
    default is idempotent, so an agreement already in default (it reached the liquidation line) keeps
    its disposal; the expired call is marked as having led to the default.
    """
    from .disposals import agreement_default

    expired = margin_calls_expire(on)
    for call in PledgeMarginCall.objects.select_for_update().filter(
            pk__in=[c.pk for c in expired]).select_related("agreement").order_by("pk"):
        agreement = call.agreement
        if agreement.state in (PledgeAgreement.State.ACTIVE, PledgeAgreement.State.DEFAULTED):
            reason = _("Margin call %(call)s not cured by its deadline %(deadline)s.") % {
                "call": call.reference, "deadline": call.deadline.isoformat()}
            agreement_default(agreement=agreement, reason=reason, on=on)
            call.declare_default(note=reason)
            call.save(update_fields=["state"])
    return len(expired)


# --- the three ways to cure -------------------------------------------------------------------

def cure_goods(call: PledgeMarginCall, on: datetime.date | None = None) -> list[dict]:
    """For each commodity pledged under the agreement, the extra quantity that cures alone: K / (price × r), up.

    The price is the one the valuation uses (latest approved on the day); a commodity without one is left out.
    """
    from .valuation import agreement_valuation

    agreement = call.agreement
    valuation = agreement_valuation(agreement, on or call.last_revaluation.valued_on)
    seen: dict[int, dict] = {}
    for line in valuation.lines:
        if line.price is None or line.commodity.pk in seen:
            continue
        commodity = line.commodity
        seen[commodity.pk] = {
            "commodity": commodity, "price": line.price,
            "quantity": calc.cure_quantity(call.cure_amount, line.price, agreement.pledge_rate,
                                           commodity.quantity_precision)}
    return list(seen.values())
