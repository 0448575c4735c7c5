"""Signed-in pages and API responses are never stored; an idle session signs its user out."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/", "/projects/", "/accounts/tokens/"])
def test_a_signed_in_page_is_never_stored(login, custodian, url):
    response = login(custodian).get(url)
    assert response.status_code == 200
    assert _no_store(response)
    assert "private" in response["Cache-Control"]


def test_every_api_response_is_never_stored(demo):
    out = io.StringIO()
    call_command("create_api_token", "custodian", stdout=out)
    token = out.getvalue().strip()
    assert _no_store(Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/projects/"))
    assert _no_store(Client().get("/api/v1/projects/"))  # the 401 too
    assert _no_store(Client().get("/api/schema/"))


def test_a_public_page_for_an_anonymous_visitor_may_be_cached(db):
    response = Client().get(reverse("verify"))
    assert response.status_code == 200 and not _no_store(response)


# --- idle sessions -----------------------------------------------------------


def test_the_idle_limit_is_eight_hours_by_default():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def _at(when):
    return mock.patch("django.utils.timezone.now", return_value=when)


def _home(client):
    response = client.get("/")
    return response.status_code


def test_a_session_idle_past_the_limit_is_signed_out(login, custodian):
    client = login(custodian)
    start = timezone.now()
    with _at(start + timedelta(hours=8, minutes=1)):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_activity_keeps_a_session_alive(login, custodian):
    client = login(custodian)
    start = timezone.now()
    with _at(start + timedelta(hours=4)):
        assert _home(client) == 200
    with _at(start + timedelta(hours=11)):  # seven hours after the last request
        assert _home(client) == 200
    with _at(start + timedelta(hours=19, minutes=1)):  # eight hours and a minute after it
        assert _home(client) == 302


def test_the_limit_is_configurable(login, custodian, settings):
    settings.SESSION_COOKIE_AGE = 15 * 60
    client = login(custodian)
    start = timezone.now()
    with _at(start + timedelta(minutes=10)):
        assert _home(client) == 200
    with _at(start + timedelta(minutes=24)):
        assert _home(client) == 200
    with _at(start + timedelta(minutes=40)):
        assert _home(client) == 302


def _session_writes(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]]


def test_a_session_is_written_at_most_every_few_minutes(login, custodian):
    client = login(custodian)
    _session_writes(client)
    expiry = Session.objects.get().expire_date
    assert _session_writes(client) == []
    assert Session.objects.get().expire_date == expiry
    with _at(timezone.now() + timedelta(minutes=6)):
        assert len(_session_writes(client)) == 1
    assert Session.objects.get().expire_date > expiry


def test_an_api_token_call_makes_no_session(demo):
    out = io.StringIO()
    call_command("create_api_token", "custodian", stdout=out)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert not Session.objects.exists()
