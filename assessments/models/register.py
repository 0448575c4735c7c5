"""The public register: what a project's coordinator chose to publish about its approvals."""

from django.conf import settings
from django.db import models

from .. import limits


class Publication(models.Model):
    """A project on the public register: nothing is public until its coordinator publishes it.

    The register's facts come from each approving record's immutable snapshot; this row holds
    only what the coordinator wrote for the public, so private text never reaches the register
    unless someone deliberately rewrote it in plain language.
    """

    project = models.OneToOneField("assessments.Project", on_delete=models.CASCADE, related_name="publication")
    lay_summary = models.TextField("lay summary", max_length=limits.LAY_SUMMARY)
    # The public wording of conditions: {record number: {condition number (str): wording}}.
    # Keyed by record, as a later record renumbers its conditions; a condition with no wording
    # here shows a neutral line, never its private text.
    condition_wording = models.JSONField(default=dict, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return f"Publication of {self.project}"
