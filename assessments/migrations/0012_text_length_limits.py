# Length limits on free text (assessments/limits.py). Nothing changes in the database:
# TextField max_length is enforced by forms, serializers and the services, not by SQL.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0011_audit_chain_checks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="project", name="summary", field=models.TextField(max_length=5000),
        ),
        migrations.AlterField(
            model_name="project", name="purpose", field=models.TextField(max_length=5000),
        ),
        migrations.AlterField(
            model_name="project",
            name="public_benefit",
            field=models.TextField(max_length=5000, verbose_name="Public-benefit statement"),
        ),
        migrations.AlterField(
            model_name="panel", name="description", field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="panelreview",
            name="note",
            field=models.TextField(blank=True, help_text="The coordinator's covering note to the panel.", max_length=2000),
        ),
        migrations.AlterField(
            model_name="conflictdeclaration", name="details", field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="vote", name="rationale", field=models.TextField(max_length=5000),
        ),
        migrations.AlterField(
            model_name="decision", name="rationale", field=models.TextField(max_length=5000),
        ),
        migrations.AlterField(
            model_name="decision", name="dissent", field=models.TextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name="decision",
            name="questions",
            field=models.TextField(
                blank=True, help_text="For a referral: the panel's questions to the custodians.", max_length=5000
            ),
        ),
    ]
