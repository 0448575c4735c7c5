"""Evidence over the API: the same checks and services as the pages (services/evidence.py).

Documents are listed and described as JSON; the bytes come from .../download/, checked against
their SHA-256 first, and audited like a download from the page."""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import limits, permissions
from ..selectors.evidence import attached_to, project_evidence, upload_target_objects
from ..services.evidence import ALLOWED_IN_WORDS, evidence_open, evidence_upload
from .views import PROBLEM


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    project = serializers.IntegerField(source="project_id")
    name = serializers.CharField(help_text="The file's name as uploaded.")
    content_type = serializers.CharField(help_text="Detected from the content, not the name.")
    size = serializers.IntegerField(help_text="In bytes.")
    sha256 = serializers.CharField()
    description = serializers.CharField()
    question = serializers.CharField(help_text="The question it supports; empty for an obligation's.")
    assessment = serializers.IntegerField(
        source="assessment_id", allow_null=True, help_text="The custodian assessment, for a custodian's own question."
    )
    obligation = serializers.IntegerField(source="obligation_id", allow_null=True)
    attached_to = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_attached_to(self, evidence):
        return attached_to(evidence)

    def get_download(self, evidence) -> str:
        return reverse("api-evidence-download", args=[evidence.pk])


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"A {ALLOWED_IN_WORDS} file; its type is judged from its content.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=limits.NAME, default="")
    question = serializers.CharField(required=False, allow_blank=True, max_length=limits.IDENTIFIER, default="")
    assessment = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    obligation = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)


def _download(request, evidence):
    handle = evidence_open(evidence=evidence, user=request.user, request=request)
    response = FileResponse(handle, as_attachment=True, filename=evidence.name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ProjectEvidence(APIView):
    """GET: the project's documents, newest first. POST: upload one (multipart) to a question
    (`question`, with `assessment` for a custodian's own) or to an obligation (`obligation`)."""

    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: EvidenceSerializer(many=True), 404: PROBLEM})
    def get(self, request, pk):
        project = permissions.project_for(request.user, pk)
        return Response(EvidenceSerializer(project_evidence(project), many=True).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 413: PROBLEM},
    )
    def post(self, request, pk):
        project = permissions.project_for(request.user, pk)
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assessment, obligation = upload_target_objects(
            project, assessment_id=data["assessment"], obligation_id=data["obligation"]
        )
        evidence = evidence_upload(
            project=project,
            user=request.user,
            uploaded_file=data["file"],
            obligation=obligation,
            question=data["question"],
            assessment=assessment,
            description=data["description"],
            request=request,
        )
        evidence = permissions.evidence_for(request.user, evidence.pk)
        return Response(
            EvidenceSerializer(evidence).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-evidence", args=[evidence.pk])},
        )


class EvidenceDetail(APIView):
    """One document's description: name, detected type, size, SHA-256, what it supports, who
    uploaded it and when."""

    @extend_schema(responses={200: EvidenceSerializer, 404: PROBLEM})
    def get(self, request, pk):
        return Response(EvidenceSerializer(permissions.evidence_for(request.user, pk)).data)


class EvidenceDownload(APIView):
    """The document itself, as uploaded; 409 when the stored file no longer matches its SHA-256."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is the file whatever the client accepts; problems are still JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: PROBLEM, 409: PROBLEM})
    def get(self, request, pk):
        return _download(request, permissions.evidence_for(request.user, pk))
