"""Every data owner signs off: one sign-off per custodian per evaluated revision.

The route comes from the custodian's risk appetite (custodian-criteria spec section 2);
who signs depends on it: nobody for `automatic` and `decline` (recorded at once, naming
the appetite version), the custodian's approver for `custodian_review`, the approval
panel for `panel`.
"""

from django.conf import settings
from django.db import models

from .. import limits


class SignOff(models.Model):
    class Route(models.TextChoices):
        AUTOMATIC = "automatic", "Approved automatically"
        CUSTODIAN_REVIEW = "custodian_review", "The custodian's approver reviews"
        PANEL = "panel", "The approval panel decides"
        DECLINE = "decline", "Declined by the custodian's appetite"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
        DECLINED = "declined", "Declined"

    project = models.ForeignKey("assessments.Project", on_delete=models.CASCADE, related_name="sign_offs")
    evaluation = models.ForeignKey("assessments.Evaluation", on_delete=models.PROTECT, related_name="sign_offs")
    organisation = models.ForeignKey("assessments.Organisation", on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    route = models.CharField(max_length=20, choices=Route.choices)
    # The engine's reason for the route ({"text", "step", "over_limits", "appetite": {...}}).
    route_reason = models.JSONField(default=dict)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    conditions = models.JSONField(default=list, blank=True, help_text='[{"text": ..., "blocking": ...}]')
    # The panel decision that signed off for this custodian, when its route was the panel.
    decision = models.ForeignKey(
        "assessments.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="sign_offs"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "organisation"], name="one_sign_off_per_custodian"),
        ]

    def __str__(self):
        return f"{self.organisation} on {self.project} r{self.revision}: {self.get_status_display()}"

    @property
    def is_final(self):
        return self.status != self.Status.PENDING

    @property
    def is_approval(self):
        return self.status in (self.Status.APPROVED, self.Status.APPROVED_WITH_CONDITIONS)
