"""Teach drf-spectacular about PRIAM's token authentication (loaded from AppConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "assessments.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token: priam_…"}


def add_exchange_components(result, generator, request, public):
    """Put the exchange format's definitions (assessments/schemas/*.schema.json) among the
    components, so the operations that reference them by name (evaluate, the risk profile) resolve
    and generated clients get models for them. Runs as a drf-spectacular postprocessing hook."""
    from .. import exchange

    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in exchange.openapi_components_copy().items():
        if name in schemas:
            raise ValueError(f"The exchange format's {name} clashes with an API component of that name")
        schemas[name] = definition
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    # drf-spectacular leaves a raw-schema body optional; a document is what evaluate evaluates.
    refs = {exchange.COMPONENT_PREFIX + name for name in exchange.openapi_components()}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody", {}) if isinstance(operation, dict) else {}
            if any(media.get("schema", {}).get("$ref") in refs for media in body.get("content", {}).values()):
                body["required"] = True
    return result
