"""A project's framework version and the move to a newer one (e.g. five-safes@1 → @2), as in the
browser: whoever sees the project reads what the move would change; its coordinator makes it.

The move is not conditional on an ETag: the API's only conditional project write is the answers'
PUT, whose ETag covers the answers, and the project itself has no validator to send.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import permissions
from ..selectors.framework_change import framework_change_preview
from ..selectors.frameworks import newer_framework_versions
from ..selectors.projects import project_assessments
from ..services.projects import project_apply_framework
from .serializers import FrameworkSerializer
from .views import PROBLEM


class ProjectFrameworkSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    revision = serializers.IntegerField()
    framework = FrameworkSerializer(help_text="The version the project is assessed under.")
    newer = FrameworkSerializer(many=True, help_text="Newer versions of the same framework it may move to.")
    can_apply = serializers.BooleanField(help_text="Whether you may move it now (its coordinator, while assessed).")


class FrameworkUnansweredSerializer(serializers.Serializer):
    custodian = serializers.CharField(allow_null=True, help_text="Null for a project-scope question.")
    question = serializers.CharField()
    text = serializers.CharField()


class FrameworkTierRowSerializer(serializers.Serializer):
    safe = serializers.CharField(help_text='A safe\'s id, or "overall".')
    before = serializers.IntegerField(allow_null=True, help_text="Under the current version (null: not evaluable).")
    lowest = serializers.IntegerField(
        allow_null=True, help_text="Under the newer version, every unanswered question at its least risky answer."
    )
    worst = serializers.IntegerField(allow_null=True, help_text="… and at its most risky answer.")
    settled = serializers.BooleanField(help_text="lowest equals worst: the tier holds whatever the new answers.")
    changed = serializers.BooleanField(help_text="The tier changes whatever the new answers.")
    may_change = serializers.BooleanField(help_text="The tier changes with some of the new answers.")


class FrameworkOutcomesSerializer(serializers.Serializer):
    before = serializers.CharField(allow_null=True)
    lowest = serializers.CharField(allow_null=True)
    worst = serializers.CharField(allow_null=True)


class FrameworkRuleRowSerializer(serializers.Serializer):
    rule = serializers.CharField()
    justification = serializers.CharField(allow_blank=True)
    custodian = serializers.CharField(allow_null=True)
    before = serializers.BooleanField(help_text="Fires under the current version.")
    after = serializers.CharField(
        help_text="Under the newer version: yes, no, depends (only with the worst new answers) or unknown."
    )
    new = serializers.BooleanField(help_text="A rule the newer version adds.")


class FrameworkRouteRowSerializer(serializers.Serializer):
    custodian = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    lowest = serializers.CharField(allow_null=True)
    worst = serializers.CharField(allow_null=True)


class FrameworkChangeSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="The project's revision this compares.")
    current = serializers.CharField(help_text="The version the project is assessed under.")
    proposed = serializers.CharField()
    can_evaluate = serializers.BooleanField(
        help_text="Whether the project evaluates under the newer version as it stands: false until every "
        "custodian answers the questions it adds."
    )
    can_apply = serializers.BooleanField(help_text="Whether you may move the project to it now.")
    questions_added = serializers.ListField(child=serializers.CharField())
    questions_changed = serializers.ListField(child=serializers.CharField())
    questions_removed = serializers.ListField(child=serializers.CharField())
    rules_added = serializers.ListField(child=serializers.CharField())
    rules_changed = serializers.ListField(child=serializers.CharField())
    rules_removed = serializers.ListField(child=serializers.CharField())
    unanswered = FrameworkUnansweredSerializer(many=True, help_text="What each custodian must answer after the move.")
    problems = serializers.ListField(child=serializers.CharField(), help_text="Answers the newer version refuses.")
    tiers = FrameworkTierRowSerializer(many=True)
    outcome = FrameworkOutcomesSerializer()
    routes = FrameworkRouteRowSerializer(many=True, help_text="Each custodian's sign-off route.")
    rules = FrameworkRuleRowSerializer(many=True, help_text="Every rule that fires under either version.")
    fired_added = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Null until the newer version can evaluate."
    )
    fired_removed = serializers.ListField(child=serializers.CharField(), allow_null=True)


class FrameworkApplySerializer(serializers.Serializer):
    version = serializers.CharField(max_length=100, help_text="The newer version, e.g. five-safes@2.")


class FrameworkAppliedSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="The new revision, which every custodian confirms afresh.")
    status = serializers.CharField()
    framework = serializers.CharField(help_text="The version the project is now assessed under.")
    previous = serializers.CharField()
    submissions_withdrawn = serializers.ListField(
        child=serializers.CharField(),
        help_text="The custodians whose submissions the move withdrew (their answers are incomplete under it).",
    )


def _newer(project, spec):
    return next((v for v in newer_framework_versions(project) if v.spec == spec), None)


def _submitted(project):
    return {a.organisation.name for a in project_assessments(project) if a.is_submitted}


class ProjectFramework(APIView):
    """GET: the project's framework version and the newer ones it may move to. POST: its
    coordinator moves it to one, as a new revision that every custodian confirms afresh."""

    @extend_schema(responses={200: ProjectFrameworkSerializer, 404: PROBLEM})
    def get(self, request, pk):
        """The project's framework version and the newer ones it may move to (anyone who sees it)."""
        project = permissions.project_for(request.user, pk)
        return Response(
            ProjectFrameworkSerializer(
                {
                    "project": project.pk,
                    "revision": project.revision,
                    "framework": project.framework_version,
                    "newer": newer_framework_versions(project),
                    "can_apply": permissions.can_change_framework(request.user, project),
                }
            ).data
        )

    @extend_schema(
        request=FrameworkApplySerializer,
        responses={200: FrameworkAppliedSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request, pk):
        """Move the project to a newer version (its coordinator only): a new revision, which every
        custodian confirms afresh; submissions the new version leaves incomplete are withdrawn.
        Refused (409) while the panel holds the project, and once it is decided (amend it first)."""
        project = permissions.project_for(request.user, pk)
        if not permissions.can_edit_project_answers(request.user, project):
            raise PermissionDenied("Only the project's coordinator moves it to a newer framework version.")
        serializer = FrameworkApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        spec = serializer.validated_data["version"]
        version = _newer(project, spec)
        if version is None:
            newer = ", ".join(v.spec for v in newer_framework_versions(project)) or "none"
            raise ValidationError(
                {"version": f"{spec} is not a newer version of {project.framework_version.spec} (newer: {newer})."}
            )
        previous = project.framework_version.spec
        # The service withdraws the submissions the new version leaves incomplete; these are the
        # ones submitted before and not after (the same names its audit event records).
        submitted = _submitted(project)
        project = project_apply_framework(project=project, version=version, actor=request.user, request=request)
        return Response(
            FrameworkAppliedSerializer(
                {
                    "project": project.pk,
                    "revision": project.revision,
                    "status": project.status,
                    "framework": project.framework_version.spec,
                    "previous": previous,
                    "submissions_withdrawn": sorted(submitted - _submitted(project)),
                }
            ).data
        )


class ProjectFrameworkChange(APIView):
    """What moving the project to a newer version would change: tiers, outcome, routes and fired
    rules before, and after as a range (lowest–worst) until every custodian answers the questions
    the newer version adds; then `can_evaluate` is true and lowest equals worst."""

    @extend_schema(
        operation_id="v1_projects_framework_change_retrieve", responses={200: FrameworkChangeSerializer, 404: PROBLEM}
    )
    def get(self, request, pk, spec):
        project = permissions.project_for(request.user, pk)
        version = _newer(project, spec)
        if version is None:
            raise NotFound(
                f"{spec} is not a newer version of this project's framework, {project.framework_version.spec}."
            )
        preview = framework_change_preview(project=project, version=version)

        def outcome(result):
            return result["outcome"] if result else None

        return Response(
            FrameworkChangeSerializer(
                {
                    **preview,
                    "project": project.pk,
                    "revision": project.revision,
                    "can_apply": permissions.can_change_framework(request.user, project),
                    "outcome": {end: outcome(preview[end]) for end in ("before", "lowest", "worst")},
                    "fired_added": preview.get("fired_added"),
                    "fired_removed": preview.get("fired_removed"),
                }
            ).data
        )
