"""Django's auth views, each in one transaction with the audit event it writes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
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


def admin_login(request):
    """Where the admin sends anyone it will not serve.

    The admin's own sign-in page would bypass the audited views, so it forwards to
    ours; but ours forwards a signed-in person straight back to ?next=/admin/, and
    someone who is not an administrator would bounce between the two forever.
    """
    if request.user.is_authenticated and not admin.site.has_permission(request):
        return render(request, "403.html", {"admin_refused": True}, status=403)
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("login") + (f"?{query}" if query else ""))
