"""Write audit records in the business transaction; chain them in the background a moment later.

A record is one INSERT with its own `content_hash`; no business transaction takes a shared
lock. After commit, `audit_chain_extend` (a Celery task, and a beat entry as a safety net)
links the records not chained yet under a lock of its own, in `seq` order among those it can
see, i.e. those committed. A record whose transaction commits late is chained late, after
records with a higher `seq`: the chain's order is the `chain_seq` the chainer gives, never `seq`.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from .models import GENESIS_HASH, AuditChainHead, AuditRecord

logger = logging.getLogger(__name__)

CHAIN_CHUNK = 500  # records linked per chainer transaction
UNCHAINED_GRACE = datetime.timedelta(minutes=5)  # older unchained records are a problem for verify


def content_hash(fields: dict) -> str:
    """Return the SHA-256 of a record's fields alone (canonical JSON)."""
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chain_hash(*, prev_hash: str, content_hash: str) -> str:
    """Return the SHA-256 linking a record's content hash to the chain hash before it."""
    return hashlib.sha256((prev_hash + content_hash).encode("utf-8")).hexdigest()


def _hashed_fields(record: AuditRecord) -> dict:
    return {
        "content_type": record.content_type_id,
        "object_id": record.object_id,
        "object_repr": record.object_repr,
        "action": record.action,
        "from": record.source_state,
        "to": record.target_state,
        "actor": record.actor_id,
        "actor_username": record.actor_username,
        "at": record.at.isoformat(),
        "note": record.note,
    }


_pending = threading.local()


@contextmanager
def audit_batch():
    """Collect the audit records written inside the block and insert them in one statement when it ends.

    Run inside the transaction of a unit of work (see `audited`). Nested blocks hand their
    records to the outer one; a block left by an exception drops its own records, as its
    savepoint drops its changes.
    """
    outer = getattr(_pending, "records", None)
    records: list[AuditRecord] = []
    _pending.records = records
    if outer is None:
        _pending.memo = {}
        _pending.at_end = []
        # Whether the unit of work runs within one transaction (as `audited` opens it): only then can what it keeps
        # for its end tell a savepoint rolled back from one committed (see `at_unit_of_work_end_together`).
        _pending.in_transaction = transaction.get_connection().in_atomic_block
    try:
        yield
        if outer is None:
            # What the unit of work gathered to write together (the announcements of its new tasks, say); these may
            # record audit entries of their own.
            while _pending.at_end:
                _pending.at_end.pop(0)()
    finally:
        _pending.records = outer
        if outer is None:
            _pending.memo = None
            _pending.at_end = None
    if outer is not None:
        outer.extend(records)
    elif records:
        _write(records)


def at_unit_of_work_end(callback: Callable[[], None]) -> bool:
    """Run `callback` when the unit of work running in this thread ends well, before its audit records are written
    and within its transaction; return False (and run nothing) outside a unit of work."""
    at_end = getattr(_pending, "at_end", None)
    if at_end is None:
        return False
    at_end.append(callback)
    return True


def at_unit_of_work_end_together(key: str, item: Any, flush: Callable[[list], None]) -> bool:
    """Keep `item` for `flush`, called once with every item kept under `key` as the unit of work ends well.

    What a unit of work writes one at a time can be written together this way (a service's new tasks' deadlines,
    say). An item kept within a savepoint rolled back since (a release's rehearsal) is dropped with it: each item is
    marked by an on-commit callback, which Django drops with the savepoint. Return False (and keep nothing) outside a
    unit of work, or in one not run within a transaction (an inner block would commit and its items look rolled
    back): the caller writes the item itself.
    """
    memo = unit_of_work_memo()
    if memo is None or not getattr(_pending, "in_transaction", False):
        return False
    marker = UnitOfWorkMarker(item)
    transaction.on_commit(marker)
    kept = memo.get(key)
    if kept is not None:
        kept.append(marker)
        return True
    memo[key] = [marker]
    if not at_unit_of_work_end(lambda: flush(_still_there(memo.pop(key)))):
        memo.pop(key)
        return False
    return True


def kept_take(key: str, ready: Callable[[Any], bool]) -> list:
    """Take the items kept under `key` (see `at_unit_of_work_end_together`) that are still there and `ready`, for the
    caller to write now; the unit's end writes the others as it would have. Outside a unit of work: nothing."""
    memo = unit_of_work_memo()
    kept = memo.get(key) if memo is not None else None
    if not kept:
        return []
    there = {id(marker) for marker in kept} & {id(func) for _ids, func, _robust in
                                                transaction.get_connection().run_on_commit}
    taken = [marker for marker in kept if id(marker) in there and ready(marker.item)]
    kept[:] = [marker for marker in kept if id(marker) in there and marker not in taken]
    return [marker.item for marker in taken]


class UnitOfWorkMarker:
    """An item kept for the end of its unit of work; as an on-commit callback it only marks that its savepoint is
    still there (nothing is left to do after commit: tests that run a transaction's callbacks by hand skip it)."""

    def __init__(self, item: Any):
        self.item = item

    def __call__(self) -> None:
        pass


def _still_there(markers: list[UnitOfWorkMarker]) -> list:
    registered = {id(func) for _savepoints, func, _robust in transaction.get_connection().run_on_commit}
    return [marker.item for marker in markers if id(marker) in registered]


def unit_of_work_memo() -> dict | None:
    """Return the dict kept for the unit of work running in this thread (see `audited`), or None outside one.

    What one unit of work has already asked the database and will not change within it (who belongs to which
    organization, say) can be kept here: it is dropped when the outermost unit ends, so the next one asks again.
    """
    return getattr(_pending, "memo", None)


def audited(func: Callable) -> Callable:
    """Decorate a service as one unit of work: one transaction, its audit records inserted at its end.

    Called from outside any unit of work, it opens a transaction (a savepoint within a caller's
    transaction, so that a refused action leaves the caller's transaction usable).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # A service called by another joins its transaction without a savepoint: no service
        # catches another's error, so a nested failure fails the whole unit of work anyway.
        nested = getattr(_pending, "records", None) is not None
        with transaction.atomic(savepoint=not nested), audit_batch():
            return func(*args, **kwargs)

    return wrapper


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    actor=None,
    source_state: str = "",
    target_state: str = "",
    note: str = "",
) -> AuditRecord:
    """Write one audit record in the caller's transaction, or add it to the current unit of work's batch.

    It joins the caller's transaction without a savepoint: a record that cannot be written
    fails the whole change, which is what an audit trail wants. Inside `audit_batch` the
    record is inserted (and gets its `seq`) when the batch ends.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    record = AuditRecord(
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None and target.pk is not None else "",
        object_repr=str(target)[:255] if target is not None else "",
        action=action,
        source_state=str(source_state or ""),
        target_state=str(target_state or ""),
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        # Microseconds dropped: the hash must survive a database round trip everywhere.
        at=timezone.now().replace(microsecond=0),
        note=note or "",
    )
    record.content_hash = content_hash(_hashed_fields(record))
    batch = getattr(_pending, "records", None)
    if batch is not None:
        batch.append(record)
    else:
        _write([record])
    return record


def _write(records: list[AuditRecord]) -> None:
    """Insert the records (one statement) and have the chain extended once the transaction commits."""
    AuditRecord.objects.bulk_create(records)
    _chain_after_commit()


def _chain_after_commit() -> None:
    """Schedule the chainer once per transaction (a callback dropped with a rolled-back savepoint is made again)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _chain_soon for _ids, func, _robust in connection.run_on_commit):
        return
    # Robust: the business change is committed whatever the chainer does; the beat entry catches up.
    transaction.on_commit(_chain_soon, robust=True)


def _chain_soon() -> None:
    audit_chain_extend_task.delay()


def audit_chain_extend(*, chunk: int = CHAIN_CHUNK) -> int:
    """Link the committed records not chained yet, in seq order, a chunk per transaction; return how many.

    The head row is the chainer's lock (concurrent chainers take turns; business transactions
    never touch it). Under READ COMMITTED each statement after the lock sees every record
    committed so far, so a record whose transaction is still open is simply left for a later
    run: it is never skipped past, it is chained later, with a later `chain_seq`.
    """
    total = 0
    while True:
        with transaction.atomic():
            head = _locked_head()
            records = list(AuditRecord.objects.filter(chain_seq__isnull=True).order_by("seq")
                           .only("seq", "content_hash")[:chunk])
            if not records:
                return total
            prev_hash, chain_seq = head.last_hash, head.last_chain_seq
            for record in records:
                chain_seq += 1
                record.chain_seq, record.prev_hash = chain_seq, prev_hash
                record.hash = prev_hash = chain_hash(prev_hash=prev_hash, content_hash=record.content_hash)
            AuditRecord.objects.bulk_update(records, ["chain_seq", "prev_hash", "hash"])
            AuditChainHead.objects.filter(id=1).update(last_hash=prev_hash, last_seq=records[-1].seq,
                                                       last_chain_seq=chain_seq)
        total += len(records)
        if len(records) < chunk:
            return total


@shared_task(name="scf.audit.tasks.audit_chain_extend", ignore_result=True)
def audit_chain_extend_task() -> int:
    """Chain the committed audit records not chained yet (after each audited commit, and every minute)."""
    return audit_chain_extend()


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(id=1)
        head = AuditChainHead.objects.select_for_update().get(id=1)
    return head


def record_fsm_transition(sender, instance, name, source, target, **kwargs) -> None:
    """Receive django-fsm's post_transition: the actor and note come as `by=` and `note=`."""
    method_kwargs = kwargs.get("method_kwargs") or {}
    audit_record(
        action=f"{sender._meta.label_lower}.{name}",
        target=instance,
        actor=method_kwargs.get("by"),
        source_state=source,
        target_state=target,
        note=method_kwargs.get("note", ""),
    )


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


def audit_chain_verify(*, grace: datetime.timedelta = UNCHAINED_GRACE) -> tuple[int, BrokenLink | None]:
    """Walk the chain in chain order; return the chained records checked and the first problem.

    A problem is a chained record altered, removed or moved (its content, its hash or its link
    to the record before it disagree), a chain head that does not end at the last record, an
    unchained record whose content does not match its hash, or a record still unchained
    `grace` after it was written (the chainer is not running).
    """
    prev_hash = GENESIS_HASH
    checked = 0
    last_seq = 0
    for record in _iter_chained():
        if record.prev_hash != prev_hash:
            return checked, BrokenLink(record.seq, "prev_hash does not match the record before it")
        if content_hash(_hashed_fields(record)) != record.content_hash:
            return checked, BrokenLink(record.seq, "content does not match its hash")
        if chain_hash(prev_hash=prev_hash, content_hash=record.content_hash) != record.hash:
            return checked, BrokenLink(record.seq, "chain hash does not match its content and the record before it")
        if record.chain_seq != checked + 1:
            return checked, BrokenLink(record.seq, f"chain position {record.chain_seq} where {checked + 1} was due")
        prev_hash = record.hash
        last_seq = record.seq
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.last_hash != prev_hash or head.last_seq != last_seq or head.last_chain_seq != checked):
        # head.last_seq is the record the chain should end with: it is gone (or rewritten), so do not
        # call it "records after this one", which would name a missing record as if it were there.
        return checked, BrokenLink(head.last_seq, "the chain head ends at this record, which is missing or rewritten")
    for record in AuditRecord.objects.filter(chain_seq__isnull=True).order_by("seq").iterator(chunk_size=2000):
        if content_hash(_hashed_fields(record)) != record.content_hash:
            return checked, BrokenLink(record.seq, "content does not match its hash")
        if record.at < timezone.now() - grace:
            return checked, BrokenLink(record.seq, f"not chained {int(grace.total_seconds())} s after it was written")
    return checked, None


def _iter_chained() -> Iterator[AuditRecord]:
    return AuditRecord.objects.filter(chain_seq__isnull=False).order_by("chain_seq").iterator(chunk_size=2000)


def history_for(obj: models.Model) -> list[AuditRecord]:
    """Return the audit records of one object, oldest first, with their states as people read them.

    Each record gets `source_label` and `target_label` from the object's state choices, and
    `action_label`: the transition or action name without its app and model prefix.
    """
    records = list(AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor"))
    choices = {}
    for field in obj._meta.concrete_fields:
        if field.name in ("state", "status", "kyc_state") and field.choices:
            choices.update({str(value): label for value, label in field.flatchoices})
    for record in records:
        record.source_label = choices.get(record.source_state, record.source_state)
        record.target_label = choices.get(record.target_state, record.target_state)
        name = record.action.rsplit(".", 1)[-1]
        record.action_label = ACTION_LABELS.get(name) or name.replace("_", " ").capitalize()
    return records


# What each recorded action is called on a history table, in the reader's language.
ACTION_LABELS = {
    "activate": pgettext_lazy("history", "Activated"),
    "add": pgettext_lazy("history", "Added"),
    "advance": pgettext_lazy("history", "Advanced by the lender"),
    "append": pgettext_lazy("history", "Appended"),
    "apply": pgettext_lazy("history", "Applied"),
    "approve": pgettext_lazy("history", "Approved"),
    "ask_document": pgettext_lazy("history", "Document asked for"),
    "bought_back": pgettext_lazy("history", "Bought back"),
    "cancel": pgettext_lazy("history", "Cancelled"),
    "change": pgettext_lazy("history", "Changed"),
    "claim_recourse": pgettext_lazy("history", "Recourse claimed"),
    "close": pgettext_lazy("history", "Closed"),
    "complete_signing": pgettext_lazy("history", "Signed by all"),
    "confirm": pgettext_lazy("history", "Confirmed"),
    "confirm_delivery": pgettext_lazy("history", "Delivery confirmed"),
    "confirm_receipt": pgettext_lazy("history", "Receipt confirmed by the seller"),
    "count": pgettext_lazy("history", "Counted"),
    "create": pgettext_lazy("history", "Created"),
    "deactivate": pgettext_lazy("history", "Deactivated"),
    "declare": pgettext_lazy("history", "Declared"),
    "demand_refund": pgettext_lazy("history", "Refund demanded"),
    "deregister": pgettext_lazy("history", "Deregistered"),
    "disburse": pgettext_lazy("history", "Disbursed"),
    "dispute": pgettext_lazy("history", "Disputed"),
    "edit": pgettext_lazy("history", "Edited"),
    "effective": pgettext_lazy("history", "Made effective"),
    "eligible": pgettext_lazy("history", "Eligibility set"),
    "enrol": pgettext_lazy("history", "Enrolled"),
    "execute": pgettext_lazy("history", "Executed"),
    "expire": pgettext_lazy("history", "Expired"),
    "finance": pgettext_lazy("history", "Financed"),
    "freeze": pgettext_lazy("history", "Frozen"),
    "fund": pgettext_lazy("history", "Funded"),
    "generate": pgettext_lazy("history", "Generated"),
    "grant": pgettext_lazy("history", "Granted"),
    "groups": pgettext_lazy("history", "Groups changed"),
    "import": pgettext_lazy("history", "Imported"),
    "issue": pgettext_lazy("history", "Issued"),
    "issue_contract": pgettext_lazy("history", "Contracts issued"),
    "issue_contracts": pgettext_lazy("history", "Contracts issued"),
    "issue_order": pgettext_lazy("history", "Release order issued"),
    "issue_notice": pgettext_lazy("history", "Notice issued"),
    "notice": pgettext_lazy("history", "Floor value notice issued"),
    "order": pgettext_lazy("history", "Release order issued"),
    "split": pgettext_lazy("history", "Receipt split"),
    "kyc_expire": pgettext_lazy("history", "KYC expired"),
    "kyc_reject": pgettext_lazy("history", "KYC rejected"),
    "kyc_submit": pgettext_lazy("history", "KYC submitted"),
    "kyc_verify": pgettext_lazy("history", "KYC verified"),
    "lapse": pgettext_lazy("history", "Lapsed"),
    "limit_change": pgettext_lazy("history", "Limit changed"),
    "make_effective": pgettext_lazy("history", "Made effective"),
    "margin": pgettext_lazy("history", "Margin paid"),
    "margin_received": pgettext_lazy("history", "Margin received"),
    "mark_overdue": pgettext_lazy("history", "Overdue"),
    "mark_reviewed": pgettext_lazy("history", "Reviewed"),
    "mark_paid": pgettext_lazy("history", "Paid"),
    "mark_signed": pgettext_lazy("history", "Signed"),
    "notify_delivery": pgettext_lazy("history", "Delivery notified"),
    "open": pgettext_lazy("history", "Opened"),
    "prepare": pgettext_lazy("history", "Prepared"),
    "propose": pgettext_lazy("history", "Proposed"),
    "reactivate": pgettext_lazy("history", "Reactivated"),
    "record": pgettext_lazy("history", "Receipt recorded"),
    "recovery_codes_regenerate": pgettext_lazy("history", "Recovery codes regenerated"),
    "refuse": pgettext_lazy("history", "Refused"),
    "register": pgettext_lazy("history", "Registered"),
    "reject": pgettext_lazy("history", "Rejected"),
    "repaid": pgettext_lazy("history", "Repaid"),
    "repayment": pgettext_lazy("history", "Repayment received"),
    "request": pgettext_lazy("history", "Requested"),
    "reset": pgettext_lazy("history", "Reset"),
    "resubmit": pgettext_lazy("history", "Resubmitted"),
    "return": pgettext_lazy("history", "Returned"),
    "return_for_revision": pgettext_lazy("history", "Returned for revision"),
    "revalue": pgettext_lazy("history", "Revalued"),
    "stock_count": pgettext_lazy("history", "Stock counted"),
    "seller_confirm": pgettext_lazy("history", "Confirmed by the seller"),
    "seller_decline": pgettext_lazy("history", "Declined by the seller"),
    "set": pgettext_lazy("history", "Set"),
    "settle": pgettext_lazy("history", "Settled"),
    "sign": pgettext_lazy("history", "Signed"),
    "submit": pgettext_lazy("history", "Submitted"),
    "supersede": pgettext_lazy("history", "Superseded"),
    "suspend": pgettext_lazy("history", "Suspended"),
    "unfinance": pgettext_lazy("history", "Released"),
    "unfreeze": pgettext_lazy("history", "Unfrozen"),
    "update": pgettext_lazy("history", "Updated"),
    "upload": pgettext_lazy("history", "Uploaded"),
    "verify": pgettext_lazy("history", "Verified"),
    "void": pgettext_lazy("history", "Voided"),
    "withdraw": pgettext_lazy("history", "Withdrawn"),
    "write_off": pgettext_lazy("history", "Written off"),
    # Confirming-warehouse maturity: the seller's refund, the goods it keeps, its acknowledgement of the notice.
    "refund": pgettext_lazy("history", "Refund received"),
    "goods_kept": pgettext_lazy("history", "Goods kept or bought back by the seller"),
    "acknowledge": pgettext_lazy("history", "Acknowledged"),
    # Pledge default and disposal.
    "declare_default": pgettext_lazy("history", "Default declared"),
    "close_after_disposal": pgettext_lazy("history", "Closed after the disposal"),
    "record_sale": pgettext_lazy("history", "Sale entered"),
    # Pledge margin calls: a cure lowered the amount, the LTV fell below the call line, the default.
    "meet_partly": pgettext_lazy("history", "Partly met"),
    "cure": pgettext_lazy("history", "Cured"),
    # A revaluation's one record of the margin calls it opened, cured or moved and the warning notices.
    "margin_calls": pgettext_lazy("history", "Margin calls and warning notices"),
    # Confirming-warehouse advance at maturity: the claim on the core enterprise, the advance repaid.
    "core_claim": pgettext_lazy("history", "Claim on the core enterprise recorded"),
    "advance_repayment": pgettext_lazy("history", "Advance repayment received"),
}
