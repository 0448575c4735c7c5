"""After approval: a project's obligations, each person's list, acting on one, and renewal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import permissions
from ..errors import FieldInvalid, PriamError
from ..forms.obligations import DueDateForm, ObligationActionForm, ObligationFilterForm, RenewalForm
from ..selectors.evidence import evidence_upload_target
from ..selectors.obligations import (
    ObligationFilters,
    obligation_histories,
    obligations_for_user,
    project_obligations,
)
from ..selectors.projects import project_assessments
from ..services.obligations import obligation_return, obligation_set_due, obligation_sign_off, obligation_waive
from ..services.projects import project_renew


@login_required
def project_obligations_page(request, pk):
    project = permissions.project_for(request.user, pk)
    return render(request, "obligations/project.html", obligations_page_context(request, project))


def obligations_page_context(request, project):
    found = project_obligations(project)
    rights = permissions.ObligationRights(request.user, project)
    live = found.approval is not None and found.approval.status == "active"
    here = reverse("project_obligations", args=[project.pk])
    for o in found.obligations:
        o.can_check = rights.can_check(o)
        o.upload_target = (
            evidence_upload_target(project, next_url=f"{here}#obligation-{o.pk}", obligation=o)
            if live and not o.is_settled and rights.can_upload(o)
            else None
        )
    return {
        "project": project,
        "found": found,
        "histories": obligation_histories(found.obligations),
        "can_renew": permissions.can_renew(request.user, project),
        "can_withdraw": live and permissions.can_withdraw_approval(request.user, found.approval),
    }


@login_required
def my_obligations(request):
    # What still waits, unless the reader asks for more.
    form = ObligationFilterForm(request.GET or None, initial={"status": "open"})
    filters = ObligationFilters(status="open")
    if form.is_valid():
        filters = ObligationFilters(**{k: v for k, v in form.cleaned_data.items() if v})
    page = Paginator(obligations_for_user(request.user, filters), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "obligations/mine.html",
        {"form": form, "page": page, "filtered": bool(request.GET)},
        status=400 if form.errors else 200,
    )


ACTIONS = {
    "sign-off": (obligation_sign_off, "note", "signed off as met"),
    "waive": (obligation_waive, "reason", "waived"),
    "return": (obligation_return, "reason", "returned: the coordinator is told what is missing"),
}


@login_required
@require_POST
def obligation_act(request, pk, action):
    obligation = permissions.obligation_for(request.user, pk)
    back = reverse("project_obligations", args=[obligation.project_id]) + f"#obligation-{obligation.pk}"
    if action == "due":
        form = DueDateForm(request.POST)
        try:
            if not form.is_valid():
                raise FieldInvalid("Choose a valid due date.", field="due_on")
            obligation_set_due(
                obligation=obligation, user=request.user, due_on=form.cleaned_data["due_on"], request=request
            )
        except PriamError as error:
            messages.error(request, f"Obligation {obligation.number}: {error}")
        else:
            messages.success(
                request, f"Obligation {obligation.number} is now due {form.cleaned_data['due_on']:%-d %B %Y}."
            )
        return redirect(back)
    if action not in ACTIONS:
        raise Http404("No such action.")
    service, argument, done = ACTIONS[action]
    form = ObligationActionForm(request.POST)
    text = request.POST.get("text", "")
    try:
        if not form.is_valid():
            raise FieldInvalid(" ".join(form.errors.get("text", ["Check the note."])), field="text")
        service(obligation=obligation, user=request.user, request=request, **{argument: form.cleaned_data["text"]})
    except PriamError as error:
        # Shown beside the obligation with what was typed, so nothing is lost.
        return _project_page_with_error(request, obligation, action, text, error)
    messages.success(request, f"Obligation {obligation.number} {done}.")
    return redirect(back)


def _project_page_with_error(request, obligation, action, text, error):
    context = obligations_page_context(request, obligation.project)
    context["failed"] = {"pk": obligation.pk, "action": action, "text": text, "error": str(error)}
    return render(request, "obligations/project.html", context, status=error.status)


@login_required
def project_renew_page(request, pk):
    project = permissions.project_for(request.user, pk)
    if not permissions.can_renew(request.user, project):
        if permissions.can_edit_project_answers(request.user, project):
            messages.error(request, "Only a decided project is renewed; this one is still being decided.")
            return redirect("project_detail", pk=project.pk)
        raise Http404("Only the project's coordinator renews its approval.")
    form = RenewalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project_renew(project=project, actor=request.user, request=request, **form.cleaned_data)
        except FieldInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Renewal opened as revision {project.revision + 1}, from the approved answers. Each custodian "
                "submits and confirms again, then it is signed off like the first approval.",
            )
            return redirect("project_detail", pk=project.pk)
    return render(
        request,
        "obligations/renew.html",
        {
            "project": project,
            "form": form,
            "found": project_obligations(project),
            "assessments": project_assessments(project),
        },
        status=400 if form.errors else 200,
    )
