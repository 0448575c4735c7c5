"""Django's auth views, each in one transaction with the audit event it writes."""

from django.contrib.auth import views as auth_views
from django.db import transaction
from django.utils.decorators import method_decorator

from ..models import AuditAction
from ..services.audit import audit_record


@method_decorator(transaction.atomic, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


@method_decorator(transaction.atomic, name="dispatch")
class LogoutView(auth_views.LogoutView):
    pass


@method_decorator(transaction.atomic, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.AUTH_PASSWORD_CHANGED,
            actor=self.request.user,
            obj=self.request.user,
            request=self.request,
        )
        return response
