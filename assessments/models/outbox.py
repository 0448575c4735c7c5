"""Work queued for the workers, written in the same transaction as the change that asks for it.

A broker outage (Redis stopped) must not lose work: the row commits with the change, and a
relay publishes whatever the broker refused once it is back.
"""

from django.db import models


class OutboxMessage(models.Model):
    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        # The relay reads the pending ones oldest first; the index stays small as sent rows leave it.
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending_idx", condition=models.Q(sent_at__isnull=True))
        ]

    def __str__(self):
        state = "sent" if self.sent_at else "pending"
        return f"{self.task}{tuple(self.args)} ({state})"
