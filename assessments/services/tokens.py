"""Personal API tokens: made, shown once, stored hashed, revoked."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from ..models import ApiToken, AuditAction
from .audit import audit_record

TOKEN_PREFIX = "priam_"


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(*, user, name, read_only=False, request=None):
    """Returns (ApiToken, the token itself). The token is not stored and cannot be shown again."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user, name=name.strip() or "API token", prefix=prefix, token_sha256=token_hash(token),
            read_only=read_only,
        )
        audit_record(
            action=AuditAction.TOKEN_CREATED, actor=user, obj=api_token, request=request,
            data={"name": api_token.name, "prefix": prefix, "read_only": read_only},
        )
    return api_token, token


def token_revoke(*, api_token, actor, request=None):
    with transaction.atomic():
        api_token = ApiToken.objects.select_for_update().get(pk=api_token.pk)
        if api_token.revoked_at is not None:
            return api_token
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.TOKEN_REVOKED, actor=actor, obj=api_token, request=request,
            data={"name": api_token.name, "prefix": api_token.prefix},
        )
    return api_token


def token_authenticate(token):
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
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token
