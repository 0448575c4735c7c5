"""Django's auth views, each in one transaction with the audit event it writes."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from ..ratelimit import allow, client_key
from ..services.accounts import user_password_changed, user_password_reset, user_password_reset_requested


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
        user_password_changed(user=self.request.user, request=self.request)
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


RESET_REFUSED = (
    "Too many password-reset requests from your address or for this e-mail address. "
    "Wait an hour and try again, or ask an administrator of this PRIAM."
)


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        # After commit, like every side effect: a request that fails sends nothing.
        send = super().send_mail
        transaction.on_commit(lambda: send(*args, **kwargs))


@method_decorator(transaction.atomic, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link to the accounts using the address; the page reads the same whether any does.

    Limited per client address and per e-mail address, so that nobody can use it to
    flood an inbox or to probe many addresses; the limit reads the same either way too.
    """

    form_class = PasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        rate = settings.PRIAM_PASSWORD_RESET_RATE
        # The address's limit first: one client over its limit cannot use up anyone's e-mail limit.
        if not (
            allow(f"password-reset:address:{client_key(self.request)}", **rate)
            and allow(f"password-reset:email:{email.strip().lower()}", **rate)
        ):
            form.add_error("email", RESET_REFUSED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        user = next(iter(form.get_users(email)), None)
        user_password_reset_requested(email=email, user=user, request=self.request)
        return super().form_valid(form)


@method_decorator(transaction.atomic, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_reset(user=form.user, request=self.request)
        return response
