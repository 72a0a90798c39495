"""On PostgreSQL the database itself holds four eyes on approval decisions, whatever a row claims.

A decision's preparer is the case's preparer, its approver is not that person, its round is the
case's current round (so "one decision per approver and round" is the case's round), and
decisions are never rewritten; a case's preparer does not change once someone decided on it.
On SQLite the approval service holds the same rules (a table rebuild there would drop triggers).
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION scf_approval_decision_four_eyes() RETURNS trigger AS $$
DECLARE
    case_preparer bigint;
    case_round integer;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.case_id, NEW.round, NEW.approver_id, NEW.preparer_id, NEW.decision)
            IS DISTINCT FROM (OLD.case_id, OLD.round, OLD.approver_id, OLD.preparer_id, OLD.decision) THEN
        RAISE EXCEPTION 'four eyes: approval decision % is not rewritten', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT preparer_id, round INTO case_preparer, case_round FROM approval_approvalcase WHERE id = NEW.case_id;
    IF NEW.preparer_id IS DISTINCT FROM case_preparer THEN
        RAISE EXCEPTION 'four eyes: the decision names preparer %, the case was prepared by %',
            NEW.preparer_id, case_preparer USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.approver_id = case_preparer THEN
        RAISE EXCEPTION 'four eyes: user % prepared case % and cannot decide it', NEW.approver_id, NEW.case_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.round IS DISTINCT FROM case_round THEN
        RAISE EXCEPTION 'four eyes: case % is in round %, not %', NEW.case_id, case_round, NEW.round
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION scf_approval_case_preparer_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.preparer_id IS DISTINCT FROM OLD.preparer_id
            AND EXISTS (SELECT 1 FROM approval_approvaldecision WHERE case_id = NEW.id) THEN
        RAISE EXCEPTION 'four eyes: case % has decisions; its preparer does not change', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
CREATE TRIGGER approval_decision_four_eyes BEFORE INSERT OR UPDATE ON approval_approvaldecision
    FOR EACH ROW EXECUTE FUNCTION scf_approval_decision_four_eyes();
CREATE TRIGGER approval_case_preparer_fixed BEFORE UPDATE OF preparer_id ON approval_approvalcase
    FOR EACH ROW EXECUTE FUNCTION scf_approval_case_preparer_fixed();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the '%' placeholders belong to PL/pgSQL, not to the driver.
    schema_editor.execute(FUNCTIONS, params=None)
    schema_editor.execute(TRIGGERS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS approval_decision_four_eyes ON approval_approvaldecision;"
                          "DROP TRIGGER IF EXISTS approval_case_preparer_fixed ON approval_approvalcase;"
                          "DROP FUNCTION IF EXISTS scf_approval_decision_four_eyes();"
                          "DROP FUNCTION IF EXISTS scf_approval_case_preparer_fixed();", params=None)


class Migration(migrations.Migration):
    dependencies = [("approval", "0004_case_lender_parties")]

    operations = [migrations.RunPython(forwards, backwards)]
