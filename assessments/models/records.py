"""Decision records: immutable snapshots, each with exactly one signed PDF."""

from django.db import models


class DecisionRecord(models.Model):
    number = models.CharField(max_length=20, unique=True)  # PRIAM-2026-0001
    project = models.ForeignKey("assessments.Project", on_delete=models.PROTECT, related_name="records")
    # The panel's decision, when a panel decided for some custodian; a record issued when every
    # custodian approved automatically or through its own approver has none.
    decision = models.OneToOneField(
        "assessments.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="record"
    )
    # approve, approve_with_conditions, reject or refer_back (the panel's vocabulary, for every record).
    outcome = models.CharField(
        max_length=30,
        default="",
        choices=[
            ("approve", "Approve"),
            ("approve_with_conditions", "Approve with conditions"),
            ("reject", "Reject"),
            ("refer_back", "Refer back to the custodians"),
        ],
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    audit_head_sequence = models.PositiveBigIntegerField()
    audit_head_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A decision record is never edited; a later decision supersedes it.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A decision record is never deleted.")


class RecordPdf(models.Model):
    """The signed PDF of a record, written once by the rendering task."""

    record = models.OneToOneField(DecisionRecord, on_delete=models.PROTECT, related_name="pdf")
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    signer = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A signed PDF is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A signed PDF is never deleted.")


class RecordPdfJob(models.Model):
    """Progress of making the PDF: the page polls this while the worker renders and signs."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering and signing"
        DONE = "done", "Signed"
        FAILED = "failed", "Failed"

    record = models.OneToOneField(DecisionRecord, on_delete=models.CASCADE, related_name="pdf_job")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
