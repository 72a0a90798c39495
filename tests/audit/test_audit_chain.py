import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scf.audit.models import GENESIS_HASH, AppendOnlyError, AuditChainHead, AuditRecord
from scf.audit.services import (
    BrokenLink,
    _hashed_fields,
    audit_batch,
    audit_chain_extend,
    audit_chain_verify,
    audit_record,
    audited,
    chain_hash,
    content_hash,
)
from scf.core.exceptions import IllegalTransition
from scf.facilities.models import CreditFacility
from scf.facilities.services import facility_activate
from scf.parties import services as parties
from scf.parties.demo import MINIMAL_PDF
from scf.parties.models import Organization

from ..factories import FacilityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

MISSING = "the chain head ends at this record, which is missing or rewritten"


@pytest.fixture
def three_records(corporate, django_capture_on_commit_callbacks):
    """Write three records to an empty log, chained after commit as a worker would; return them, oldest first."""
    organization, user = corporate("auditor")
    assert AuditRecord.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        records = [
            audit_record(action="test.first", target=organization, actor=user, note="first note"),
            audit_record(action="test.second", target=organization, actor=user, source_state="a", target_state="b"),
            audit_record(action="test.third", note="no target, no actor"),
        ]
        assert not AuditRecord.objects.filter(chain_seq__isnull=False).exists()  # nothing chained before commit
    assert len(callbacks) == 1  # one chainer run scheduled for the transaction, whatever its records
    return records


def _tamper(sql: str, params: list) -> None:
    """Change audit rows behind the application's back, as an intruder with database access would.

    On PostgreSQL the append-only trigger would refuse, so it is switched off for this session
    (``session_replication_role = replica`` skips ordinary triggers) and switched on again after.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
            assert cursor.rowcount == 1
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")


# --- one record per fired transition ------------------------------------------------------------


def test_facility_activate_records_exactly_one_audit_record_with_the_transition(risk_manager, lender):
    facility = FacilityFactory(state=CreditFacility.State.PROPOSED, lender=lender)
    before = AuditRecord.objects.count()

    facility_activate(facility=facility, acting_user=risk_manager, note="approved by committee 2026/07")

    assert AuditRecord.objects.count() == before + 1
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "facilities.creditfacility.activate"
    assert (record.source_state, record.target_state) == ("proposed", "active")
    assert record.actor == risk_manager
    assert record.actor_username == "risk"
    assert record.note == "approved by committee 2026/07"
    assert record.content_type == ContentType.objects.get_for_model(CreditFacility)
    assert record.object_id == str(facility.pk)
    assert record.object_repr == str(facility)


def test_facility_activate_refused_by_state_records_nothing(risk_manager):
    facility = FacilityFactory(state=CreditFacility.State.ACTIVE)
    before = AuditRecord.objects.count()

    with pytest.raises(IllegalTransition):
        facility_activate(facility=facility, acting_user=risk_manager)

    assert AuditRecord.objects.count() == before


def test_kyc_submit_records_exactly_one_audit_record_with_the_transition(corporate):
    organization, user = corporate("supplier-op", kyc_state="draft")
    parties.kyc_document_upload(
        organization=organization, kind="business_licence", acting_user=user,
        uploaded_file=SimpleUploadedFile("licence.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )
    before = list(AuditRecord.objects.values_list("seq", flat=True))

    parties.kyc_submit(organization=organization, acting_user=user)

    new = AuditRecord.objects.exclude(seq__in=before)
    assert new.count() == 1
    record = new.get()
    assert record.action == "parties.organization.kyc_submit"
    assert (record.source_state, record.target_state) == (Organization.KycState.DRAFT, Organization.KycState.SUBMITTED)
    assert (record.actor, record.actor_username) == (user, "supplier-op")
    assert record.note == ""
    assert (record.content_type.model, record.object_id) == ("organization", str(organization.pk))


# --- the chain ----------------------------------------------------------------------------------


def test_audit_records_chain_each_prev_hash_to_the_hash_before(three_records):
    first, second, third = AuditRecord.objects.order_by("chain_seq")
    assert [r.seq for r in (first, second, third)] == [r.seq for r in three_records]
    assert [r.chain_seq for r in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash, head.last_chain_seq) == (third.seq, third.hash, 3)


def test_audit_record_hash_covers_its_fields_and_the_previous_hash(three_records):
    first = AuditRecord.objects.order_by("chain_seq").first()
    fields = {
        "content_type": first.content_type_id, "object_id": first.object_id, "object_repr": first.object_repr,
        "action": "test.first", "from": "", "to": "", "actor": first.actor_id, "actor_username": "auditor",
        "at": first.at.isoformat(), "note": "first note",
    }
    assert content_hash(fields) == first.content_hash
    assert content_hash({**fields, "note": "first note."}) != first.content_hash
    assert chain_hash(prev_hash=GENESIS_HASH, content_hash=first.content_hash) == first.hash
    assert chain_hash(prev_hash="1" * 64, content_hash=first.content_hash) != first.hash


def test_audit_chain_verify_of_an_intact_chain_returns_the_count_and_no_broken_link(three_records):
    assert audit_chain_verify() == (3, None)


def test_audit_chain_verify_of_an_empty_log_is_intact():
    assert audit_chain_verify() == (0, None)


def test_verify_audit_chain_command_prints_ok_for_an_intact_chain(three_records, capsys):
    call_command("verify_audit_chain")
    assert capsys.readouterr().out.strip() == "OK: 3 records verified"


def test_verify_audit_chain_command_names_the_record_whose_note_was_tampered_with(three_records, capsys):
    second = three_records[1]
    _tamper("UPDATE audit_auditrecord SET note = %s WHERE seq = %s", ["edited afterwards", second.seq])

    assert audit_chain_verify() == (1, BrokenLink(second.seq, "content does not match its hash"))
    with pytest.raises(CommandError, match=rf"BROKEN at record #{second.seq}:") as error:
        call_command("verify_audit_chain")
    assert "content does not match its hash" in str(error.value)
    assert "OK" not in capsys.readouterr().out


def test_verify_audit_chain_command_exits_non_zero_on_a_broken_chain(three_records, capsys):
    _tamper("UPDATE audit_auditrecord SET note = %s WHERE seq = %s", ["x", three_records[0].seq])
    # The command line turns CommandError into a message on stderr and exit status 1.
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "verify_audit_chain"]).execute()
    assert exit_info.value.code == 1
    assert f"BROKEN at record #{three_records[0].seq}" in capsys.readouterr().err


def test_audit_chain_verify_detects_a_deleted_last_record_from_the_chain_head(three_records):
    third = three_records[2]
    _tamper("DELETE FROM audit_auditrecord WHERE seq = %s", [third.seq])

    # The records left chain correctly; only the head, which says the chain ends at #third, shows the loss.
    assert audit_chain_verify() == (2, BrokenLink(third.seq, MISSING))
    with pytest.raises(CommandError, match=rf"BROKEN at record #{third.seq}: the chain head ends at this record"):
        call_command("verify_audit_chain")


def test_audit_chain_verify_detects_the_last_record_rewritten_with_a_recomputed_hash(three_records):
    third = AuditRecord.objects.get(seq=three_records[2].seq)
    third.note = "forged"
    forged_content = content_hash(_hashed_fields(third))
    forged_hash = chain_hash(prev_hash=third.prev_hash, content_hash=forged_content)
    _tamper("UPDATE audit_auditrecord SET note = %s, content_hash = %s, hash = %s WHERE seq = %s",
            ["forged", forged_content, forged_hash, third.seq])

    assert audit_chain_verify() == (3, BrokenLink(third.seq, MISSING))


def test_audit_chain_verify_detects_a_deleted_record_in_the_middle(three_records):
    _first, second, third = three_records
    _tamper("DELETE FROM audit_auditrecord WHERE seq = %s", [second.seq])

    # The third record's prev_hash is the deleted second's hash, not the first's.
    assert audit_chain_verify() == (1, BrokenLink(third.seq, "prev_hash does not match the record before it"))


def test_audit_chain_verify_detects_a_record_rewritten_with_a_recomputed_hash(three_records):
    _first, second, third = three_records
    record = AuditRecord.objects.get(seq=second.seq)
    record.note = "forged"
    forged_content = content_hash(_hashed_fields(record))
    forged_hash = chain_hash(prev_hash=record.prev_hash, content_hash=forged_content)
    _tamper("UPDATE audit_auditrecord SET note = %s, content_hash = %s, hash = %s WHERE seq = %s",
            ["forged", forged_content, forged_hash, second.seq])

    # The forged record checks out on its own, but the next record still points at the original hash.
    assert audit_chain_verify() == (2, BrokenLink(third.seq, "prev_hash does not match the record before it"))


def test_audit_chain_keeps_verifying_after_more_records_are_appended(three_records):
    audit_record(action="test.fourth", target=OrganizationFactory())
    assert audit_chain_verify() == (3, None)  # the fourth is not chained yet, and young
    assert audit_chain_extend() == 1
    assert audit_chain_verify() == (4, None)


# --- units of work ------------------------------------------------------------------------------


def test_a_batch_writes_its_records_when_it_ends_chained_in_the_order_they_were_made(corporate):
    organization, user = corporate("batcher")
    with audit_batch():
        first = audit_record(action="test.first", target=organization, actor=user)
        second = audit_record(action="test.second", target=organization, actor=user)
        assert AuditRecord.objects.count() == 0  # nothing written yet
    stored = list(AuditRecord.objects.order_by("seq"))
    assert [r.action for r in stored] == ["test.first", "test.second"]
    assert [first.seq, second.seq] == [r.seq for r in stored]
    assert [r.chain_seq for r in stored] == [None, None]  # chained after commit, not by the writer
    assert audit_chain_extend() == 2
    stored = list(AuditRecord.objects.order_by("seq"))
    assert stored[0].prev_hash == GENESIS_HASH and stored[1].prev_hash == stored[0].hash
    head = AuditChainHead.objects.get()
    assert (head.last_hash, head.last_seq) == (stored[1].hash, stored[1].seq)
    assert audit_chain_verify() == (2, None)


def test_a_nested_batch_left_by_an_error_drops_its_records_and_the_outer_batch_keeps_its_own():
    with audit_batch():
        audit_record(action="test.kept")
        with pytest.raises(ValueError):
            with transaction.atomic(), audit_batch():
                audit_record(action="test.dropped")
                raise ValueError
        audit_record(action="test.kept.too")
    assert list(AuditRecord.objects.values_list("action", flat=True)) == ["test.kept", "test.kept.too"]
    audit_chain_extend()
    assert audit_chain_verify() == (2, None)


def test_a_unit_of_work_that_fails_writes_no_records_and_changes_nothing(corporate):
    organization, _user = corporate("failer")

    @audited
    def rename_then_fail():
        Organization.objects.filter(pk=organization.pk).update(legal_name="Renamed")
        audit_record(action="test.renamed", target=organization)
        raise IllegalTransition("refused")

    with pytest.raises(IllegalTransition):
        rename_then_fail()
    assert AuditRecord.objects.count() == 0
    assert Organization.objects.get(pk=organization.pk).legal_name == organization.legal_name


def test_a_service_called_by_another_joins_its_unit_of_work_without_a_savepoint():
    @audited
    def inner():
        audit_record(action="test.inner")

    @audited
    def outer():
        audit_record(action="test.outer")
        inner()

    AuditChainHead.objects.get_or_create(id=1)  # made by the first record ever, with a savepoint of its own
    with CaptureQueriesContext(connection) as captured:
        outer()
    savepoints = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the outer service's, inside the test's transaction
    assert list(AuditRecord.objects.values_list("action", flat=True)) == ["test.outer", "test.inner"]


# --- append-only --------------------------------------------------------------------------------


def test_audit_record_save_of_an_existing_record_raises_and_changes_nothing(three_records):
    record = AuditRecord.objects.get(seq=three_records[0].seq)
    record.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    assert AuditRecord.objects.get(seq=record.seq).note == "first note"
    assert audit_chain_verify() == (3, None)


def test_audit_record_delete_raises_and_keeps_the_record(three_records):
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.get(seq=three_records[2].seq).delete()
    assert AuditRecord.objects.count() == 3
    assert audit_chain_verify() == (3, None)


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditrecord SET note = 'edited' WHERE seq = %s",
    "DELETE FROM audit_auditrecord WHERE seq = %s",
])
def test_postgres_trigger_refuses_raw_sql_changes_to_audit_records(postgres_only, three_records, sql):
    with pytest.raises(IntegrityError, match="append-only table audit_auditrecord"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [three_records[0].seq])
    assert audit_chain_verify() == (3, None)


# --- the chain extended after commit ------------------------------------------------------------


def test_audit_chain_verify_detects_two_records_swapped_in_the_chain(three_records):
    first, second, _third = three_records
    # Swap their places (through a free number, chain_seq being unique).
    _tamper("UPDATE audit_auditrecord SET chain_seq = -1 WHERE seq = %s", [first.seq])
    _tamper("UPDATE audit_auditrecord SET chain_seq = 1 WHERE seq = %s", [second.seq])
    _tamper("UPDATE audit_auditrecord SET chain_seq = 2 WHERE seq = %s", [first.seq])

    # The chain now starts with the second record, whose prev_hash is the first's hash, not the genesis.
    assert audit_chain_verify() == (0, BrokenLink(second.seq, "prev_hash does not match the record before it"))


def test_audit_chain_verify_detects_a_record_moved_to_another_position_number(three_records):
    _first, _second, third = three_records
    _tamper("UPDATE audit_auditrecord SET chain_seq = 7 WHERE seq = %s", [third.seq])

    assert audit_chain_verify() == (2, BrokenLink(third.seq, "chain position 7 where 3 was due"))


def test_audit_chain_verify_detects_a_chain_hash_not_made_from_its_content(three_records):
    second = three_records[1]
    _tamper("UPDATE audit_auditrecord SET hash = %s WHERE seq = %s", ["f" * 64, second.seq])

    assert audit_chain_verify() == (
        1, BrokenLink(second.seq, "chain hash does not match its content and the record before it"))


def test_a_record_left_unchained_past_the_grace_is_reported(three_records, monkeypatch):
    late = audit_record(action="test.unchained")
    assert audit_chain_verify() == (3, None)  # young: the chainer has not run yet, which is normal

    later = timezone.now() + datetime.timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert audit_chain_verify() == (3, BrokenLink(late.seq, "not chained 300 s after it was written"))
    with pytest.raises(CommandError, match=rf"BROKEN at record #{late.seq}: not chained 300 s"):
        call_command("verify_audit_chain")


def test_the_command_says_how_many_records_wait_to_be_chained(three_records, capsys):
    audit_record(action="test.waiting")
    call_command("verify_audit_chain")
    assert capsys.readouterr().out.strip() == "OK: 3 records verified, 1 not chained yet"


def test_audit_chain_verify_detects_an_unchained_record_whose_content_was_altered(three_records):
    late = audit_record(action="test.unchained", note="as written")
    _tamper("UPDATE audit_auditrecord SET note = %s WHERE seq = %s", ["altered", late.seq])

    assert audit_chain_verify() == (3, BrokenLink(late.seq, "content does not match its hash"))


def test_the_chainer_links_in_chunks_and_continues_the_chain(three_records):
    for i in range(5):
        audit_record(action=f"test.more{i}")
    assert audit_chain_extend(chunk=2) == 5  # three transactions: 2 + 2 + 1
    assert audit_chain_extend(chunk=2) == 0
    assert list(AuditRecord.objects.order_by("chain_seq").values_list("chain_seq", flat=True)) == list(range(1, 9))
    assert audit_chain_verify() == (8, None)


def test_an_audited_transaction_writes_its_record_in_at_most_two_audit_statements(risk_manager, lender,
                                                                                django_capture_on_commit_callbacks):
    facility = FacilityFactory(state=CreditFacility.State.PROPOSED, lender=lender)
    ContentType.objects.get_for_model(CreditFacility)  # the content type cache, warm in a running service

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with CaptureQueriesContext(connection) as captured:
            facility_activate(facility=facility, acting_user=risk_manager, note="approved")
    audit = [q["sql"] for q in captured.captured_queries if "audit_" in q["sql"]]
    assert len(audit) <= 2, audit
    assert len(audit) == 1 and audit[0].startswith("INSERT INTO")  # one INSERT: no chain head, no lock
    assert len(callbacks) == 1  # the chainer, after commit
    assert AuditRecord.objects.get(seq=AuditRecord.objects.latest("seq").seq).chain_seq is None
    callbacks[0]()
    assert audit_chain_verify() == (AuditRecord.objects.count(), None)


def test_a_rolled_back_savepoint_drops_its_chainer_callback_and_a_later_record_schedules_it_again(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValueError):
            with transaction.atomic():
                audit_record(action="test.dropped")
                raise ValueError
        audit_record(action="test.kept")
    assert len(callbacks) == 1
    assert list(AuditRecord.objects.values_list("action", "chain_seq")) == [("test.kept", 1)]


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditrecord SET hash = 'x', chain_seq = chain_seq WHERE seq = %s",
    "UPDATE audit_auditrecord SET chain_seq = 9 WHERE seq = %s",
])
def test_postgres_trigger_refuses_rewriting_the_chain_of_a_chained_record(postgres_only, three_records, sql):
    with pytest.raises(IntegrityError, match="append-only table audit_auditrecord"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [three_records[0].seq])
    assert audit_chain_verify() == (3, None)


def test_postgres_trigger_refuses_changing_the_content_of_a_record_not_chained_yet(postgres_only, three_records):
    late = audit_record(action="test.unchained")
    with pytest.raises(IntegrityError, match="append-only table audit_auditrecord"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditrecord SET note = 'x', chain_seq = 99 WHERE seq = %s", [late.seq])
    assert audit_chain_extend() == 1
    assert audit_chain_verify() == (4, None)
