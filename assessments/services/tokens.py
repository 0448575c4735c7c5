"""Personal API tokens: made, shown once, stored hashed, revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import ApiToken, AuditAction
from .audit import audit_record

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest

    from ..models import User

TOKEN_PREFIX = "priam_"
# last_used_at is shown to the token's owner to the minute; recording every call
# would make each API read a database write (on SQLite, a lock every writer queues on).
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(
    *, user: User, name: str, read_only: bool = False, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Returns (ApiToken, the token itself). The token is not stored and cannot be shown again."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user,
            name=name.strip() or "API token",
            prefix=prefix,
            token_sha256=token_hash(token),
            read_only=read_only,
        )
        audit_record(
            action=AuditAction.TOKEN_CREATED,
            actor=user,
            obj=api_token,
            request=request,
            data={"name": api_token.name, "prefix": prefix, "read_only": read_only},
        )
    return api_token, token


def token_revoke(*, api_token: ApiToken, actor: User, request: HttpRequest | None = None) -> ApiToken:
    with transaction.atomic():
        api_token = ApiToken.objects.select_for_update(no_key=True).get(pk=api_token.pk)
        if api_token.revoked_at is not None:
            return api_token
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=actor,
            obj=api_token,
            request=request,
            data={"name": api_token.name, "prefix": api_token.prefix},
        )
    return api_token


def token_mark_used(*, api_token: ApiToken, now: datetime | None = None) -> bool:
    """Record the token's use unless that was done within the last minute; True if it wrote.

    The condition is in the UPDATE too, so concurrent requests that all read an old
    time write once between them.
    """
    now = now or timezone.now()
    cutoff = now - LAST_USED_PRECISION
    if api_token.last_used_at is not None and api_token.last_used_at > cutoff:
        return False
    written = (
        ApiToken.objects.filter(pk=api_token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff))
        .update(last_used_at=now)
    )
    if written:
        api_token.last_used_at = now
    return bool(written)


def token_authenticate(token: str) -> ApiToken | None:
    """The active ApiToken for this token string, or None. Records when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(token_sha256=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_token is not None:
        # Usage bookkeeping, not a state change anyone acts on: no audit event.
        token_mark_used(api_token=api_token)
    return api_token
