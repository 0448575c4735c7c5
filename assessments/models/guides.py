from django.conf import settings
from django.db import models


class FrameworkGuide(models.Model):
    """The texts that explain a framework version (its guide: phases in words, labels, glossary,
    required controls), stored beside the version rather than in it.

    The version's SHA-256, which records cite, covers only its questions and rules, so a guide
    can improve without touching it: each change loaded is a new number for the same version,
    and a stored guide never changes (a record can name the one it showed by number and hash).
    """

    framework_version = models.ForeignKey(
        "assessments.FrameworkVersion", on_delete=models.PROTECT, related_name="guides"
    )
    number = models.PositiveIntegerField(help_text="1, 2, … per framework version; the highest is shown.")
    data = models.JSONField(help_text="The validated guide the engine reads.")
    text = models.TextField(blank=True, help_text="guide/guide.yaml as loaded, comments included.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the guide's canonical JSON.")
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["framework_version", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework_version", "number"], name="one_guide_number_per_version")
        ]

    def __str__(self):
        return f"{self.framework_version} guide {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A loaded guide cannot be changed; load the new text as a new guide.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A loaded guide cannot be deleted.")
