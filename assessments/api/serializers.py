from rest_framework import serializers

from .. import limits
from ..models import (
    AppetiteVersion,
    AuditAction,
    AuditEvent,
    CriteriaVersion,
    CustodianAssessment,
    DecisionRecord,
    FrameworkVersion,
    Organisation,
    Project,
)
from ..pdf.verify import MAX_UPLOAD_TEXT
from ..services.projects import DETAIL_FIELDS


class FrameworkSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="framework_id")
    spec = serializers.CharField()

    class Meta:
        model = FrameworkVersion
        fields = ["id", "version", "spec", "title", "sha256", "loaded_at"]


class CustodianSummarySerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    confirmed = serializers.SerializerMethodField()

    class Meta:
        model = CustodianAssessment
        fields = ["id", "organisation", "status", "submitted_at", "confirmed"]

    def get_confirmed(self, assessment) -> bool:
        return assessment.is_confirmed


class ProjectSerializer(serializers.ModelSerializer):
    framework = serializers.CharField(source="framework_version.spec", read_only=True)
    coordinator = serializers.CharField(source="coordinator.username", read_only=True)
    coordinating_organisation = serializers.CharField(source="coordinating_organisation.name", read_only=True)
    custodians = CustodianSummarySerializer(source="assessments", many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            *DETAIL_FIELDS,
            "status",
            "revision",
            "framework",
            "coordinator",
            "coordinating_organisation",
            "custodians",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "revision", "created_at", "updated_at"]


class ProjectCreateSerializer(serializers.ModelSerializer):
    custodians = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        many=True,
        allow_empty=False,
        help_text="Slugs of the custodian organisations whose data the project needs.",
    )
    coordinating_organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        required=False,
        help_text="Slug of an organisation where you are a coordinator (default: your only one).",
    )

    class Meta:
        model = Project
        fields = [*DETAIL_FIELDS, "custodians", "coordinating_organisation"]
        extra_kwargs = limits.serializer_limits(
            Project, "title", "summary", "lead_researcher", "lead_organisation", "purpose", "public_benefit"
        )

    def validate_custodians(self, custodians):
        slugs = [org.slug for org in custodians]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each custodian once: {', '.join(duplicates)} appears twice.")
        return custodians

    def validate(self, data):
        if data["end_date"] < data["start_date"]:
            raise serializers.ValidationError({"end_date": "The planned end must be on or after the planned start."})
        return data


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(), help_text="Answers keyed by question id.")


class AssessmentSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    project = serializers.IntegerField(source="project_id")
    confirmed = serializers.SerializerMethodField()

    class Meta:
        model = CustodianAssessment
        fields = ["id", "project", "organisation", "status", "answers", "submitted_at", "confirmed", "confirmed_at"]

    def get_confirmed(self, assessment) -> bool:
        return assessment.is_confirmed


class RecordSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id")
    supersedes = serializers.CharField(source="supersedes.number", default=None, allow_null=True)
    pdf_sha256 = serializers.SerializerMethodField()

    class Meta:
        model = DecisionRecord
        fields = ["number", "project", "issued_at", "snapshot_sha256", "supersedes", "pdf_sha256"]

    def get_pdf_sha256(self, record) -> str | None:
        # A record whose PDF is still being made has no `pdf` yet (hasattr is False).
        return record.pdf.sha256 if hasattr(record, "pdf") else None


class RecordDetailSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        fields = [*RecordSerializer.Meta.fields, "snapshot"]


class AuditEventSerializer(serializers.ModelSerializer):
    # The model column has no choices (a new action needs no migration); the schema
    # still lists the actions.
    action = serializers.ChoiceField(choices=AuditAction.choices)
    data = serializers.JSONField()

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "timestamp",
            "actor_id",
            "actor",
            "action",
            "object_type",
            "object_id",
            "organisation_id",
            "project_id",
            "ip_address",
            "user_agent",
            "data",
            "prev_hash",
            "hash",
        ]


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    summary = serializers.CharField()
    is_pdf = serializers.BooleanField()
    signed = serializers.BooleanField()
    intact = serializers.BooleanField()
    valid = serializers.BooleanField()
    covers_whole_file = serializers.BooleanField()
    trusted = serializers.BooleanField()
    signer = serializers.CharField(allow_blank=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField(allow_blank=True)
    issued_here = serializers.BooleanField()
    record = serializers.CharField(allow_null=True)
    superseded_by = serializers.CharField(allow_null=True)
    problems = serializers.ListField(child=serializers.CharField())


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"The PDF to check (at most {MAX_UPLOAD_TEXT}).")


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind"]


class _VersionSummarySerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(allow_null=True, help_text="Null for the draft.")
    # Plain text in the schema: a third "status" enum collides with the projects' enum names.
    status = serializers.CharField(help_text="draft or published.")
    sha256 = serializers.CharField(allow_blank=True, help_text="Blank for the draft.")
    published_by = serializers.CharField(source="published_by.username", default=None, allow_null=True)

    class Meta:
        fields = ["number", "status", "sha256", "note", "published_at", "published_by"]


class CriteriaVersionSummarySerializer(_VersionSummarySerializer):
    framework = serializers.CharField(source="framework_version.spec", help_text="The framework version it targets.")

    class Meta:
        model = CriteriaVersion
        fields = [*_VersionSummarySerializer.Meta.fields, "framework"]


class CriteriaVersionSerializer(CriteriaVersionSummarySerializer):
    data = serializers.JSONField(help_text='The set as the engine reads it: {"id", "version", "framework", "rules"}.')
    text = serializers.CharField(help_text="The rules as YAML, as their author wrote them.")

    class Meta(CriteriaVersionSummarySerializer.Meta):
        fields = [*CriteriaVersionSummarySerializer.Meta.fields, "data", "text"]


class AppetiteVersionSummarySerializer(_VersionSummarySerializer):
    class Meta:
        model = AppetiteVersion
        fields = _VersionSummarySerializer.Meta.fields


class AppetiteVersionSerializer(AppetiteVersionSummarySerializer):
    data = serializers.JSONField(help_text='{"routes": [{"up_to": 1, "route": "automatic"}, …], "otherwise": …}')
    description = serializers.SerializerMethodField(
        help_text="The appetite in plain English (null if today's framework cannot read it)."
    )

    class Meta(AppetiteVersionSummarySerializer.Meta):
        fields = [*AppetiteVersionSummarySerializer.Meta.fields, "data", "description"]

    def get_description(self, version) -> str | None:
        # Worded by the view, which knows the framework the wording depends on.
        return self.context.get("description")
