from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import exchange, limits
from ..forms.signoffs import OUTCOMES
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
    SignOff,
)
from ..pdf.verify import MAX_UPLOAD_TEXT
from ..services.projects import DETAIL_FIELDS
from ..services.signoffs import signoff_etag
from .exchange import RecordSnapshotField


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
    snapshot = RecordSnapshotField()

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


class SignOffSerializer(serializers.ModelSerializer):
    """One custodian's sign-off of one evaluated revision; the context may carry the evaluation's
    criteria refs by custodian name ("criteria"), else they are read from the sign-off's evaluation."""

    project = serializers.IntegerField(source="project_id")
    custodian = serializers.CharField(source="organisation.name")
    organisation = serializers.CharField(source="organisation.slug", help_text="The custodian's slug.")
    # Plain text in the schema, as for the criteria versions: "status" enums collide by name.
    route = serializers.CharField(help_text="automatic, custodian_review, panel or decline.")
    route_label = serializers.CharField(source="get_route_display")
    route_reason = serializers.SerializerMethodField(help_text="Why the custodian's appetite gives this route.")
    status = serializers.CharField(help_text="pending, approved, approved_with_conditions or declined.")
    status_label = serializers.CharField(source="get_status_display")
    signed_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    signed_at = serializers.DateTimeField(source="decided_at", allow_null=True)
    conditions = serializers.ListField(
        child=serializers.DictField(), help_text='[{"text": …, "blocking": false}] (approvals with conditions).'
    )
    by_panel = serializers.SerializerMethodField(help_text="Whether the approval panel signed for this custodian.")
    appetite = serializers.SerializerMethodField(
        help_text='The appetite version that gave the route: {"sha256", "default", …}; {"default": true} without one.'
    )
    criteria = serializers.SerializerMethodField(
        help_text='The custodian\'s criteria applied: {"custodian", "id", "version", "sha256"}, or null.'
    )
    etag = serializers.SerializerMethodField(help_text="Send it as If-Match to sign off.")

    class Meta:
        model = SignOff
        fields = [
            "id",
            "project",
            "revision",
            "custodian",
            "organisation",
            "route",
            "route_label",
            "route_reason",
            "status",
            "status_label",
            "signed_by",
            "signed_at",
            "reason",
            "conditions",
            "by_panel",
            "appetite",
            "criteria",
            "etag",
        ]

    def get_route_reason(self, sign_off) -> str:
        return sign_off.route_reason.get("text", "")

    def get_by_panel(self, sign_off) -> bool:
        return sign_off.decision_id is not None

    @extend_schema_field(exchange.component_ref("AppetiteRef"))
    def get_appetite(self, sign_off) -> dict:
        return sign_off.route_reason.get("appetite") or {"default": True}

    @extend_schema_field(exchange.nullable_ref("CustodianCriteriaRef"))
    def get_criteria(self, sign_off) -> dict | None:
        criteria = self.context.get("criteria")
        if criteria is None:
            criteria = {c["custodian"]: c for c in sign_off.evaluation.result.get("criteria", [])}
        return criteria.get(sign_off.organisation.name)

    def get_etag(self, sign_off) -> str:
        return signoff_etag(sign_off)


class RevisionSignOffsSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    revision = serializers.IntegerField()
    current = serializers.BooleanField(help_text="Whether this is the project's current revision.")
    evaluated_at = serializers.DateTimeField(
        allow_null=True, help_text="Null while the revision waits for its custodians: no sign-offs yet."
    )
    sign_offs = SignOffSerializer(many=True)


class SignOffDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    reason = serializers.CharField(
        max_length=limits.LONG_TEXT,
        error_messages={"max_length": limits.too_long("Reason", limits.LONG_TEXT)},
        help_text="Shown to the coordinator, the other custodians and in the decision record.",
    )
    conditions = serializers.ListField(
        child=serializers.CharField(
            max_length=limits.CONDITION, error_messages={"max_length": limits.too_long("A condition", limits.CONDITION)}
        ),
        required=False,
        default=list,
        help_text="Only with approve_with_conditions, and then at least one.",
    )

    def validate(self, data):
        with_conditions = data["outcome"] == "approve_with_conditions"
        if with_conditions and not data["conditions"]:
            raise serializers.ValidationError({"conditions": "An approval with conditions needs at least one."})
        if not with_conditions and data["conditions"]:
            raise serializers.ValidationError(
                {"conditions": "Conditions go with approve_with_conditions: choose it, or send no conditions."}
            )
        return data


class SignOffDecidedSerializer(serializers.Serializer):
    sign_off = SignOffSerializer()
    record = serializers.CharField(
        allow_null=True, help_text="The decision record's number, when this sign-off issued it (else null)."
    )
