"""AuditEvent.action loses its choices: AuditAction validates and labels actions in code,
so adding an action no longer needs a migration. The column itself is unchanged."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0013_state_after_issue_10"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(db_index=True, max_length=64),
        ),
    ]
