"""The exchange format's JSON Schemas, served as the files in assessments/schemas/ hold them."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .. import exchange
from . import etags
from .views import PROBLEM

SCHEMA_MEDIA_TYPE = "application/schema+json"


class ExchangeSchema(APIView):
    """A JSON Schema (draft 2020-12) of the exchange format. Open to anyone: another TRE checks a
    document against it before it has an account here."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        operation_id="v1_schemas_retrieve",
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(exchange.SCHEMAS))],
        responses={
            (200, SCHEMA_MEDIA_TYPE): OpenApiTypes.OBJECT,
            304: OpenApiResponse(description="Not modified: the If-None-Match ETag still holds."),
            404: PROBLEM,
        },
        auth=[],
    )
    def get(self, request, name):
        try:
            body = exchange.schema_bytes(name)
        except exchange.UnknownSchema:
            raise NotFound(f"No schema {name!r}; there are {', '.join(exchange.SCHEMAS)}.") from None
        etag = exchange.schema_etag(name)
        # If-None-Match compares weakly, which is what the If-Match predicate does too.
        if_none_match = request.headers.get("If-None-Match")
        response = (
            HttpResponse(status=304)
            if if_none_match and etags.if_match(if_none_match)(etag)
            else HttpResponse(body, content_type=SCHEMA_MEDIA_TYPE)
        )
        response["ETag"] = etag
        # The file changes only with a deployment; an hour of staleness costs nothing.
        response["Cache-Control"] = "public, max-age=3600"
        return response
