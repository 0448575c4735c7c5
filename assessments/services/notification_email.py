"""Sending notifications by e-mail: a Celery task per committed batch, and the daily digest.

Plain text, subject prefixed with the instance's name, each link absolute (PRIAM_PUBLIC_URL), and a
footer saying where to change the choice. A row is claimed (marked sent) before its mail goes, and
given back if the server refuses it, so a retried or doubled task never mails anything twice.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from priam.scheduling import once_per_beat_slot

from ..display import readable_time
from ..models import Notification, User


def _subject(text: str) -> str:
    return f"[{settings.PRIAM_INSTANCE_NAME}] {text}"


def _link(path: str) -> str:
    return f"{settings.PRIAM_PUBLIC_URL}{path}"


def _footer(user: User, *, mandatory: bool = False) -> str:
    how = (
        "You receive each notification by e-mail as it happens."
        if user.email_notifications == User.EmailChoice.IMMEDIATE
        else "You receive one e-mail a day listing your notifications."
    )
    if mandatory:
        how = "Decisions, expiring approvals and lapsed confirmations are always e-mailed at once."
    return (
        "-- \n"
        f"{how}\n"
        f"Change how {settings.PRIAM_INSTANCE_NAME} e-mails you: {_link(reverse('notification_preferences'))}\n"
        f"Your inbox: {_link(reverse('inbox'))}\n"
    )


def notification_email_message(notification: Notification) -> EmailMessage:
    user = notification.recipient
    return EmailMessage(
        subject=_subject(notification.subject),
        body=f"{notification.body}\n\n{_link(notification.url)}\n\n{_footer(user, mandatory=notification.mandatory)}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def notifications_email(*, ids: list[int]) -> int:
    """E-mail the pending notifications among `ids`; returns how many were sent."""
    sent = 0
    with get_connection() as connection:
        for n in Notification.objects.filter(pk__in=ids, email=Notification.Email.PENDING).select_related("recipient"):
            if not n.recipient.email:
                Notification.objects.filter(pk=n.pk).update(email=Notification.Email.NONE)
                continue
            # Claim first: of two runs of the same batch only one mails each notification.
            if not Notification.objects.filter(pk=n.pk, email=Notification.Email.PENDING).update(
                email=Notification.Email.SENT, emailed_at=timezone.now()
            ):
                continue
            message = notification_email_message(n)
            message.connection = connection
            try:
                message.send()
            except Exception:
                Notification.objects.filter(pk=n.pk).update(email=Notification.Email.PENDING, emailed_at=None)
                raise
            sent += 1
    return sent


def notifications_digest_send(*, now: datetime | None = None) -> int:
    """One e-mail per person listing every notification kept for their digest (created up to `now`)
    and not yet e-mailed, which are then marked sent. Returns how many e-mails went; a second run
    finds nothing left to send."""
    now = now or timezone.now()
    waiting = (
        Notification.objects.filter(email=Notification.Email.DIGEST, emailed_at__isnull=True, created_at__lte=now)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for recipient_id in list(waiting):
        # One person at a time, under a lock on their rows: the mail and the marking commit together,
        # and a second run waiting on the lock then finds the rows sent.
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(no_key=True)
                .filter(
                    recipient_id=recipient_id,
                    email=Notification.Email.DIGEST,
                    emailed_at__isnull=True,
                    created_at__lte=now,
                )
                .select_related("recipient")
                .order_by("created_at", "pk")
            )
            if not rows:
                continue
            user = rows[0].recipient
            ids = [n.pk for n in rows]
            if not user.email:
                Notification.objects.filter(pk__in=ids).update(email=Notification.Email.NONE)
                continue
            digest_email_message(user, rows).send(fail_silently=False)
            Notification.objects.filter(pk__in=ids).update(email=Notification.Email.SENT, emailed_at=timezone.now())
            sent += 1
    return sent


def digest_email_message(user: User, rows: list[Notification]) -> EmailMessage:
    count = len(rows)
    items = "\n\n".join(
        "\n   ".join([f"{i}. {n.subject}", readable_time(n.created_at), *n.body.splitlines(), _link(n.url)])
        for i, n in enumerate(rows, 1)
    )
    return EmailMessage(
        subject=_subject(f"Your daily digest: {count} notification{'s' if count != 1 else ''}"),
        body=f"What happened in {settings.PRIAM_INSTANCE_NAME} for you since your last digest:\n\n{items}\n\n{_footer(user)}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def notification_email_task(self, ids):
    try:
        notifications_email(ids=ids)
    except OSError as error:  # the mail server is down: try again later
        raise self.retry(exc=error) from error


@shared_task(name="assessments.tasks.notifications_digest_task")
@once_per_beat_slot
def notifications_digest_task() -> int | None:
    """The daily digest; Celery beat runs it (CELERY_BEAT_SCHEDULE), or cron a management command."""
    return notifications_digest_send()
