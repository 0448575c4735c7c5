"""Account events that Django's own auth views perform; here they get their audit events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import AuditAction
from .audit import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import User


def user_password_changed(*, user: User, request: HttpRequest | None = None) -> None:
    audit_record(action=AuditAction.AUTH_PASSWORD_CHANGED, actor=user, obj=user, request=request)


def user_password_reset_requested(*, email: str, user: User | None = None, request: HttpRequest | None = None) -> None:
    """`user` is the account using the address, if any; the event is written either way."""
    audit_record(
        action=AuditAction.AUTH_PASSWORD_RESET_REQUESTED,
        obj=user,
        object_type="user",
        request=request,
        data={"email": email},
    )


def user_password_reset(*, user: User, request: HttpRequest | None = None) -> None:
    audit_record(action=AuditAction.AUTH_PASSWORD_RESET, actor=user, obj=user, request=request)
