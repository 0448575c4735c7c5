"""Conversations on a project and on single questions, between everyone working on it."""

from django.conf import settings
from django.db import models

from .. import limits


class Comment(models.Model):
    """One comment. Never edited: a correction is another comment."""

    project = models.ForeignKey("assessments.Project", on_delete=models.CASCADE, related_name="comments")
    # Blank: the project's own thread; else the question the thread is about.
    question = models.CharField(max_length=limits.IDENTIFIER, blank=True)
    # For a custodian-scope question: whose answer (each custodian answers it for its own data).
    assessment = models.ForeignKey(
        "assessments.CustodianAssessment", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the author spoke as ("North Thames GP data", "Coordinator", "National Data Access Panel").
    role = models.CharField(max_length=limits.NAME, blank=True)
    text = models.TextField(max_length=limits.LONG_TEXT)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["project", "question"])]

    def __str__(self):
        return f"{self.author} on {self.project}{' ' + self.question if self.question else ''}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A comment is never edited; add another.")
        super().save(*args, **kwargs)
