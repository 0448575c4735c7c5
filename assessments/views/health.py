"""/healthz, /readyz and /metrics: for load balancers and Prometheus, not for people.

The probes answer anyone, are never cached and touch no session, so they are not audited.
assessments.probes.ProbeMiddleware serves them ahead of the host check and the HTTPS
redirect (a balancer probes a node by its address, over plain HTTP); the URL patterns serve
them through the ordinary stack too.

/metrics needs `Authorization: Bearer <PRIAM_METRICS_TOKEN>`, or a signed-in staff member
(who can look at it in a browser). Without a configured token it is 404 for everyone else:
there is no credential that would work, so it does not announce itself.
"""

import hmac
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..metrics import scrape_registry
from ..selectors.health import readiness

log = logging.getLogger(__name__)


def _no_store(response):
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
    return response


@require_safe
def healthz(request):
    return _no_store(JsonResponse({"status": "ok"}))


@require_safe
def readyz(request):
    checks = readiness()
    ready = all(check.ok for check in checks)
    body = {"status": "ok" if ready else "unavailable", "checks": {check.name: check.as_dict() for check in checks}}
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        # One warning naming what failed, instead of Django's ERROR "Service Unavailable" at
        # every probe of a node that is out of rotation.
        log.warning("Not ready: %s", ", ".join(f"{c.name} {c.status} ({c.detail})" for c in checks if not c.ok))
        response._has_been_logged = True
    return _no_store(response)


def metrics_token_valid(request):
    """Whether the request carries the configured metrics token (never true when none is configured)."""
    token = settings.PRIAM_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@require_safe
def metrics(request):
    if not metrics_token_valid(request):
        user = getattr(request, "user", None)
        if user is None or not (user.is_authenticated and user.is_staff):
            if not settings.PRIAM_METRICS_TOKEN:
                return _no_store(HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8"))
            response = HttpResponse("A metrics token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return _no_store(response)
    return _no_store(HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST))
