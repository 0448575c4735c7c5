"""Answer health probes and token-bearing metrics scrapes before the rest of the stack.

A load balancer probes each node by its address (Host: 10.0.0.5:8000) over plain HTTP, and
Prometheus scrapes the same way. Through the ordinary stack those requests would meet
ALLOWED_HOSTS (400) and, in production, the HTTPS redirect (301). ALLOWED_HOSTS guards the
links and redirects Django builds from the Host header; these answers build none, so serving
them whatever the Host leaves that protection whole for every other address. They also skip
sessions, CSRF, axes and the request id: nothing here reads or writes state.

/metrics is answered here only with a valid bearer token; anything else (a staff member in a
browser, a wrong token) goes through the ordinary stack and its host check.
"""

from .views import health

PROBES = {"/healthz": health.healthz, "/readyz": health.readyz}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        view = PROBES.get(path)
        if view is None and path == "/metrics" and health.metrics_token_valid(request):
            view = health.metrics
        if view is None:
            return self.get_response(request)
        response = view(request)
        response["X-Content-Type-Options"] = "nosniff"
        return response
