"""Re-chain the existing records in the new form, after checking them in the old one; then the trigger.

The old form hashed the previous hash with the record's fields; the new one hashes the fields
alone (`content_hash`) and chains SHA-256(previous hash + content hash). The old chain is
checked first: a broken one stops the migration (run `verify_audit_chain` on the previous
release to find the record) rather than be re-sealed as if it were intact.

On PostgreSQL the append-only trigger then comes back in a form that lets the chainer fill the
chain columns of a record not chained yet, once, and refuses every other change or deletion.
"""

import hashlib
import json

from django.db import migrations

GENESIS_HASH = "0" * 64

FUNCTION = """
CREATE OR REPLACE FUNCTION scf_audit_chain_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (to_jsonb(NEW) - ARRAY['chain_seq', 'prev_hash', 'hash'])
           = (to_jsonb(OLD) - ARRAY['chain_seq', 'prev_hash', 'hash']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only table %: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _fields(record) -> dict:
    return {
        "content_type": record.content_type_id, "object_id": record.object_id, "object_repr": record.object_repr,
        "action": record.action, "from": record.source_state, "to": record.target_state,
        "actor": record.actor_id, "actor_username": record.actor_username, "at": record.at.isoformat(),
        "note": record.note,
    }


def _payload(record) -> str:
    return json.dumps(_fields(record), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def rechain(apps, schema_editor):
    AuditRecord = apps.get_model("audit", "AuditRecord")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    old_prev = new_prev = GENESIS_HASH
    batch, chain_seq, last = [], 0, None
    for record in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        payload = _payload(record)
        if record.prev_hash != old_prev or \
                hashlib.sha256((old_prev + payload).encode("utf-8")).hexdigest() != record.hash:
            raise RuntimeError(f"audit chain broken at record #{record.seq}: not re-chained")
        old_prev = record.hash
        chain_seq += 1
        record.content_hash = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        record.chain_seq, record.prev_hash = chain_seq, new_prev
        record.hash = new_prev = hashlib.sha256((new_prev + record.content_hash).encode("utf-8")).hexdigest()
        batch.append(record)
        last = record
        if len(batch) == 1000:
            AuditRecord.objects.bulk_update(batch, ["content_hash", "chain_seq", "prev_hash", "hash"])
            batch = []
    AuditRecord.objects.bulk_update(batch, ["content_hash", "chain_seq", "prev_hash", "hash"])
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and last is not None and (head.last_hash, head.last_seq) != (old_prev, last.seq):
        raise RuntimeError(f"audit chain head does not end at record #{last.seq}: not re-chained")
    if last is not None:
        AuditChainHead.objects.update_or_create(
            id=1, defaults={"last_hash": new_prev, "last_seq": last.seq, "last_chain_seq": chain_seq})


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER audit_auditrecord_append_only BEFORE UPDATE OR DELETE ON audit_auditrecord "
        "FOR EACH ROW EXECUTE FUNCTION scf_audit_chain_once();"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditrecord_append_only ON audit_auditrecord;")
    schema_editor.execute("DROP FUNCTION IF EXISTS scf_audit_chain_once();")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_after_commit")]

    operations = [
        migrations.RunPython(rechain),  # irreversible: the old form of the chain is not rebuilt
        migrations.RunPython(create_trigger, drop_trigger),
    ]
