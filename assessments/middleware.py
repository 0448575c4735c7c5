"""Request hardening: refuse bad requests before anything reads them; keep signed-in pages private.

BodySizeLimitMiddleware comes first: a body larger than the route accepts is
refused with 413 before a byte of it is read, so an anonymous gigabyte never
reaches the temporary folder. RejectNulMiddleware then refuses NUL characters:
PRIAM never needs them, PostgreSQL cannot store them in text, and a query that
carries one fails inside the database driver, so without it a stray %00 in a URL
or "\\u0000" in a JSON body would be a server error instead of a 400.
"""

import json
import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

NUL_MESSAGE = "The request contains a NUL character, which PRIAM does not accept in any field."
TOO_DEEP_MESSAGE = "The JSON is nested too deeply."


def refusal(request, status, kind, title, detail):
    """Problem details under /api/, a short plain page elsewhere."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"type": f"https://priam.invalid/problems/{kind}", "title": title, "status": status, "detail": detail},
            status=status,
        )
        response["Content-Type"] = "application/problem+json"
        return response
    return HttpResponse(f"{title}. {detail}\n", status=status, content_type="text/plain; charset=utf-8")


# --- body size ---------------------------------------------------------------


class BodyTooLarge(SuspiciousOperation):
    """Raised by the capped stream; the middleware answers 413 wherever it surfaces."""


def body_limit(path):
    """The largest body the route accepts, in bytes."""
    if any(re.fullmatch(pattern, path) for pattern in settings.PRIAM_MAX_UPLOAD_PATHS):
        return settings.PRIAM_MAX_UPLOAD_BYTES
    return settings.PRIAM_MAX_BODY_BYTES


def _megabytes(size):
    return f"{size / (1024 * 1024):g} MB"


class _CappedStream:
    """Reads the request stream but raises BodyTooLarge past the limit.

    Django under WSGI already reads no further than the declared Content-Length
    (and nothing without one); this covers a stream whose length was not
    declared, e.g. a chunked body an ASGI server or a future handler hands on.
    It reads at most one byte past the limit.
    """

    def __init__(self, stream, limit, request):
        self._stream = stream
        self._remaining = limit
        self._request = request

    def _check(self, data):
        self._remaining -= len(data)
        if self._remaining < 0:
            self._request.body_too_large = True
            raise BodyTooLarge("The request body is larger than this address accepts.")
        return data

    def _size(self, size):
        allowed = self._remaining + 1
        return allowed if size is None or size < 0 else min(size, allowed)

    def read(self, size=-1, /):
        return self._check(self._stream.read(self._size(size)))

    def readline(self, size=-1, /):
        return self._check(self._stream.readline(self._size(size)))

    def close(self):
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request.path_info)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads nothing of a body with an unreadable length
        if declared > limit:
            return self._too_large(request, limit)
        request._stream = _CappedStream(request._stream, limit, request)
        try:
            response = self.get_response(request)
        except BodyTooLarge:
            return self._too_large(request, limit)
        # Deeper middleware turned BodyTooLarge into a 400 page already: say what it was.
        if getattr(request, "body_too_large", False):
            return self._too_large(request, limit)
        return response

    @staticmethod
    def _too_large(request, limit):
        return refusal(
            request,
            413,
            "too-large",
            "Request too large",
            f"This address accepts at most {_megabytes(limit)} in one request.",
        )


# --- NUL characters and JSON nesting -----------------------------------------


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            has_nul = self._has_nul(request)
        except RecursionError:
            return refusal(request, 400, "too-deep", "Invalid request", TOO_DEEP_MESSAGE)
        if has_nul:
            return refusal(request, 400, "nul", "Invalid request", NUL_MESSAGE)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            # Uploaded files (PDFs) legitimately hold NUL bytes; the form's text fields may not.
            return any("\x00" in value for _, values in request.POST.lists() for value in values)
        body = request.body
        if b"\x00" in body or b"%00" in body:
            return True
        if content_type.startswith("application/json") and b"\\u0000" in body:
            try:
                return _contains_nul(json.loads(body))
            except ValueError:
                return False  # not JSON: the view reports that
        return False


def _contains_nul(value):
    """Whether any string in the parsed JSON holds a NUL; iterative, so any depth is safe."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# --- caching and idle sessions -----------------------------------------------


class NoStoreMiddleware:
    """Nothing a signed-in person sees, and no API response, is kept by a browser or proxy.

    A shared computer's back button or history would otherwise show a custodian's
    answers after they sign out. Static files (served before this) and the pages an
    anonymous visitor sees stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # an API token's user too: DRF sets it here
        if response.get("Cache-Control", "").startswith("public"):
            # The view vouches that these bytes are the same for everyone (the exchange format's
            # JSON Schemas), so proxies and other TREs' validators may keep them.
            return response
        if request.path_info.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


IDLE_STAMP = "_priam_active_at"
MAX_REFRESH_SECONDS = 5 * 60


class SessionIdleTimeoutMiddleware:
    """Keep a signed-in session alive while it is used, at most one write every few minutes.

    SESSION_COOKIE_AGE is the idle limit: each save moves the session's expiry (in
    the store and in the cookie) that far ahead. SESSION_SAVE_EVERY_REQUEST would
    do the same with a write on every request, which on SQLite queues every reader
    behind the one writer; this saves only when the last save is older than a tenth
    of the limit (at most five minutes), so a session may end that much earlier than
    the limit, never later.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No cookie, or not signed in (an API token call, a signed-out visitor): nothing to keep.
        if session is None or session.session_key is None or SESSION_KEY not in session:
            return response
        now = int(timezone.now().timestamp())
        interval = min(MAX_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10)
        if session.modified or now - session.get(IDLE_STAMP, 0) >= interval:
            mark_session_active(session)  # marks it modified: SessionMiddleware saves it after us
        return response


def mark_session_active(session):
    session[IDLE_STAMP] = int(timezone.now().timestamp())
