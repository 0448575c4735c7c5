"""After approval: the approval a record grants, and the obligations its conditions become."""

from django.conf import settings
from django.db import models

from .. import limits


class Approval(models.Model):
    """What an approving decision record grants: access from its issue until it expires.

    It ends at the project's planned end, and never later than the framework's limit for the
    approved tier (the version's guide says which); a later record replaces it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "In force"
        EXPIRED = "expired", "Expired"
        REPLACED = "replaced", "Replaced by a later decision"
        WITHDRAWN = "withdrawn", "Withdrawn"

    record = models.OneToOneField("assessments.DecisionRecord", on_delete=models.PROTECT, related_name="approval")
    project = models.ForeignKey("assessments.Project", on_delete=models.CASCADE, related_name="approvals")
    valid_from = models.DateField()
    expires_on = models.DateField(help_text="The last day the approval covers.")
    # Why it ends then: {"text": ..., "months": 12 or None}.
    expiry_reason = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The reminders already sent, as days before expiry ([60, 14]): the scheduled job sends each once.
    reminders_sent = models.JSONField(default=list, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-valid_from", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(status="active"), name="one_active_approval_per_project"
            )
        ]

    def __str__(self):
        return f"{self.project} until {self.expires_on}"


class Obligation(models.Model):
    """One condition of an approval, tracked until met or waived.

    History lives in the audit trail (object_type "obligation"), written with every change.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EVIDENCE_SUBMITTED = "evidence_submitted", "Evidence submitted"
        MET = "met", "Met"
        OVERDUE = "overdue", "Overdue"
        WAIVED = "waived", "Waived"

    class Source(models.TextChoices):
        FRAMEWORK = "framework", "The framework"
        CRITERIA = "criteria", "A custodian's criteria"
        APPROVER = "approver", "A custodian's approver"
        PANEL = "panel", "The approval panel"

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="obligations")
    project = models.ForeignKey("assessments.Project", on_delete=models.CASCADE, related_name="obligations")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=limits.CONDITION)
    rule = models.CharField(max_length=limits.IDENTIFIER, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    # Blocking: must be met before access starts; otherwise it has a due date.
    blocking = models.BooleanField(default=False)
    due_on = models.DateField(null=True, blank=True)
    # Who must meet it: a custodian organisation, or (blank) the project's coordinator.
    owner_organisation = models.ForeignKey(
        "assessments.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The custodian that signs it off as met; blank: any of the project's custodians (the
    # framework's and the panel's conditions belong to no one custodian).
    checker = models.ForeignKey(
        "assessments.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="checked_obligations"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    status_changed_at = models.DateTimeField()
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=limits.NOTE, help_text="Why it was waived, or the sign-off note.")
    reminded_on = models.DateField(null=True, blank=True, help_text="When the due-soon reminder went out.")

    class Meta:
        ordering = ["approval", "number"]
        constraints = [models.UniqueConstraint(fields=["approval", "number"], name="one_obligation_number")]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return f"Obligation {self.number} of {self.project}: {self.text[:40]}"

    @property
    def is_settled(self):
        return self.status in (self.Status.MET, self.Status.WAIVED)
