"""The tamper-evident audit trail: an append-only, SHA-256 hash-chained event log."""

import json

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """Every action PRIAM audits: audit_record() refuses any other, and pages show these labels.

    A new action is one line here plus its row in tests/audit/test_actions.py. It needs
    no migration: AuditEvent.action has no choices, as old events may carry actions
    this list no longer has.
    """

    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Failed sign-in"
    AUTH_LOCKED_OUT = "auth.locked_out", "Locked out after repeated failed sign-ins"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    AUTH_PASSWORD_CHANGED = "auth.password_changed", "Changed own password"
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested", "Password reset link requested"
    AUTH_PASSWORD_RESET = "auth.password_reset", "Password reset with an e-mailed link"
    USER_CREATED = "user.created", "User created"
    USER_UPDATED = "user.updated", "User changed"
    USER_DELETED = "user.deleted", "User deleted"
    USER_NOTIFICATIONS_CHANGED = "user.notifications_changed", "Changed own e-mail notification preference"
    ORGANISATION_CREATED = "organisation.created", "Organisation created"
    ORGANISATION_UPDATED = "organisation.updated", "Organisation changed"
    ORGANISATION_DELETED = "organisation.deleted", "Organisation deleted"
    PANEL_CREATED = "panel.created", "Panel created"
    PANEL_UPDATED = "panel.updated", "Panel changed"
    PANEL_DELETED = "panel.deleted", "Panel deleted"
    FRAMEWORK_LOADED = "framework.loaded", "Framework version loaded"
    FRAMEWORK_GUIDE_LOADED = "framework.guide_loaded", "Framework guide (explanatory texts) loaded"
    DEMO_LOADED = "demo.loaded", "Demo data loaded"
    AUDIT_EXPORTED = "audit.exported", "Audit events exported"
    PROJECT_CREATED = "project.created", "Project opened"
    PROJECT_UPDATED = "project.updated", "Project details changed"
    PROJECT_ANSWERS_SAVED = "project.answers_saved", "Project-scope answers saved"
    PROJECT_FRAMEWORK_CHANGED = "project.framework_changed", "Newer framework version applied"
    ASSESSMENT_ANSWERS_SAVED = "assessment.answers_saved", "Custodian answers saved"
    ASSESSMENT_SUBMITTED = "assessment.submitted", "Custodian assessment submitted"
    ASSESSMENT_CONFIRMED = "assessment.confirmed", "Project-scope answers confirmed by a custodian"
    PROJECT_AMENDMENT_REQUESTED = "project.amendment_requested", "Amendment of a decided project requested"
    REFERRAL_REPLIED = "referral.replied", "Reply to a panel's referral question"
    REVIEW_SENT = "review.sent", "Project sent to an approval panel"
    REVIEW_CONFLICT_DECLARED = "review.conflict_declared", "Conflict of interest declared"
    REVIEW_VOTED = "review.voted", "Panel member voted"
    REVIEW_DECIDED = "review.decided", "Panel chair recorded the decision"
    RECORD_PDF_SIGNED = "record.pdf_signed", "Decision record PDF rendered and signed"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    RECORD_EXPORTED = "record.exported", "Decision record PDF exported from the command line"
    RECORD_CRATE_EXPORTED = "record.crate_exported", "Decision record exported as a Five Safes RO-Crate"
    CRITERIA_DRAFT_SAVED = "criteria.draft_saved", "Custodian criteria draft saved"
    CRITERIA_PUBLISHED = "criteria.published", "Custodian criteria version published"
    APPETITE_DRAFT_SAVED = "appetite.draft_saved", "Risk appetite draft saved"
    APPETITE_PUBLISHED = "appetite.published", "Risk appetite version published"
    SIGNOFF_RECORDED = "signoff.recorded", "Custodian's route recorded (automatic approval or decline)"
    SIGNOFF_DECIDED = "signoff.decided", "Custodian's approver signed off"
    APPROVAL_GRANTED = "approval.granted", "Approval granted, its conditions tracked as obligations"
    APPROVAL_REMINDED = "approval.reminded", "Reminder sent that an approval expires soon"
    APPROVAL_EXPIRED = "approval.expired", "Approval expired"
    PROJECT_RENEWAL_REQUESTED = "project.renewal_requested", "Renewal of an approval requested"
    OBLIGATION_EVIDENCE_SUBMITTED = "obligation.evidence_submitted", "Evidence submitted for an obligation"
    OBLIGATION_MET = "obligation.met", "Obligation signed off as met"
    OBLIGATION_WAIVED = "obligation.waived", "Obligation waived"
    OBLIGATION_RETURNED = "obligation.returned", "Obligation's evidence returned as not enough"
    OBLIGATION_DUE_CHANGED = "obligation.due_changed", "Obligation's due date moved"
    OBLIGATION_REMINDED = "obligation.reminded", "Reminder sent that an obligation is due soon"
    OBLIGATION_OVERDUE = "obligation.overdue", "Obligation became overdue"
    EVIDENCE_UPLOADED = "evidence.uploaded", "Evidence document uploaded"
    EVIDENCE_DOWNLOADED = "evidence.downloaded", "Evidence document downloaded"
    COMMENT_POSTED = "comment.posted", "Comment posted on a project or one of its questions"
    PROJECT_PUBLISHED = "project.published", "Project published on the public register"
    PROJECT_PUBLICATION_UPDATED = "project.publication_updated", "Project's public register entry reworded"
    APPROVAL_WITHDRAWN = "approval.withdrawn", "Approval withdrawn by a custodian's approver or an administrator"
    PEER_CREATED = "peer.created", "Trusted peer instance added"
    PEER_UPDATED = "peer.updated", "Trusted peer instance changed"
    PEER_DELETED = "peer.deleted", "Trusted peer instance deleted"
    CRATE_RECEIVED = "crate.received", "Assessment received from a trusted peer (RO-Crate imported)"
    PROJECT_CREATED_FROM_RECEIVED = "project.created_from_received", "Project opened from a received assessment"

    @classmethod
    def label_of(cls, value):
        """The label of an action value; an action no longer listed shows as its value."""
        try:
            return cls(value).label
        except ValueError:
            return value


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be updated.")

    def delete(self):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """One audited action. Write only through services.audit.audit_record()."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    timestamp = models.DateTimeField(db_index=True, editable=False)
    # Ids rather than foreign keys: deleting a user or organisation must not
    # touch the history, and the username is kept as it was at the time.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=150, help_text='Username, or "system".')
    # Validated against AuditAction by audit_record(), not by choices, so that a new
    # action needs no migration.
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    project_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    # Canonical JSON text, hashed exactly as stored.
    data_json = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["action", "timestamp"])]

    def __str__(self):
        return f"#{self.sequence} {self.action} by {self.actor}"

    @property
    def data(self):
        return json.loads(self.data_json)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")


class AuditChainHead(models.Model):
    """The single row appenders lock, so that concurrent writers cannot fork the chain."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class AuditExport(models.Model):
    """A large export made in the background; small ones stream straight to the browser."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSONL = "jsonl", "JSON Lines"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    requested_at = models.DateTimeField(auto_now_add=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveBigIntegerField(default=0)
    done = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    @property
    def percent(self):
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class AuditChainCheck(models.Model):
    """The outcome of one scheduled verification of the chain, shown to auditors on /audit/.

    Not an audit event: an event would extend the very chain being checked, and an
    hourly check would bury the trail's real actions under its own entries.
    """

    checked_at = models.DateTimeField(db_index=True)
    intact = models.BooleanField()
    events_checked = models.PositiveBigIntegerField(default=0)
    records_checked = models.PositiveIntegerField(default=0)
    head_sequence = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    first_bad_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    bad_record = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]

    def __str__(self):
        return f"{'intact' if self.intact else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M}"
