"""On PostgreSQL, the database itself refuses to update or delete audit events.

(Not on SQLite: Django's test flush deletes rows there, and the model and
queryset already refuse. TRUNCATE is left possible for the same reason on
PostgreSQL; verify_audit detects a truncated chain against its head.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION priam_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused on event %', TG_OP, OLD.sequence
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER priam_audit_append_only
    BEFORE UPDATE OR DELETE ON assessments_auditevent
    FOR EACH ROW EXECUTE FUNCTION priam_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS priam_audit_append_only ON assessments_auditevent;
DROP FUNCTION IF EXISTS priam_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def create_head(apps, schema_editor):
    apps.get_model("assessments", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
