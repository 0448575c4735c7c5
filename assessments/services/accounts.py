"""Account events that Django's own auth views perform; here they get their audit events."""

from ..models import AuditAction
from .audit import audit_record


def user_password_changed(*, user, request=None):
    audit_record(action=AuditAction.AUTH_PASSWORD_CHANGED, actor=user, obj=user, request=request)


def user_password_reset_requested(*, email, user=None, request=None):
    """`user` is the account using the address, if any; the event is written either way."""
    audit_record(
        action=AuditAction.AUTH_PASSWORD_RESET_REQUESTED,
        obj=user,
        object_type="user",
        request=request,
        data={"email": email},
    )


def user_password_reset(*, user, request=None):
    audit_record(action=AuditAction.AUTH_PASSWORD_RESET, actor=user, obj=user, request=request)
