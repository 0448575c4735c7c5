"""Obligations: the conditions of approvals, tracked until met. Read by whoever sees the project;
acted on (signed off, waived, returned, re-dated) by the custodian that owns the condition."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import limits, permissions
from ..models import Obligation
from ..selectors.obligations import obligations_visible_to
from ..services.obligations import obligation_return, obligation_set_due, obligation_sign_off, obligation_waive
from .views import PROBLEM, Pages


class ObligationSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title", read_only=True)
    record = serializers.CharField(source="approval.record.number", read_only=True)
    approval_status = serializers.CharField(source="approval.status", read_only=True)
    approval_expires_on = serializers.DateField(source="approval.expires_on", read_only=True)
    owner = serializers.SerializerMethodField()
    checker = serializers.SerializerMethodField()
    signed_off_by = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = [
            "id",
            "project",
            "project_title",
            "record",
            "approval_status",
            "approval_expires_on",
            "number",
            "text",
            "rule",
            "source",
            "blocking",
            "due_on",
            "owner",
            "checker",
            "status",
            "status_changed_at",
            "signed_off_by",
            "signed_off_at",
            "note",
        ]

    def get_owner(self, o) -> str:
        """Who must meet it: an organisation's name, or "coordinator"."""
        return o.owner_organisation.name if o.owner_organisation_id else "coordinator"

    def get_checker(self, o) -> str | None:
        """The custodian that signs it off; null: any custodian of the project."""
        return o.checker.name if o.checker_id else None

    def get_signed_off_by(self, o) -> str | None:
        return o.signed_off_by.username if o.signed_off_by_id else None


OBLIGATION_ACTIONS = ["sign_off", "waive", "return", "move_due_date"]


class ObligationActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=OBLIGATION_ACTIONS)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.NOTE, help_text="The sign-off note, or why (waive, return)"
    )
    due_on = serializers.DateField(required=False, help_text="For move_due_date")


FILTERS = [
    OpenApiParameter("project", OpenApiTypes.INT, description="Only this project's"),
    OpenApiParameter("status", str, enum=[s.value for s in Obligation.Status], description="Only in this status"),
    OpenApiParameter("owner", str, description='Who must meet it: "coordinator" or an organisation\'s slug'),
    OpenApiParameter("checker", str, description="The slug of the custodian that signs it off"),
    OpenApiParameter("in_force", OpenApiTypes.BOOL, description="Only obligations of approvals in force"),
]


class ObligationList(generics.ListAPIView):
    """The obligations of every project the caller may see, blocking ones first, then by due date."""

    serializer_class = ObligationSerializer
    pagination_class = Pages

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        q = self.request.query_params
        queryset = obligations_visible_to(self.request.user)
        if "project" in q:
            if not q["project"].isdigit():
                raise ValidationError({"project": "A project id: 1, 2, …"})
            queryset = queryset.filter(project_id=int(q["project"]))
        if "status" in q:
            if q["status"] not in Obligation.Status.values:
                raise ValidationError({"status": f"One of: {', '.join(Obligation.Status.values)}."})
            queryset = queryset.filter(status=q["status"])
        if "owner" in q:
            queryset = (
                queryset.filter(owner_organisation__isnull=True)
                if q["owner"] == "coordinator"
                else queryset.filter(owner_organisation__slug=q["owner"])
            )
        if "checker" in q:
            queryset = queryset.filter(checker__slug=q["checker"])
        if q.get("in_force") in ("true", "1"):
            queryset = queryset.filter(approval__status="active")
        return queryset.order_by("project_id", "approval_id", "number")


class ObligationDetail(APIView):
    """GET: one obligation. POST: act on it as the custodian that owns it: sign it off as met, waive
    it (with a note saying why), return its evidence as not enough (with what is missing), or move
    a dated obligation's due date."""

    @extend_schema(responses={200: ObligationSerializer, 404: PROBLEM})
    def get(self, request, pk):
        return Response(ObligationSerializer(permissions.obligation_for(request.user, pk)).data)

    @extend_schema(
        request=ObligationActionSerializer,
        responses={200: ObligationSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request, pk):
        obligation = permissions.obligation_for(request.user, pk)
        body = ObligationActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action, note = body.validated_data["action"], body.validated_data.get("note", "")
        if action == "move_due_date":
            if "due_on" not in body.validated_data:
                raise ValidationError({"due_on": "Give the new due date (YYYY-MM-DD)."})
            obligation_set_due(
                obligation=obligation, user=request.user, due_on=body.validated_data["due_on"], request=request
            )
        elif action == "sign_off":
            obligation_sign_off(obligation=obligation, user=request.user, note=note, request=request)
        else:
            service = obligation_waive if action == "waive" else obligation_return
            service(obligation=obligation, user=request.user, reason=note, request=request)
        return Response(ObligationSerializer(permissions.obligation_for(request.user, pk)).data)
