"""The questionnaire: one step per safe, for the project's answers or one custodian's."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import engine, permissions
from ..errors import ConfirmationStale, ProjectLocked, SectionConflict, SubmissionIncomplete
from ..forms.questionnaire import SectionForm, display_answer, section_initial, to_answer
from ..selectors.comments import project_threads
from ..selectors.evidence import evidence_by_question, evidence_upload_target
from ..selectors.frameworks import engine_framework, engine_guide
from ..selectors.projects import project_problems, questionnaire_sections, questions_missing
from ..services.answers import section_save
from ..services.assessments import assessment_confirm, assessment_submit


@login_required
def project_section(request, pk, safe):
    project = permissions.project_for(request.user, pk)
    editable = permissions.can_edit_project_answers(request.user, project)
    return _section(request, project, safe, None, editable)


@login_required
def assessment_section(request, pk, aid, safe):
    project = permissions.project_for(request.user, pk)
    assessment = permissions.assessment_for(request.user, project, aid)
    editable = permissions.can_edit_assessment(request.user, assessment)
    return _section(request, project, safe, assessment, editable)


def _section_url(project, assessment, safe):
    if assessment is None:
        return reverse("project_section", args=[project.pk, safe])
    return reverse("assessment_section", args=[project.pk, assessment.pk, safe])


def _overview_url(project, assessment):
    if assessment is None:
        return reverse("project_detail", args=[project.pk])
    return reverse("assessment_detail", args=[project.pk, assessment.pk])


def _check_url(project, assessment):
    return reverse("assessment_check", args=[project.pk, assessment.pk])


def _next_url(project, assessment, sections, position):
    """Where "continue" goes: the next section, then a custodian's summary, else the project page."""
    if position + 1 < len(sections):
        return sections[position + 1].url
    return _check_url(project, assessment) if assessment else _overview_url(project, assessment)


def _with_urls(sections, project, assessment):
    for section in sections:
        section.url = _section_url(project, assessment, section.safe)
    return sections


def _section(request, project, safe, assessment, editable):
    status = 200
    sections = _with_urls(questionnaire_sections(project, assessment), project, assessment)
    position = next((i for i, s in enumerate(sections) if s.safe == safe), None)
    if position is None:
        raise Http404("No such section.")
    section = sections[position]
    framework = engine_framework(project.framework_version)
    help_links = {"guide": engine_guide(project.framework_version), "glossary_url": reverse("glossary")}
    owner = assessment or project
    version = owner.sections.get(safe, {"version": 0})["version"]
    conflict = None

    if request.method == "POST":
        if not editable:
            raise Http404("You cannot edit this section.")
        form = SectionForm(request.POST, questions=section.editable, framework=framework, **help_links)
        if form.is_valid():
            try:
                section_save(
                    project=project,
                    assessment=assessment,
                    safe=safe,
                    answers=form.answers(),
                    base_version=form.cleaned_data["base_version"],
                    actor=request.user,
                    request=request,
                )
            except SectionConflict as error:
                conflict = error
                data = request.POST.copy()
                data["base_version"] = str(error.version)  # a second save is then a deliberate choice
                form = SectionForm(data, questions=section.editable, framework=framework, **help_links)
                form.is_valid()
            except ProjectLocked as error:
                # Keep what the user typed on screen, read-only, rather than losing it.
                messages.error(request, f"{error} Your answers below were not saved.")
                editable, status = False, 409
            else:
                _saved_message(request, project, assessment, section)
                if "continue" in request.POST:
                    return redirect(_next_url(project, assessment, sections, position))
                return redirect(_section_url(project, assessment, safe))
        posted = {
            q.id: to_answer(q, form.cleaned_data.get(q.id)) if hasattr(form, "cleaned_data") else None
            for q in section.editable
        }
        current = {
            **project.answers,
            **(assessment.answers if assessment else {}),
            **{k: v for k, v in posted.items() if v is not None},
        }
    else:
        form = SectionForm(
            initial=section_initial(section.editable, owner.answers, version),
            questions=section.editable,
            framework=framework,
            **help_links,
        )
        current = {**project.answers, **(assessment.answers if assessment else {})}

    effective = engine.effective_answers(framework, current)
    evidence = _evidence_beside(request, project, assessment, section)
    threads = project_threads(project)
    questions = [
        {
            **evidence(q, assessment if q.scope == "custodian" else None),
            "question": q,
            "field": form[q.id],
            "hidden": bool(q.show_if) and not framework.is_visible(q, effective),
            "show_if": json.dumps(framework.show_if_spec(q)) if q.show_if else "",
            "theirs": display_answer(q, conflict.their_answers.get(q.id)) if conflict else None,
            "stored": display_answer(q, owner.answers.get(q.id)),
            "posted": display_answer(q, current.get(q.id)) if request.method == "POST" else None,
            # A custodian-scope question's thread is about this custodian's answer.
            "comments": threads.of(q.id, assessment if q.scope == "custodian" else None),
            "thread_assessment": assessment.pk if assessment is not None and q.scope == "custodian" else "",
        }
        for q in section.editable
    ]
    readonly = [
        {
            "question": q,
            "answer": display_answer(q, project.answers.get(q.id)),
            **evidence(q, None),
            "comments": threads.of(q.id),
        }
        for q in section.readonly
    ]
    return render(
        request,
        "projects/section.html",
        {
            "project": project,
            "assessment": assessment,
            "sections": sections,
            "section": section,
            "position": position + 1,
            "complete_count": sum(s.complete for s in sections),
            "form": form,
            "questions": questions,
            "readonly": readonly,
            "editable": editable,
            "conflict": conflict,
            "overview_url": _overview_url(project, assessment),
            "next_url": _next_url(project, assessment, sections, position),
            "check_url": _check_url(project, assessment) if assessment else None,
            "locked": project.is_locked or status == 409,
            "unsaved": status == 409,
            "can_comment": permissions.can_comment(request.user, project),
        },
        status=status,
    )


def _evidence_beside(request, project, assessment, section):
    """Each question's documents (one query for the whole section) and, where the user may add
    one, its upload form's target. `owner`: the assessment for a custodian's own question, else None."""
    found = evidence_by_question(project, assessment, [q.id for q in section.editable + section.readonly])
    here = _section_url(project, assessment, section.safe)
    may_upload = {}

    def beside(question, owner):
        if owner not in may_upload:
            may_upload[owner] = not project.is_locked and permissions.can_upload_answer_evidence(
                request.user, project, owner
            )
        target = None
        if may_upload[owner]:
            target = evidence_upload_target(
                project, next_url=f"{here}#q-{question.id}", question=question.id, assessment=owner
            )
        return {"evidence": found.get((question.id, owner.pk if owner else None), []), "upload_target": target}

    return beside


def _saved_message(request, project, assessment, section):
    # A draft may be incomplete; say what is left so "continue" does not hide it.
    project.refresh_from_db()
    if assessment is not None:
        assessment.refresh_from_db()
    missing = questions_missing(project, assessment, section.editable)
    if not missing:
        messages.success(request, f"{section.label} saved as a draft.")
        return
    messages.warning(
        request,
        f"{section.label} saved as a draft. Still to answer: {'; '.join(q.text for q in missing)}.",
    )


@login_required
def assessment_detail(request, pk, aid):
    project = permissions.project_for(request.user, pk)
    assessment = permissions.assessment_for(request.user, project, aid)
    return _assessment_page(request, project, assessment)


def _assessment_page(request, project, assessment, problems=None, status=200):
    sections = _with_urls(questionnaire_sections(project, assessment), project, assessment)
    project_problem_list = project_problems(project, [], scope="project")
    return render(
        request,
        "projects/assessment.html",
        {
            "project": project,
            "assessment": assessment,
            "sections": sections,
            "complete_count": sum(s.complete for s in sections),
            "editable": permissions.can_edit_assessment(request.user, assessment),
            "problems": problems or [],
            "project_answers_complete": not project_problem_list,
            "locked": project.is_locked,
            "check_url": _check_url(project, assessment),
        },
        status=status,
    )


@login_required
def assessment_check(request, pk, aid):
    """Check your answers: every answer by safe, what is missing, and the final submit."""
    project = permissions.project_for(request.user, pk)
    assessment = permissions.assessment_for(request.user, project, aid)
    return _check_page(request, project, assessment)


def _check_page(request, project, assessment, status=200):
    framework = engine_framework(project.framework_version)
    sections = _with_urls(questionnaire_sections(project, assessment), project, assessment)
    effective = engine.effective_answers(framework, {**project.answers, **assessment.answers})
    changeable = permissions.can_edit_assessment(request.user, assessment) and not project.is_locked

    def rows(questions, answers, url):
        return [
            {
                "question": q,
                "answer": display_answer(q, answers.get(q.id)),
                "answered": q.id in answers,
                "change_url": f"{url}#q-{q.id}" if url else None,
            }
            for q in questions
            if not q.show_if or framework.is_visible(q, effective)
        ]

    urls = {s.safe: s.url for s in sections}
    missing = [
        {"problem": p, "url": f"{urls[p.safe]}#q-{p.question}" if p.safe in urls else None}
        for p in project_problems(project, [assessment], scope="custodian")
    ]
    return render(
        request,
        "projects/check_answers.html",
        {
            "project": project,
            "assessment": assessment,
            "sections": sections,
            "complete_count": sum(s.complete for s in sections),
            "check_url": _check_url(project, assessment),
            "on_check": True,
            "groups": [
                {
                    "section": s,
                    "own": rows(s.editable, assessment.answers, s.url if changeable else None),
                    "project": rows(s.readonly, project.answers, None),
                }
                for s in sections
            ],
            "missing": missing,
            "can_submit": changeable and not missing and not assessment.is_submitted,
            "locked": project.is_locked,
        },
        status=status,
    )


def _assessment_action(request, pk, aid, action, done_message, incomplete_page=None, **extra):
    project = permissions.project_for(request.user, pk)
    assessment = permissions.assessment_for(request.user, project, aid)
    if not permissions.can_edit_assessment(request.user, assessment):
        raise Http404("Only members of this custodian organisation act on its assessment.")
    try:
        _, evaluation = action(assessment=assessment, actor=request.user, request=request, **extra)
    except SubmissionIncomplete as error:
        messages.error(request, str(error))
        if incomplete_page is not None:
            return incomplete_page(request, project, assessment, status=400)
        return _assessment_page(request, project, assessment, problems=error.problems, status=400)
    except ConfirmationStale as error:
        messages.error(request, str(error))
        return _assessment_page(request, project, assessment, status=409)
    except ProjectLocked as error:
        messages.error(request, str(error))
        return redirect("assessment_detail", pk=project.pk, aid=assessment.pk)
    messages.success(request, done_message)
    if evaluation is not None:
        messages.success(request, "Every custodian has submitted and confirmed: the risk profile is ready.")
        return redirect("risk_profile", pk=project.pk)
    return redirect("assessment_detail", pk=project.pk, aid=assessment.pk)


@require_POST
@login_required
def assessment_submit_view(request, pk, aid):
    # An incomplete submission goes back to the summary, which lists what is missing.
    return _assessment_action(request, pk, aid, assessment_submit, "Assessment submitted.", incomplete_page=_check_page)


@require_POST
@login_required
def assessment_confirm_view(request, pk, aid):
    try:
        seen = int(request.POST.get("answers_version", ""))
    except ValueError:
        seen = -1  # a form without the version it was reviewed at confirms nothing
    return _assessment_action(
        request,
        pk,
        aid,
        assessment_confirm,
        "You confirmed the project-scope answers you reviewed.",
        answers_version=seen,
    )
