"""Telling people: one notification row per recipient (the inbox), e-mailed after the commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from ..models import Notification

if TYPE_CHECKING:
    from ..models import Project, User


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    subject: str,
    body: str,
    url: str,
    project: Project | None = None,
    mandatory: bool = False,
    exclude: User | None = None,
) -> list[Notification]:
    """Notify each recipient once (the actor, `exclude`, is not told of their own action).

    Call inside the transaction that made the change: the rows commit with it, and the e-mail
    task is queued only once it has committed."""
    Notification.Kind(kind)  # an unknown kind is a programming error
    people = {u.pk: u for u in recipients if u.is_active and (exclude is None or u.pk != exclude.pk)}
    made = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            project=project,
            subject=subject[:200],
            body=body,
            url=url,
            mandatory=mandatory,
            email=(
                Notification.Email.PENDING
                if mandatory or user.email_notifications == user.EmailChoice.IMMEDIATE
                else Notification.Email.DIGEST
            ),
        )
        for user in people.values()
    )
    ids = [n.pk for n in made if n.email == Notification.Email.PENDING]
    if ids:
        from .notification_email import notification_email_task

        transaction.on_commit(lambda: notification_email_task.delay(ids), robust=True)
    return made
