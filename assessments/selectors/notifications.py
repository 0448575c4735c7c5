"""Reads of a person's own notifications: nobody reads another's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Notification

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import User


def notifications_of(user: User, *, unread: bool = False, kind: str = "") -> QuerySet[Notification]:
    """The user's notifications, newest first; only the unread ones, or one kind, when asked."""
    found = Notification.objects.filter(recipient=user).select_related("project")
    if unread:
        found = found.filter(read_at__isnull=True)
    if kind:
        found = found.filter(kind=kind)
    return found.order_by("-created_at", "-pk")


def notification_of(user: User, pk: int) -> Notification | None:
    """One of the user's own notifications; another person's is as missing as one that never was."""
    return Notification.objects.filter(recipient=user, pk=pk).first()


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
