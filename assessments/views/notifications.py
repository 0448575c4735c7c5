"""The inbox (a person's own notifications) and how they want to be e-mailed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..models import Notification, User
from ..selectors.notifications import notification_of, notifications_of
from ..services.notifications import notification_read, notifications_read_all, user_notifications_change

PAGE_SIZE = 25


class InboxFilter(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        choices=[("unread", "Unread only"), ("all", "All")],
        required=False,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label="Kind", choices=[("", "Every kind"), *Notification.Kind.choices], required=False)


@login_required
def inbox(request):
    form = InboxFilter(request.GET or None)
    show, kind = "all", ""
    if form.is_valid():
        show = form.cleaned_data["show"] or "all"
        kind = form.cleaned_data["kind"]
    page = Paginator(notifications_of(request.user, unread=show == "unread", kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = "&".join(f"{k}={v}" for k, v in (("show", show), ("kind", kind)) if v)
    return render(
        request,
        "notifications/inbox.html",
        {"form": form, "page": page, "show": show, "kind": kind, "query": query, "here": request.get_full_path()},
    )


def _own(request, pk):
    notification = notification_of(request.user, pk)
    if notification is None:
        raise Http404("No such notification.")
    return notification


def _back_to_inbox(request):
    """Where the inbox's forms came from (its filter and page), else the inbox."""
    back = request.POST.get("next", "")
    if back.startswith(reverse("inbox")) and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return redirect(back)
    return redirect("inbox")


@require_POST
@login_required
def notification_mark_read(request, pk):
    notification_read(notification=_own(request, pk))
    return _back_to_inbox(request)


@require_POST
@login_required
def notifications_mark_all_read(request):
    count = notifications_read_all(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return _back_to_inbox(request)


def _is_local_path(url):
    # A path on this site only: a notification's link never sends anyone elsewhere.
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


@login_required
def notification_open(request, pk):
    """Follow a notification's link, marking it read on the way."""
    notification = notification_read(notification=_own(request, pk))
    if not _is_local_path(notification.url):
        messages.error(request, "That notification's link does not lead to a page of this site, so it was not opened.")
        return redirect("inbox")
    return redirect(notification.url)


class NotificationPreferencesForm(forms.Form):
    email_notifications = forms.ChoiceField(
        label="E-mail me",
        choices=User.EmailChoice.choices,
        widget=forms.RadioSelect,
    )


@login_required
def notification_preferences(request):
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            if user_notifications_change(
                user=request.user, choice=form.cleaned_data["email_notifications"], request=request
            ):
                messages.success(request, "Saved: PRIAM now e-mails you as you chose.")
            return redirect("notification_preferences")
        status = 400
    else:
        form = NotificationPreferencesForm(initial={"email_notifications": request.user.email_notifications})
        status = 200
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "mandatory": MANDATORY_KINDS},
        status=status,
    )


# What is e-mailed at once whatever one chooses (the services mark these notifications mandatory).
MANDATORY_KINDS = [
    Notification.Kind.DECISION.label,
    Notification.Kind.APPROVAL_EXPIRING.label,
    Notification.Kind.APPROVAL_EXPIRED.label,
    Notification.Kind.CONFIRMATION_LAPSED.label,
]
