"""A decision record as a Five Safes RO-Crate over the API: the page's check, the same service."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from ..selectors.records import record_for
from ..services.crates import record_crate_export
from .views import PROBLEM

CRATE = OpenApiResponse(
    OpenApiTypes.BINARY,
    description=(
        "The record as a Five Safes RO-Crate (RO-Crate 1.2 zip): ro-crate-metadata.json, decision-record.pdf "
        "(signed), decision-record.json, assessment.json, evidence/…, bagit.txt and manifest-sha512.txt."
    ),
)


class RecordCrateView(APIView):
    """409 until the record's PDF is signed, or when a listed document is missing from storage."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is the zip whatever the client accepts; problems are still JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "application/zip"): CRATE, 404: PROBLEM, 409: PROBLEM})
    def get(self, request, number):
        record = record_for(request.user, number)
        if record is None:
            raise NotFound("No such decision record.")
        data = record_crate_export(record=record, by=request.user, request=request)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{record.number}.crate.zip"'
        return response
