"""A fixed-window rate limit on the shared cache, for public and costly endpoints."""

import logging
import time

from django.core.cache import cache

log = logging.getLogger(__name__)


def allow(key, *, limit, window_seconds):
    """Count one hit for `key`; False once more than `limit` hits fall in the current window.

    With the cache unreachable (Redis stopped) every hit is allowed, with a warning: these limits
    slow abuse of a few endpoints (tokens, verification, password resets), and refusing them all
    while Redis is down would turn a cache outage into an outage of those pages. Sign-in lockouts
    (django-axes) are counted in the database and stay in force."""
    bucket = f"ratelimit:{key}:{int(time.time() // window_seconds)}"
    try:
        cache.add(bucket, 0, timeout=window_seconds + 1)
        try:
            hits = cache.incr(bucket)
        except ValueError:  # expired between add and incr
            cache.add(bucket, 1, timeout=window_seconds + 1)
            hits = 1
    except Exception as error:  # the backend's own errors (redis.ConnectionError, TimeoutError, …)
        log.warning("Rate limit %s not counted, allowed: the cache is unavailable (%s)", key.split(":")[0], error)
        return True
    return hits <= limit


def client_key(request):
    return request.META.get("REMOTE_ADDR") or "unknown"
