"""Reads for projects: lists, exchange-format documents, completeness."""

from django.db.models import Prefetch

from . import engine
from .models import CustodianAssessment, Project
from .permissions import projects_visible_to
from .selectors_frameworks import engine_framework


def project_list(user):
    """Visible projects with everything their list row shows, in a fixed number of queries."""
    return (
        projects_visible_to(user)
        .select_related("coordinator", "coordinating_organisation", "framework_version")
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=CustodianAssessment.objects.select_related("organisation").order_by("organisation__name"),
            )
        )
        .order_by("-updated_at", "-pk")
    )


def project_document(project, assessments):
    """The project as a spec section 8 assessment document; custodians in name order."""
    return {
        "title": project.title,
        "answers": dict(project.answers),
        "custodians": [
            {"name": a.organisation.name, "answers": dict(a.answers)}
            for a in sorted(assessments, key=lambda a: a.organisation.name)
        ],
    }


def project_problems(project, assessments, *, scope):
    """What stops these answers from being complete: engine problems of one scope.

    scope "project": the project-scope answers; scope "custodian": the given
    custodians' own answers.
    """
    framework = engine_framework(project.framework_version)
    document = project_document(project, assessments)
    if not document["custodians"]:
        # A placeholder custodian keeps the engine from reporting "no custodians".
        document["custodians"] = [{"name": "-", "answers": {}}]
    problems = engine.validate_document(framework, document)
    if scope == "project":
        return [p for p in problems if p.custodian is None]
    names = {a.organisation.name for a in assessments}
    return [p for p in problems if p.custodian in names]


def latest_evaluation(project):
    return project.evaluations.select_related("framework_version").order_by("-revision").first()
