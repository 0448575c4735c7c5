"""The shared cache unreachable: rate-limited pages answer (limits fail open) instead of 500s.

The cache here is a real Redis client pointed at a port where nothing listens, as a web node
finds it when Redis is stopped."""

import logging

import pytest
from django.core.cache import cache

from assessments import ratelimit


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with pytest.raises(Exception):  # noqa: B017 - the backend's own connection error, whatever its class
        cache.get("anything")


def test_a_rate_limit_allows_and_warns_when_the_cache_is_unreachable(unreachable_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="assessments.ratelimit"):
        assert all(ratelimit.allow("verify:198.51.100.7", limit=1, window_seconds=60) for _ in range(3))
    assert "the cache is unavailable" in caplog.text
    assert "198.51.100.7" not in caplog.text  # the key's kind only: it may hold an address or e-mail


def test_the_verification_page_answers_with_the_cache_unreachable(unreachable_cache, client, db):
    response = client.post("/verify/", {})
    assert response.status_code == 400, response.content[:500]  # the empty form, checked: not 429, not 500
