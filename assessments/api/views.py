"""The REST API. Every check goes through assessments.permissions and every write through the
services, exactly as in the browser."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import engine, exchange, permissions, ratelimit
from ..engine.answers import check_answers
from ..errors import FrameworkNotFound
from ..forms.audit import AuditFilterForm
from ..selectors.audit import audit_events_filtered
from ..selectors.counterfactuals import evaluation_counterfactuals
from ..selectors.frameworks import engine_framework, framework_default, framework_version_get, framework_versions
from ..selectors.projects import latest_evaluation, project_list
from ..selectors.records import record_for, records_visible_to
from ..services.answers import answers_etag, answers_replace
from ..services.assessments import assessment_confirm, assessment_submit
from ..services.projects import DETAIL_FIELDS, project_create
from ..services.verification import MAX_UPLOAD_BYTES, TOO_LARGE, record_verify
from . import etags
from . import serializers as s
from .exchange import RiskProfileSerializer
from .problems import engine_errors, problem

FRAMEWORK_PARAM = OpenApiParameter("framework", str, description="ID@VERSION, e.g. five-safes@1 (default: latest)")
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="Problem details (RFC 9457)")


class Pages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class EvaluateView(APIView):
    """Evaluate a project assessment document (spec section 8); stateless, like `manage.py assess`."""

    stateless = True

    @extend_schema(
        parameters=[FRAMEWORK_PARAM],
        # Keyed by media type: a bare dict here would read as a map of media types.
        request={"application/json": exchange.component_ref("AssessmentDocument")},
        responses={200: exchange.component_ref("EvaluationResult"), 400: PROBLEM, 404: PROBLEM},
    )
    def post(self, request):
        version = framework_version_get(request.query_params.get("framework"))
        # The shape first (GET /api/v1/schemas/assessment-document.json), then the framework's
        # questions: the engine's wording only makes sense for a document of the right shape.
        shape = exchange.document_errors(request.data)
        if shape:
            return problem(
                400,
                "Invalid assessment document",
                f"{len(shape)} problem(s) with the document's shape: "
                + "; ".join(f"{e['field'] or 'the document'}: {e['message']}" for e in shape[:3]),
                kind="document",
                framework=version.spec,
                errors=shape,
            )
        framework = engine_framework(version)
        problems = engine.validate_document(framework, request.data)
        if problems:
            # Naming the version matters when the default moved on: a document written for an
            # older version lacks the newer one's questions.
            return problem(
                400,
                "Invalid assessment document",
                f"{len(problems)} problem(s) in the document under {version.spec} "
                "(choose another loaded version with ?framework=ID@VERSION).",
                kind="document",
                framework=version.spec,
                errors=engine_errors(problems),
            )
        # The engine's canonical text, so the body equals `manage.py assess` byte for byte.
        return HttpResponse(
            engine.canonical_json(engine.evaluate(framework, request.data)), content_type="application/json"
        )


class FrameworkList(generics.ListAPIView):
    serializer_class = s.FrameworkSerializer

    def get_queryset(self):
        return framework_versions()

    pagination_class = None


class FrameworkDetail(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: PROBLEM})
    def get(self, request, spec):
        try:
            version = framework_version_get(spec)
        except FrameworkNotFound as error:
            raise NotFound(str(error)) from None
        framework = engine_framework(version)
        return Response(
            {
                **s.FrameworkSerializer(version).data,
                "safes": [{"id": safe, "label": framework.safe_labels[safe]} for safe in framework.safes],
                "tiers": framework.tiers,
                "questions": [q.as_dict() for q in framework.questions],
                "rules": [r.as_dict() for r in framework.rules],
                "sources": framework.sources,
            }
        )


class ProjectList(generics.ListCreateAPIView):
    pagination_class = Pages

    def get_serializer_class(self):
        return s.ProjectCreateSerializer if self.request.method == "POST" else s.ProjectSerializer

    def get_queryset(self):
        return project_list(self.request.user)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer, 400: PROBLEM})
    def post(self, request):
        organisations = permissions.coordinator_organisations(request.user)
        if not organisations:
            raise PermissionDenied("Only coordinators open projects.")
        serializer = s.ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        coordinating = data.get("coordinating_organisation") or (organisations[0] if len(organisations) == 1 else None)
        if coordinating is None or coordinating not in organisations:
            return problem(
                400,
                "Invalid request",
                "Name the coordinating organisation.",
                kind="validation",
                errors=[
                    {
                        "field": "coordinating_organisation",
                        "message": "Must be an organisation where you are a coordinator.",
                    }
                ],
            )
        project = project_create(
            actor=request.user,
            coordinating_organisation=coordinating,
            custodians=list(data["custodians"]),
            framework_version=framework_default(),
            request=request,
            **{field: data[field] for field in DETAIL_FIELDS},
        )
        return Response(
            s.ProjectSerializer(project_list(request.user).get(pk=project.pk)).data, status=status.HTTP_201_CREATED
        )


class ProjectDetail(APIView):
    @extend_schema(responses={200: s.ProjectSerializer, 404: PROBLEM})
    def get(self, request, pk):
        project = permissions.project_for(request.user, pk, project_list(request.user))
        return Response(s.ProjectSerializer(project).data)


def _answers_response(owner, data):
    response = Response(data)
    response["ETag"] = answers_etag(owner)
    return response


def _replace(request, project, assessment):
    serializer = s.AnswersSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    if_match = request.headers.get("If-Match")
    if not if_match:
        return problem(
            428,
            "Precondition required",
            "Send If-Match with the ETag you read, so that a stale write cannot overwrite.",
            kind="if-match",
        )
    answers = serializer.validated_data["answers"]
    framework = engine_framework(project.framework_version)
    errors = _answer_errors(framework, answers, assessment)
    if errors:
        return problem(400, "Invalid answers", f"{len(errors)} answer(s) are invalid.", kind="answers", errors=errors)
    return answers_replace(
        project=project,
        assessment=assessment,
        answers=answers,
        matches_etag=etags.if_match(if_match),
        actor=request.user,
        request=request,
    )


def _answer_errors(framework, answers, assessment):
    """Each answer on its own (drafts may be incomplete), as the forms check them."""
    if assessment is None:
        problems = check_answers(framework, answers, "project")
    else:
        problems = check_answers(framework, answers, "custodian", assessment.organisation.name)
    return [{"custodian": p.custodian, "question": p.question, "message": p.message} for p in problems]


class ProjectAnswers(APIView):
    """The project-scope answers (the coordinator writes them; custodians confirm them)."""

    @extend_schema(responses={200: s.AnswersSerializer, 404: PROBLEM})
    def get(self, request, pk):
        project = permissions.project_for(request.user, pk)
        return _answers_response(project, {"answers": project.answers})

    @extend_schema(
        request=s.AnswersSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses={200: s.AnswersSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 412: PROBLEM, 428: PROBLEM},
    )
    def put(self, request, pk):
        project = permissions.project_for(request.user, pk)
        if not permissions.can_edit_project_answers(request.user, project):
            raise NotFound("No such project answers you can change.")
        owner = _replace(request, project, None)
        if isinstance(owner, Response):
            return owner
        return _answers_response(owner, {"answers": owner.answers})


def _assessment(request, pk, aid, *, edit=False):
    project = permissions.project_for(request.user, pk)
    assessment = permissions.assessment_for(request.user, project, aid)
    if edit and not permissions.can_edit_assessment(request.user, assessment):
        raise NotFound("No such assessment you can change.")
    return project, assessment


class AssessmentDetail(APIView):
    @extend_schema(responses={200: s.AssessmentSerializer, 404: PROBLEM})
    def get(self, request, pk, aid):
        _, assessment = _assessment(request, pk, aid)
        return _answers_response(assessment, s.AssessmentSerializer(assessment).data)


class AssessmentAnswers(APIView):
    @extend_schema(
        request=s.AnswersSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses={200: s.AssessmentSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 412: PROBLEM, 428: PROBLEM},
    )
    def put(self, request, pk, aid):
        project, assessment = _assessment(request, pk, aid, edit=True)
        owner = _replace(request, project, assessment)
        if isinstance(owner, Response):
            return owner
        return _answers_response(owner, s.AssessmentSerializer(owner).data)


class AssessmentSubmit(APIView):
    @extend_schema(request=None, responses={200: s.AssessmentSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM})
    def post(self, request, pk, aid):
        _, assessment = _assessment(request, pk, aid, edit=True)
        assessment, _ = assessment_submit(assessment=assessment, actor=request.user, request=request)
        return _answers_response(assessment, s.AssessmentSerializer(assessment).data)


class AssessmentConfirm(APIView):
    """Confirm the project-scope answers you read: send their ETag (from GET …/answers/) as If-Match."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
        responses={200: s.AssessmentSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 412: PROBLEM, 428: PROBLEM},
    )
    def post(self, request, pk, aid):
        _, assessment = _assessment(request, pk, aid, edit=True)
        if_match = request.headers.get("If-Match")
        if not if_match:
            return problem(
                428,
                "Precondition required",
                "Send If-Match with the ETag of the project answers you reviewed (GET /api/v1/projects/{id}/answers/).",
                kind="if-match",
            )
        assessment, _ = assessment_confirm(
            assessment=assessment, actor=request.user, matches_etag=etags.if_match(if_match), request=request
        )
        return _answers_response(assessment, s.AssessmentSerializer(assessment).data)


class RiskProfile(APIView):
    @extend_schema(responses={200: RiskProfileSerializer, 404: PROBLEM})
    def get(self, request, pk):
        project = permissions.project_for(request.user, pk)
        evaluation = latest_evaluation(project)
        if evaluation is None:
            raise NotFound("This project has no risk profile yet: every custodian must submit and confirm.")
        return Response(
            {
                "revision": evaluation.revision,
                "evaluated_at": evaluation.created_at,
                "current": evaluation.revision == project.revision,
                "result": evaluation.result,
                # The smallest answer changes that would lower each tier or make it approvable.
                "what_would_change": evaluation_counterfactuals(evaluation),
            }
        )


class RecordList(generics.ListAPIView):
    serializer_class = s.RecordSerializer
    pagination_class = Pages

    def get_queryset(self):
        # Lists never need the big snapshot.
        return records_visible_to(self.request.user).defer("snapshot")


class RecordDetail(APIView):
    @extend_schema(responses={200: s.RecordDetailSerializer, 404: PROBLEM})
    def get(self, request, number):
        record = record_for(request.user, number)
        if record is None:
            raise NotFound("No such decision record.")
        return Response(s.RecordDetailSerializer(record).data)


class RecordPdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: PROBLEM})
    def get(self, request, number):
        record = record_for(request.user, number)
        if record is None or not hasattr(record, "pdf"):
            raise NotFound("No such decision record, or its signed PDF is not ready yet.")
        response = HttpResponse(bytes(record.pdf.data), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{record.number}.pdf"'
        return response


class VerifyView(APIView):
    """Check a PDF: open to anyone, like the /verify/ page."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [MultiPartParser]
    stateless = True

    @extend_schema(
        request={"multipart/form-data": s.VerifyUploadSerializer},
        responses={200: s.VerificationSerializer, 400: PROBLEM, 429: PROBLEM},
        auth=[],
    )
    def post(self, request):
        if not ratelimit.allow(f"verify:{ratelimit.client_key(request)}", **settings.PRIAM_VERIFY_RATE):
            raise Throttled(wait=60)
        upload = request.FILES.get("file")
        if upload is None:
            return problem(
                400,
                "Invalid request",
                "Upload the PDF as the form field “file”.",
                kind="validation",
                errors=[{"field": "file", "message": "This field is required."}],
            )
        if upload.size > MAX_UPLOAD_BYTES:
            return problem(
                400, "File too large", TOO_LARGE, kind="too-large", errors=[{"field": "file", "message": TOO_LARGE}]
            )
        result = record_verify(upload.read())
        return Response(
            {
                "ok": result.ok,
                "summary": result.summary(),
                "is_pdf": result.pdf.is_pdf,
                "signed": result.pdf.signed,
                # "valid" as the page reads it: the signature holds for these bytes (pyHanko's own
                # `valid` only checks the signed attributes, and stays true after the content changed).
                "intact": result.pdf.intact,
                "valid": bool(result.pdf.intact and result.pdf.valid),
                "covers_whole_file": result.pdf.covers_whole_file,
                "trusted": result.pdf.trusted,
                "signer": result.pdf.signer,
                "signed_at": result.pdf.signed_at,
                "sha256": result.pdf.signed_sha256,
                "issued_here": result.issued_here,
                "record": result.record.number if result.record else None,
                "superseded_by": result.superseded_by,
                "problems": result.problems,
            }
        )


class EventCursor(CursorPagination):
    ordering = "sequence"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class AuditEventList(generics.ListAPIView):
    """Audit events for auditors and administrators, with the auditor pages' filters."""

    serializer_class = s.AuditEventSerializer
    pagination_class = EventCursor

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str)
            for name in ("project", "organisation", "user", "action", "date_from", "date_to")
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if not permissions.can_read_audit_trail(self.request.user):
            raise NotFound()
        form = AuditFilterForm(self.request.query_params)
        if not form.is_valid():
            from rest_framework.exceptions import ValidationError

            raise ValidationError(form.errors)
        return audit_events_filtered(filters=form.cleaned_data)
