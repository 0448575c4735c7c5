"""What publishing a criteria or appetite draft, or moving projects to a new framework version,
would change: a preview, computed in the background.

Not an audit event and not a record: a preview reads evaluations and changes nothing, so it is
kept like an export's progress row, for the criteria managers (or administrators) who asked for it.
"""

from django.conf import settings
from django.db import models


class ImpactPreview(models.Model):
    class Kind(models.TextChoices):
        CRITERIA = "criteria", "Criteria draft"
        APPETITE = "appetite", "Risk appetite draft"
        FRAMEWORK = "framework", "New framework version"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    # None for a framework preview: it spans every custodian's projects, for administrators.
    organisation = models.ForeignKey(
        "assessments.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The draft as it was when the preview was asked for: the draft may change while it runs.
    draft_data = models.JSONField(null=True, blank=True)
    draft_updated_at = models.DateTimeField(null=True, blank=True)
    # Criteria target one framework version; an appetite applies under any (null); a framework
    # preview re-scores under this version.
    framework_version = models.ForeignKey(
        "assessments.FrameworkVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # How many chunks the evaluations to re-score were split into (ImpactChunk): workers re-score
    # them in parallel, and the one that finishes the last merges their results.
    chunks = models.PositiveIntegerField(default=0)
    # {"counts": {...}, "changes": [{project, title, revision, before, after, ...}], "skipped": [...]}
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="framework", organisation__isnull=True, framework_version__isnull=False)
                    | (
                        ~models.Q(kind="framework")
                        & models.Q(organisation__isnull=False, draft_data__isnull=False, draft_updated_at__isnull=False)
                    )
                ),
                name="impact_preview_draft_or_framework",
            )
        ]

    def __str__(self):
        return f"{self.organisation or self.framework_version} {self.kind} impact preview {self.pk}"

    @property
    def percent(self):
        return 100 if not self.total else min(100, round(100 * self.done / self.total))

    @property
    def pending(self):
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class ImpactChunk(models.Model):
    """A slice of a preview's evaluations, re-scored by one task. Its ids are fixed when the
    preview is dispatched, so a redelivered task (or the dispatch itself, redelivered) re-scores
    the same evaluations; ``finished_at`` set under the preview's row lock makes it count once.
    Deleted once the preview is done (its result is merged into the preview's)."""

    preview = models.ForeignKey(ImpactPreview, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    # Evaluation ids, in project order.
    ids = models.JSONField()
    # As ImpactPreview.result, for these evaluations only; null until finished.
    result = models.JSONField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["preview", "number"]
        constraints = [models.UniqueConstraint(fields=["preview", "number"], name="impact_chunk_number_once")]

    def __str__(self):
        return f"chunk {self.number} of impact preview {self.preview_id}"
