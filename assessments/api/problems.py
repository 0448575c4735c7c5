"""Errors as RFC 9457 problem details, with field-level errors naming questions and custodians."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..errors import PriamError, question_errors

PROBLEM_TYPE = "https://priam.invalid/problems/"


def problem(status_code, title, detail, *, kind=None, errors=None, headers=None, **members):
    """An RFC 7807 problem; `members` are its extension members (RFC 7807 section 3.2)."""
    body = {
        "type": PROBLEM_TYPE + (kind or str(status_code)),
        "title": title,
        "status": status_code,
        "detail": detail,
        **members,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = "application/problem+json"
    return response


engine_errors = question_errors


def _field_errors(detail, prefix=""):
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            errors += _field_errors(value, f"{prefix}{key}." if key != "non_field_errors" else prefix)
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"field": prefix.rstrip(".") or None, "message": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors += _field_errors(item, f"{prefix}{index}.")
        return errors
    return [{"field": prefix.rstrip(".") or None, "message": str(detail)}]


def problem_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, PriamError):
        return problem(exc.status, exc.title, str(exc), kind=exc.kind, errors=exc.errors())
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            400, "Invalid request", "Some fields are invalid.", kind="validation", errors=_field_errors(exc.detail)
        )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return problem(response.status_code, response.status_text, detail, headers=headers)
