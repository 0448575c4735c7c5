"""Documents attached to an answer or an obligation: the ethics letter, a DSPT certificate."""

from django.conf import settings
from django.db import models

from .. import limits


def evidence_path(instance, filename):
    # The stored name is the hash, never the uploader's name: no path tricks, no clashes.
    return f"evidence/{instance.project_id}/{instance.sha256}"


class Evidence(models.Model):
    """One uploaded file. Never changed: a corrected document is a new upload."""

    project = models.ForeignKey("assessments.Project", on_delete=models.CASCADE, related_name="evidence")
    obligation = models.ForeignKey(
        "assessments.Obligation", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    # For an answer: the question, and the custodian's assessment when the question is theirs
    # (blank for a project-scope question).
    question = models.CharField(max_length=limits.IDENTIFIER, blank=True)
    assessment = models.ForeignKey(
        "assessments.CustodianAssessment", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path, max_length=300)
    name = models.CharField(max_length=limits.NAME, help_text="The file's name as uploaded.")
    content_type = models.CharField(max_length=100, help_text="Detected from the content, not the name.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=limits.NAME, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.sha256[:12]})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Evidence is never changed; upload a new document.")
        super().save(*args, **kwargs)
