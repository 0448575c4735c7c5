from django.db import migrations, models


class Migration(migrations.Migration):
    """Password resets by e-mail are audited."""

    dependencies = [
        ("assessments", "0009_amendments_referrals_deputies"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(choices=[('auth.login', 'Signed in'), ('auth.login_failed', 'Failed sign-in'), ('auth.locked_out', 'Locked out after repeated failed sign-ins'), ('auth.logout', 'Signed out'), ('auth.password_changed', 'Changed own password'), ('auth.password_reset_requested', 'Password reset link requested'), ('auth.password_reset', 'Password reset with an e-mailed link'), ('user.created', 'User created'), ('user.updated', 'User changed'), ('user.deleted', 'User deleted'), ('organisation.created', 'Organisation created'), ('organisation.updated', 'Organisation changed'), ('organisation.deleted', 'Organisation deleted'), ('panel.created', 'Panel created'), ('panel.updated', 'Panel changed'), ('panel.deleted', 'Panel deleted'), ('framework.loaded', 'Framework version loaded'), ('demo.loaded', 'Demo data loaded'), ('audit.exported', 'Audit events exported'), ('project.created', 'Project opened'), ('project.updated', 'Project details changed'), ('project.answers_saved', 'Project-scope answers saved'), ('project.framework_changed', 'Newer framework version applied'), ('assessment.answers_saved', 'Custodian answers saved'), ('assessment.submitted', 'Custodian assessment submitted'), ('assessment.confirmed', 'Project-scope answers confirmed by a custodian'), ('review.sent', 'Project sent to an approval panel'), ('review.conflict_declared', 'Conflict of interest declared'), ('review.voted', 'Panel member voted'), ('review.decided', 'Panel chair recorded the decision'), ('record.pdf_signed', 'Decision record PDF rendered and signed'), ('token.created', 'API token created'), ('token.revoked', 'API token revoked'), ('record.exported', 'Decision record PDF exported from the command line')], db_index=True, max_length=64),
        ),
    ]
