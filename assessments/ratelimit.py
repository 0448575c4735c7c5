"""A fixed-window rate limit on the shared cache, for public and costly endpoints."""

import time

from django.core.cache import cache


def allow(key, *, limit, window_seconds):
    """Count one hit for `key`; False once more than `limit` hits fall in the current window."""
    bucket = f"ratelimit:{key}:{int(time.time() // window_seconds)}"
    cache.add(bucket, 0, timeout=window_seconds + 1)
    try:
        hits = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds + 1)
        hits = 1
    return hits <= limit


def client_key(request):
    return request.META.get("REMOTE_ADDR") or "unknown"
