"""The risk profile: one evaluation of a project, explained (spec sections 3–5).

Everything shown comes from the stored evaluation (its result and the exact
document it evaluated) and the framework version it was evaluated under, so
an old revision reads exactly as it did when it was evaluated. The page costs
a fixed number of queries whatever the number of custodians or answers.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .. import permissions
from ..risk_profile import risk_profile_context
from ..selectors.frameworks import engine_framework, engine_guide
from ..selectors.projects import evaluation_full, project_assessments, project_evaluations


@login_required
def risk_profile(request, pk, revision=None):
    project = permissions.project_for(request.user, pk)
    evaluations = project_evaluations(project)
    if revision is None:
        chosen = evaluations[0] if evaluations else None
    else:
        chosen = next((e for e in evaluations if e.revision == revision), None)
        if chosen is None:
            raise Http404("No evaluation of that revision.")
    if chosen is None:
        return render(request, "projects/risk_profile.html", _empty_context(project))

    evaluation = evaluation_full(chosen)
    framework = engine_framework(evaluation.framework_version)
    context = risk_profile_context(project, evaluation, framework, guide=engine_guide(evaluation.framework_version))
    context["evaluations"] = evaluations
    context["is_latest"] = evaluation.revision == evaluations[0].revision
    context["newer_revision_pending"] = project.revision > evaluations[0].revision
    # A custodian sees what other custodians changed since it confirmed (which lapses nothing).
    context["my_assessments"] = [
        a for a in permissions.editable_assessments(request.user, project) if a.confirmed_snapshot
    ]
    return render(request, "projects/risk_profile.html", context)


def _empty_context(project):
    """Not evaluated yet: who still has to submit or confirm."""
    assessments = project_assessments(project)
    waiting = []
    for a in assessments:
        submitted = a.is_submitted
        confirmed = a.is_confirmed
        if not (submitted and confirmed):
            waiting.append({"name": a.organisation.name, "submitted": submitted, "confirmed": confirmed})
    return {
        "project": project,
        "evaluation": None,
        "evaluations": [],
        "custodians_waiting": waiting,
        "custodian_count": len(assessments),
    }
