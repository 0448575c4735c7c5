"""A project's risk profile to take away: as a PDF (an assessment, not a decision) and as the
exchange format's JSON. For whoever can see the project, as its risk profile page is."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from .. import exports, permissions
from ..selectors.frameworks import engine_framework
from ..selectors.projects import evaluation_full, project_evaluations


def _evaluation(request, pk, revision):
    """The project's latest evaluation, or that of `revision`; 404 when not allowed or not there."""
    project = permissions.project_for(request.user, pk)
    evaluations = project_evaluations(project)
    chosen = next((e for e in evaluations if revision is None or e.revision == revision), None)
    if chosen is None:
        raise Http404("No evaluation of that revision.")
    return project, evaluation_full(chosen)


def _download(body, content_type, filename):
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def risk_profile_pdf(request, pk, revision=None):
    project, evaluation = _evaluation(request, pk, revision)
    pdf = exports.risk_profile_pdf(project, evaluation, engine_framework(evaluation.framework_version))
    return _download(pdf, "application/pdf", exports.export_filename(project, evaluation, "pdf"))


@login_required
def risk_profile_json(request, pk, revision=None):
    project, evaluation = _evaluation(request, pk, revision)
    body = exports.exchange_json(evaluation)
    return _download(body, "application/json; charset=utf-8", exports.export_filename(project, evaluation, "json"))
