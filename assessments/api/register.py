"""The public register over the API: read by anyone, written (published) by a project's coordinator."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import limits, permissions
from ..selectors.register import STATUSES, RegisterFilters, entry_json, register_approvals, register_entry
from ..services.register import project_publish
from .views import PROBLEM, Pages


class RegisterTierSerializer(serializers.Serializer):
    safe = serializers.CharField()
    label = serializers.CharField()
    tier = serializers.IntegerField()
    tier_name = serializers.CharField()


class RegisterControlsSerializer(serializers.Serializer):
    safe = serializers.CharField()
    label = serializers.CharField()
    in_place = serializers.ListField(child=serializers.CharField(), help_text="The controls the answers show in place")


class RegisterConditionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    set_by = serializers.CharField(help_text="The custodian, the approval panel or the framework")
    published = serializers.BooleanField(help_text="False: the coordinator did not publish its wording")
    text = serializers.CharField(help_text="The public wording, or a neutral line saying a condition exists")


class RegisterEntrySerializer(serializers.Serializer):
    """One approval on the public register, from its signed decision record."""

    record_number = serializers.CharField()
    title = serializers.CharField()
    lay_summary = serializers.CharField()
    purpose = serializers.CharField()
    lead_organisation = serializers.CharField()
    coordinating_organisation = serializers.CharField()
    custodians = serializers.ListField(child=serializers.CharField())
    tiers = RegisterTierSerializer(many=True)
    overall_tier = serializers.IntegerField()
    overall_tier_name = serializers.CharField()
    controls = RegisterControlsSerializer(many=True)
    outcome = serializers.ChoiceField(choices=["approve", "approve_with_conditions"])
    outcome_label = serializers.CharField()
    conditions = RegisterConditionSerializer(many=True)
    decision_date = serializers.DateField()
    valid_from = serializers.DateField()
    expires_on = serializers.DateField(help_text="The last day the approval covers")
    status = serializers.ChoiceField(choices=list(STATUSES.items()))
    status_label = serializers.CharField()
    supersedes = serializers.CharField(allow_null=True, help_text="The record this decision followed, if any")
    url = serializers.URLField(help_text="The entry's page on the public register")
    verify_url = serializers.URLField(help_text="Where anyone checks a copy of the record's signed PDF")


REGISTER_FILTERS = [
    OpenApiParameter("q", str, description="Words in the title, lay summary or purpose"),
    OpenApiParameter("custodian", str, description="A custodian's name"),
    OpenApiParameter("tier", OpenApiTypes.INT, description="The overall tier"),
    OpenApiParameter("status", str, enum=list(STATUSES), description="The approval's status"),
    OpenApiParameter("year", OpenApiTypes.INT, description="The year of the decision"),
]


class RegisterList(generics.ListAPIView):
    """The public register: every approval of a published project, newest decision first. Open to
    anyone, like /register/ (the same entries as /register.json). A filter value that cannot match
    is ignored, as on the page."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = RegisterEntrySerializer
    pagination_class = Pages

    @extend_schema(parameters=REGISTER_FILTERS, auth=[])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return register_approvals(RegisterFilters.from_params(self.request.query_params))

    def list(self, request, *args, **kwargs):
        # Entries are built from each record's snapshot, not serialised from model fields.
        page = self.paginate_queryset(self.get_queryset())
        entries = [entry_json(register_entry(a), request.build_absolute_uri) for a in page]
        return self.get_paginated_response(RegisterEntrySerializer(entries, many=True).data)


class PublicationRequestSerializer(serializers.Serializer):
    lay_summary = serializers.CharField(max_length=limits.LAY_SUMMARY, help_text="Plain language, for anyone")
    condition_wording = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=limits.CONDITION)),
        required=False,
        help_text='Public wording by record number, then condition number: {"PRIAM-2026-0001": {"1": "..."}}. '
        "A condition left out or blank is published only as existing.",
    )


class PublicationSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    lay_summary = serializers.CharField()
    condition_wording = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ProjectPublication(APIView):
    """Publish the project on the public register, or reword its entry: its coordinator only, once
    an approving decision record exists (409 otherwise). There is no unpublishing."""

    @extend_schema(
        request=PublicationRequestSerializer,
        responses={200: PublicationSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request, pk):
        project = permissions.project_for(request.user, pk)
        body = PublicationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        publication = project_publish(
            project=project,
            user=request.user,
            lay_summary=body.validated_data["lay_summary"],
            condition_wording=body.validated_data.get("condition_wording") or {},
            request=request,
        )
        return Response(PublicationSerializer(publication).data)
