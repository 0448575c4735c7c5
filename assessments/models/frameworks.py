from django.conf import settings
from django.db import models


class FrameworkVersion(models.Model):
    """An immutable, loaded framework version: its definition files, verbatim, and their hash.

    The engine rebuilds the framework from `texts`, so evaluations made today
    can be repeated exactly years later.
    """

    framework_id = models.SlugField(max_length=64)
    version = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    texts = models.JSONField(help_text="Definition files: name → content.")
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["framework_id", "-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["framework_id", "version"], name="one_framework_version")]

    def __str__(self):
        return f"{self.framework_id}@{self.version}"

    @property
    def spec(self):
        return f"{self.framework_id}@{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A loaded framework version cannot be changed; load a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A loaded framework version cannot be deleted.")
