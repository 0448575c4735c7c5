"""Assessments received from other PRIAMs over the API: the same permissions and service
(services/crate_import.py) as the pages. Administrators import a crate (multipart POST);
administrators and coordinators read what was received."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import permissions
from ..selectors.received import received_list
from ..services.crate_import import MAX_CRATE_BYTES, crate_import
from .problems import problem
from .views import PROBLEM, Pages


class ReceivedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    peer = serializers.CharField(source="peer.name", help_text="The trusted peer PRIAM that signed the record.")
    peer_url = serializers.CharField(source="peer.base_url")
    record_number = serializers.CharField(help_text="The record's number at the peer.")
    issued_at = serializers.CharField(help_text="When the peer issued the record (ISO 8601, as it says).")
    signer = serializers.CharField(help_text="The signing certificate of the PDF: Common Name (Organisation).")
    crate_sha256 = serializers.CharField()
    snapshot_sha256 = serializers.CharField(help_text="SHA-256 of the record's canonical JSON, carried in the PDF.")
    received_by = serializers.CharField(source="received_by.username", allow_null=True, default=None)
    received_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, received) -> str:
        return reverse("api-received-detail", args=[received.pk])


class ReceivedDetailSerializer(ReceivedSerializer):
    snapshot = serializers.JSONField(help_text="The decision record as the peer signed it.")
    document = serializers.JSONField(help_text="The assessment document (exchange format).")
    result = serializers.JSONField(help_text="The evaluation result (exchange format).")
    evidence = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_evidence(self, received):
        return received.evidence


class CrateUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The RO-Crate (.zip) exported by the peer PRIAM.")


class ReceivedList(generics.ListAPIView):
    """GET: the assessments received, newest first (administrators and coordinators).
    POST: import a crate (administrators): 201 with the received assessment; 422 with the reason
    when it is refused (tampered, untrusted signer, unsafe zip...); 409 when already received."""

    serializer_class = ReceivedSerializer
    pagination_class = Pages
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if not permissions.can_read_received(self.request.user):
            raise NotFound("No such resource.")
        return received_list()

    @extend_schema(
        request={"multipart/form-data": CrateUploadSerializer},
        responses={201: ReceivedDetailSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def post(self, request):
        if not permissions.can_import_crate(request.user):
            raise NotFound("No such resource.")
        serializer = CrateUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_CRATE_BYTES:
            detail = f"The crate is larger than {MAX_CRATE_BYTES // (1024 * 1024)} MB."
            return problem(
                400, "File too large", detail, kind="too-large", errors=[{"field": "file", "message": detail}]
            )
        received = crate_import(data=upload.read(), by=request.user, request=request)
        return Response(
            ReceivedDetailSerializer(received).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-received-detail", args=[received.pk])},
        )


class ReceivedDetail(APIView):
    @extend_schema(responses={200: ReceivedDetailSerializer, 404: PROBLEM})
    def get(self, request, pk):
        return Response(ReceivedDetailSerializer(permissions.received_for(request.user, pk)).data)
