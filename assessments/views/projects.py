"""Project pages: list, open, details, overview. Questionnaire pages live in views/questionnaire.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from .. import permissions
from ..errors import PriamError
from ..forms.panels import SendToPanelForm
from ..forms.projects import AmendmentForm, ProjectCreateForm, ProjectEditForm, ProjectFilterForm
from ..selectors.comments import project_thread
from ..selectors.dashboards import ProjectFilters, project_dashboard, waits_for
from ..selectors.framework_change import framework_change_preview
from ..selectors.frameworks import engine_framework, framework_default, newer_framework_versions
from ..selectors.panels import last_panel_id
from ..selectors.projects import project_assessments, project_overview
from ..services.projects import (
    DETAIL_FIELDS,
    project_apply_framework,
    project_create,
    project_request_amendment,
    project_update_details,
)
from .questionnaire import _with_urls


@login_required
def projects(request):
    form = ProjectFilterForm(request.GET or None)
    filters = ProjectFilters(**form.cleaned_data) if form.is_valid() else ProjectFilters()
    page = Paginator(project_dashboard(request.user, filters), 50).get_page(request.GET.get("page"))
    for project in page.object_list:
        project.waits_for = waits_for(project)
    return render(
        request,
        "projects/list.html",
        {
            "page": page,
            "projects": page.object_list,
            "form": form,
            "filtered": any(vars(filters).values()),
            "can_open": permissions.can_open_project(request.user),
        },
    )


@login_required
def project_new(request):
    organisations = permissions.coordinator_organisations(request.user)
    if not organisations:
        raise Http404("Only coordinators open projects.")
    form = ProjectCreateForm(
        request.POST if request.method == "POST" else None, coordinator_organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(
                actor=request.user,
                coordinating_organisation=form.cleaned_data["coordinating_organisation"],
                custodians=list(form.cleaned_data["custodians"]),
                framework_version=framework_default(),
                request=request,
                **{field: form.cleaned_data[field] for field in DETAIL_FIELDS},
            )
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Project “{project.title}” opened. Start with its questionnaire.")
            return redirect("project_detail", pk=project.pk)
    return render(request, "projects/new.html", {"form": form})


@login_required
def project_detail(request, pk):
    project = permissions.project_for(request.user, pk)
    return project_detail_page(request, project)


def project_detail_page(request, project, *, send_form=None, status=200):
    """The project page; `send_form` is a refused send-to-panel form to show again with its input."""
    context = project_overview(project, request.user)
    if context["can_send"] and send_form is None:
        # A referral or an amendment goes back to the panel that last reviewed the project, unless
        # the coordinator chooses another.
        last = last_panel_id(project)
        send_form = SendToPanelForm(initial={"panel": last} if last else None)
    context["send_form"] = send_form if context["can_send"] else None
    _with_urls(context["project_sections"], project, None)
    context["conversation"] = project_thread(project)
    context["can_comment"] = permissions.can_comment(request.user, project)
    return render(request, "projects/detail.html", context, status=status)


@login_required
def project_edit(request, pk):
    project = permissions.project_for(request.user, pk)
    if not permissions.can_edit_project_details(request.user, project):
        raise Http404("Only the project's coordinator edits its details.")
    if project.is_locked and request.method == "GET":
        # Say so before anyone types: the service would refuse the save anyway. (A form opened
        # earlier and posted now is refused by the service below, with what was typed kept.)
        messages.error(
            request,
            "The project has been decided: to change its details, request an amendment first."
            if project.status == project.Status.DECIDED
            else "The project is with the approval panel: its details are locked until the panel decides or refers it back.",
        )
        return redirect("project_detail", pk=project.pk)
    form = (
        ProjectEditForm(request.POST, instance=project)
        if request.method == "POST"
        else ProjectEditForm(instance=project)
    )
    if request.method == "POST" and form.is_valid():
        try:
            project_update_details(
                project=project,
                actor=request.user,
                add_custodians=list(form.cleaned_data["add_custodians"]),
                request=request,
                **{field: form.cleaned_data[field] for field in DETAIL_FIELDS},
            )
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Project details saved.")
            return redirect("project_detail", pk=project.pk)
    return render(request, "projects/edit.html", {"form": form, "project": project})


@login_required
def project_amend(request, pk):
    """Confirm, then open a decided project for change as a new revision (the record stays in force)."""
    project = permissions.project_for(request.user, pk)
    if not permissions.can_request_amendment(request.user, project):
        if permissions.can_edit_project_answers(request.user, project):
            messages.error(request, "Only a decided project needs an amendment; this one can be changed directly.")
            return redirect("project_detail", pk=project.pk)
        raise Http404("Only the project's coordinator requests an amendment.")
    form = AmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project_request_amendment(
                project=project, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Amendment opened as revision {project.revision + 1}. The decision in force stays in force "
                "until the panel decides on the amended project.",
            )
            return redirect("project_detail", pk=project.pk)
    return render(
        request,
        "projects/amend.html",
        {"project": project, "form": form, "assessments": project_assessments(project)},
        status=400 if form.errors else 200,
    )


@login_required
def project_framework(request, pk):
    """The project under its framework version and a newer one, side by side: anyone who sees
    the project reads it; its coordinator applies the newer version explicitly."""
    project = permissions.project_for(request.user, pk)
    newer = newer_framework_versions(project)
    wanted = request.POST.get("version") or request.GET.get("version")
    version = next((v for v in newer if v.version == wanted or v.spec == wanted), None)
    if version is None:
        raise Http404("No such newer framework version.")
    can_apply = permissions.can_change_framework(request.user, project)
    if request.method == "POST":
        if not can_apply:
            raise PermissionDenied("Only the project's coordinator moves it to a newer version, while it is assessed.")
        try:
            project = project_apply_framework(project=project, version=version, actor=request.user, request=request)
        except PriamError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"The project now uses {version.spec} as revision {project.revision}; "
                "every custodian confirms the answers again, and answers the new questions first.",
            )
        return redirect("project_detail", pk=project.pk)
    return render(
        request,
        "projects/framework.html",
        {
            "project": project,
            "version": version,
            "preview": framework_change_preview(project=project, version=version),
            "can_apply": can_apply,
            "is_coordinator": permissions.can_edit_project_answers(request.user, project),
            "safe_labels": {**engine_framework(version).safe_labels, "overall": "Overall"},
        },
    )
