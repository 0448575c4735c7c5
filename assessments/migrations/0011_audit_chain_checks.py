from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0010_password_reset_actions"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(db_index=True)),
                ("intact", models.BooleanField()),
                ("events_checked", models.PositiveBigIntegerField(default=0)),
                ("records_checked", models.PositiveIntegerField(default=0)),
                ("head_sequence", models.PositiveBigIntegerField(default=0)),
                ("head_hash", models.CharField(blank=True, max_length=64)),
                ("first_bad_sequence", models.PositiveBigIntegerField(blank=True, null=True)),
                ("bad_record", models.CharField(blank=True, max_length=20)),
                ("message", models.TextField(blank=True)),
            ],
            options={"ordering": ["-checked_at", "-pk"]},
        ),
    ]
