"""Forgotten passwords: a reset link by e-mail, rate-limited, audited, revealing nobody's address."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from assessments.models import AuditEvent

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    def _request(email, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET, {"email": email}, **extra)

    return _request


def _link(message):
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)", message.body).group(1)


def test_the_sign_in_page_links_to_the_reset(client):
    text = client.get("/accounts/login/").content.decode()
    assert "Forgot your password?" in text
    assert f'href="{RESET}"' in text


def test_a_known_address_gets_a_working_link_and_the_password_changes(client, custodian, request_reset):
    response = request_reset(custodian.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [custodian.email]
    assert "PRIAM" in message.subject

    form_page = client.get(_link(message), follow=True)
    assert form_page.status_code == 200
    assert "new password" in form_page.content.decode().lower()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/password/reset/complete/"
    assert "Your password has been changed" in done.content.decode()
    custodian.refresh_from_db()
    assert custodian.check_password(NEW_PASSWORD)

    # The link works once.
    again = client.get(_link(message), follow=True)
    assert "no longer valid" in again.content.decode()


def test_the_request_and_the_reset_are_audited(client, custodian, request_reset):
    request_reset(custodian.email.upper(), HTTP_USER_AGENT="reset-test")
    requested = AuditEvent.objects.get(action="auth.password_reset_requested")
    assert requested.actor == "anonymous"
    assert requested.object_type == "user" and requested.object_id == str(custodian.pk)
    assert requested.user_agent == "reset-test"
    assert requested.data == {"email": custodian.email.upper()}

    form_page = client.get(_link(mail.outbox[0]), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    reset = AuditEvent.objects.get(action="auth.password_reset")
    assert reset.actor == "custodian" and reset.object_id == str(custodian.pk)


def test_an_unknown_address_reads_exactly_like_a_known_one(client, custodian, request_reset):
    known = request_reset(custodian.email)
    unknown = request_reset("nobody-here@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    page = client.get(known["Location"]).content.decode()
    assert "If an account uses that address" in page
    event = AuditEvent.objects.filter(action="auth.password_reset_requested").last()
    assert event.object_id == "" and event.data == {"email": "nobody-here@example.org"}


def test_an_address_may_ask_five_times_an_hour_then_is_told_clearly(custodian, request_reset, settings):
    for _ in range(5):
        assert request_reset(custodian.email).status_code == 302
    refused = request_reset(custodian.email)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many password-reset requests" in text
    assert f'value="{custodian.email}"' in text  # what they typed is kept
    assert len(mail.outbox) == 5
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 5


def test_one_client_address_cannot_try_many_e_mail_addresses(request_reset):
    for n in range(5):
        assert request_reset(f"someone{n}@example.org").status_code == 302
    assert request_reset("someone-else@example.org").status_code == 429


def test_the_limit_for_an_e_mail_holds_across_client_addresses(custodian, request_reset):
    for n in range(5):
        assert request_reset(custodian.email, REMOTE_ADDR=f"192.0.2.{n + 1}").status_code == 302
    assert request_reset(custodian.email, REMOTE_ADDR="192.0.2.99").status_code == 429


def test_a_tampered_link_is_refused(client, custodian, request_reset):
    request_reset(custodian.email)
    link = _link(mail.outbox[0])
    response = client.get(link[:-3] + "xx/", follow=True)
    assert "no longer valid" in response.content.decode()
    assert not AuditEvent.objects.filter(action="auth.password_reset").exists()
