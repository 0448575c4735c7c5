"""Audit sign-ins, sign-outs and failures. The views run these inside their transaction."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .middleware import mark_session_active
from .models import AuditAction
from .services.audit import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.AUTH_LOGIN, actor=user, obj=user, request=request)
    # Signing in is activity: the session is being written now anyway, so the first page after it need not.
    if request is not None and hasattr(request, "session"):
        mark_session_active(request.session)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.AUTH_LOGOUT, actor=user, obj=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`.
    audit_record(
        action=AuditAction.AUTH_LOGIN_FAILED,
        request=request,
        object_type="user",
        data={"username": credentials.get("username", "")},
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        action=AuditAction.AUTH_LOCKED_OUT,
        request=request,
        object_type="user",
        data={"username": username or "", "ip_address": ip_address},
    )
