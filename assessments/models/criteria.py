"""A custodian organisation's own criteria (stricter rules) and risk appetite (its routes).

Both are versioned the same way: one editable draft per organisation, and published
versions that never change, numbered 1, 2, … and identified by the SHA-256 of their
content, so that a decision record can name exactly what was applied.
"""

from django.conf import settings
from django.db import models

from .. import limits


class _Versioned(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    organisation = models.ForeignKey("assessments.Organisation", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.PositiveIntegerField(null=True, blank=True, help_text="Set when published: 1, 2, …")
    sha256 = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True, max_length=limits.NOTE, help_text="What changed, in the author's words.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    def save(self, *args, **kwargs):
        # A published version is what decisions cite: it is written once, when it is published.
        if not self._state.adding and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.PUBLISHED:
                raise PermissionError("A published version is never edited; publish a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED:
            raise PermissionError("A published version is never deleted.")
        super().delete(*args, **kwargs)


class CriteriaVersion(_Versioned):
    """Extra rules in the framework's condition language; they can only make a result stricter."""

    organisation = models.ForeignKey(
        "assessments.Organisation", on_delete=models.PROTECT, related_name="criteria_versions"
    )
    framework_version = models.ForeignKey(
        "assessments.FrameworkVersion", on_delete=models.PROTECT, related_name="criteria_versions"
    )
    text = models.TextField(max_length=limits.DOCUMENT, help_text="The rules as YAML, as their author wrote them.")
    # The validated set ({"id", "version", "rules"}) the engine compiles; empty while a draft is invalid.
    data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(status="draft"), name="one_criteria_draft_per_org"
            ),
            models.UniqueConstraint(fields=["organisation", "number"], name="one_criteria_number_per_org"),
        ]

    def __str__(self):
        return f"{self.organisation} criteria {'draft' if self.is_draft else f'v{self.number}'}"


class AppetiteVersion(_Versioned):
    """Which route each overall tier takes for this custodian, and its per-safe limits."""

    organisation = models.ForeignKey(
        "assessments.Organisation", on_delete=models.PROTECT, related_name="appetite_versions"
    )
    data = models.JSONField(help_text='{"routes": [{"up_to": 1, "route": "automatic"}, …], "otherwise": …}')

    class Meta:
        ordering = ["organisation__name", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(status="draft"), name="one_appetite_draft_per_org"
            ),
            models.UniqueConstraint(fields=["organisation", "number"], name="one_appetite_number_per_org"),
        ]

    def __str__(self):
        return f"{self.organisation} appetite {'draft' if self.is_draft else f'v{self.number}'}"
