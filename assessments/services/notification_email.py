"""Sending notifications by e-mail: a Celery task per committed batch, and the daily digest."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from ..models import Notification


def notifications_email(*, ids: list[int]) -> int:
    """E-mail the pending notifications among `ids`; returns how many were sent."""
    sent = 0
    for n in Notification.objects.filter(pk__in=ids, email=Notification.Email.PENDING).select_related("recipient"):
        if not n.recipient.email:
            Notification.objects.filter(pk=n.pk).update(email=Notification.Email.NONE)
            continue
        send_mail(
            n.subject,
            f"{n.body}\n\n{settings.PRIAM_PUBLIC_URL}{n.url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [n.recipient.email],
        )
        # Conditional update: a second run of the same batch sends nothing again.
        sent += Notification.objects.filter(pk=n.pk, email=Notification.Email.PENDING).update(
            email=Notification.Email.SENT, emailed_at=timezone.now()
        )
    return sent


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def notification_email_task(self, ids):
    try:
        notifications_email(ids=ids)
    except OSError as error:  # the mail server is down: try again later
        raise self.retry(exc=error) from error
