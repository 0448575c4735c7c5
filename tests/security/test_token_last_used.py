"""A token records when it was last used at most once a minute, so reads do not write."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(demo):
    out = io.StringIO()
    call_command("create_api_token", "custodian", stdout=out)
    return out.getvalue().strip()


def _token_writes(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/frameworks/").status_code == 200
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]


def test_two_calls_within_a_minute_write_once(token):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(_token_writes(client)) == 1
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert _token_writes(client) == []
    assert ApiToken.objects.get().last_used_at == first


def test_it_writes_again_once_a_minute_has_passed(token):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    _token_writes(client)
    first = ApiToken.objects.get().last_used_at
    later = first + timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert len(_token_writes(client)) == 1
    assert ApiToken.objects.get().last_used_at == later


def test_an_old_last_use_in_the_database_is_refreshed(token):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=5))
    assert len(_token_writes(client)) == 1
    assert timezone.now() - ApiToken.objects.get().last_used_at < timedelta(seconds=5)


def test_a_concurrent_refresh_is_not_repeated(token):
    """Two requests that both read an old time: the second one's UPDATE matches no row."""
    from assessments.services.tokens import token_mark_used

    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=5))
    first, second = ApiToken.objects.get(), ApiToken.objects.get()
    assert token_mark_used(api_token=first) is True
    refreshed = ApiToken.objects.get().last_used_at
    assert token_mark_used(api_token=second) is False
    assert ApiToken.objects.get().last_used_at == refreshed
