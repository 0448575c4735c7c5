"""Refuse NUL characters before they reach a view.

PRIAM never needs them, PostgreSQL cannot store them in text, and a query that
carries one fails inside the database driver: without this, a stray %00 in a
URL or "\\u0000" in a JSON body would be a server error instead of a 400.
"""

import json

from django.http import HttpResponseBadRequest, JsonResponse

MESSAGE = "The request contains a NUL character, which PRIAM does not accept in any field."


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                response = JsonResponse(
                    {"type": "https://priam.invalid/problems/nul", "title": "Invalid request",
                     "status": 400, "detail": MESSAGE},
                    status=400,
                )
                response["Content-Type"] = "application/problem+json"
                return response
            return HttpResponseBadRequest(MESSAGE)
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
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False
