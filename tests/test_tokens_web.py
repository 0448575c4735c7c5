"""The token page: creating uses POST/redirect/GET and shows the token once; revoking asks first."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import ApiToken, AuditEvent
from assessments.services.tokens import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def test_creating_a_token_redirects_and_shows_it_once(login, custodian):
    client = login(custodian)
    response = client.post(reverse("tokens"), {"name": "TRE portal"})
    assert response.status_code in (302, 303) and response["Location"] == reverse("tokens")
    page = client.get(reverse("tokens")).content.decode()
    token = re.search(r'id="new-token"[^>]*value="(priam_[^"]+)"', page).group(1)
    assert ApiToken.objects.get().prefix == token.split("_")[1]
    # Reloading the page the redirect landed on neither shows the token again nor makes another.
    again = client.get(reverse("tokens")).content.decode()
    assert token not in again and 'id="new-token"' not in again and "TRE portal" in again
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="token.created").count() == 1


def test_an_invalid_token_form_is_shown_again_with_the_error_and_creates_nothing(login, custodian):
    response = login(custodian).post(reverse("tokens"), {"name": "x" * 101, "read_only": "on"})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert 'value="' + "x" * 101 + '"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_and_changes_nothing_until_confirmed(login, custodian):
    api_token, _ = token_create(user=custodian, name="Old portal")
    client = login(custodian)
    page = client.get(reverse("tokens")).content.decode()
    revoke = reverse("token_revoke", args=[api_token.pk])
    # The list offers a link to the question, not a button that revokes at once.
    assert f'href="{revoke}"' in page
    assert f'action="{revoke}"' not in page
    question = client.get(revoke)
    assert question.status_code == 200
    html = question.content.decode()
    assert "Old portal" in html and "cannot be undone" in html
    assert re.search(rf'<form method="post" action="{re.escape(revoke)}"', html)
    assert f'href="{reverse("tokens")}"' in html  # a way back that revokes nothing
    api_token.refresh_from_db()
    assert api_token.is_active


def test_confirming_revokes_the_token(login, custodian):
    api_token, _ = token_create(user=custodian, name="Old portal")
    response = login(custodian).post(reverse("token_revoke", args=[api_token.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("tokens")
    api_token.refresh_from_db()
    assert not api_token.is_active
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_an_already_revoked_token_is_not_offered_for_revoking_again(login, custodian):
    api_token, _ = token_create(user=custodian, name="Old portal")
    client = login(custodian)
    client.post(reverse("token_revoke", args=[api_token.pk]))
    response = client.get(reverse("token_revoke", args=[api_token.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("tokens")
    client.post(reverse("token_revoke", args=[api_token.pk]))
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_nobody_else_can_open_the_question_for_a_token(login, custodian, genomics):
    api_token, _ = token_create(user=custodian, name="Old portal")
    assert login(genomics).get(reverse("token_revoke", args=[api_token.pk])).status_code == 404
