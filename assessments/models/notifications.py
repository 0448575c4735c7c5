"""What PRIAM tells people: an in-app inbox, and e-mail now or in a daily digest."""

from django.conf import settings
from django.db import models

from .. import limits


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSESSMENT_WAITING = "assessment_waiting", "An assessment waits for you"
        CONFIRMATION_LAPSED = "confirmation_lapsed", "Your confirmation lapsed"
        SIGNOFF_WAITING = "signoff_waiting", "A sign-off waits for you"
        VOTE_WAITING = "vote_waiting", "A panel review waits for your vote"
        REFERRAL = "referral", "The panel referred a project back with questions"
        DECISION = "decision", "A decision was issued"
        OBLIGATION_DUE = "obligation_due", "An obligation is due soon"
        OBLIGATION_OVERDUE = "obligation_overdue", "An obligation is overdue"
        OBLIGATION_SIGNED_OFF = "obligation_signed_off", "An obligation was signed off"
        EVIDENCE_SUBMITTED = "evidence_submitted", "Evidence waits for your check"
        APPROVAL_EXPIRING = "approval_expiring", "An approval expires soon"
        APPROVAL_EXPIRED = "approval_expired", "An approval expired"
        APPROVAL_WITHDRAWN = "approval_withdrawn", "An approval was withdrawn"
        MENTION = "mention", "You were mentioned in a comment"
        COMMENT = "comment", "A new comment"

    class Email(models.TextChoices):
        PENDING = "pending", "To be e-mailed"
        SENT = "sent", "E-mailed"
        DIGEST = "digest", "For the daily digest"
        NONE = "none", "Not e-mailed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    project = models.ForeignKey(
        "assessments.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=limits.NAME)
    body = models.TextField(max_length=limits.LONG_TEXT)
    url = models.CharField(max_length=300, help_text="Where to act: a path on this site.")
    # Mandatory ones are e-mailed at once whatever the recipient chose (a decision, an expiry).
    mandatory = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.PENDING)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"]), models.Index(fields=["email", "created_at"])]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"
