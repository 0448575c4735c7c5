"""The profile page's API tokens: create (shown once), see when each was last used, revoke."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import ratelimit
from ..selectors.tokens import token_of, tokens_of
from ..services.tokens import token_create, token_revoke

# The new token waits in the session for the page the creation redirects to, which pops it:
# shown once, and reloading that page cannot post the form again.
NEW_TOKEN_SESSION_KEY = "priam_new_token"


class TokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="What the token is for, e.g. “TRE portal”.")
    read_only = forms.BooleanField(label="Read-only (cannot change anything)", required=False)


@login_required
def tokens(request):
    form = TokenForm(request.POST) if request.method == "POST" else TokenForm()
    new_token, status = None, 200
    if request.method == "POST":
        if not ratelimit.allow(f"token:{request.user.pk}", **settings.PRIAM_TOKEN_RATE):
            messages.error(request, "You have created many tokens in the last hour; wait before creating more.")
            status = 429
        elif form.is_valid():
            _, request.session[NEW_TOKEN_SESSION_KEY] = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"],
                request=request,
            )
            return redirect("tokens")
        else:
            status = 400
    else:
        new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": tokens_of(request.user),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def token_revoke_view(request, pk):
    """GET asks whether to revoke (it cannot be undone); POST revokes."""
    api_token = token_of(request.user, pk)
    if api_token is None:
        raise Http404("No such token.")
    if not api_token.is_active:
        messages.info(request, f"Token “{api_token.name}” was already revoked.")
        return redirect("tokens")
    if request.method == "GET":
        return render(request, "accounts/token_revoke.html", {"api_token": api_token})
    token_revoke(api_token=api_token, actor=request.user, request=request)
    messages.success(request, f"Token “{api_token.name}” revoked: it no longer works.")
    return redirect("tokens")
