"""Custodians' criteria pages: every signed-in user reads published versions (custodians calibrate
against each other); the organisation's members read its draft; its criteria managers edit and
publish it. Appetite pages live in views/appetite.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .. import engine, permissions
from ..errors import DefinitionInvalid, PriamError
from ..forms.criteria import CRITERIA_EXAMPLE, CriteriaDraftForm
from ..selectors.criteria import (
    criteria_draft,
    criteria_published,
    criteria_versions,
    draft_starting_point,
    engine_criteria,
    organisation_by_slug,
)
from ..selectors.criteria_pages import latest_published_by_organisation
from ..selectors.frameworks import engine_framework, framework_default, framework_versions
from ..services.criteria import DRAFT_VERSION, criteria_draft_save, criteria_publish, criteria_set

PHASE_WORDS = {1: "this custodian's own data", 3: "the whole project"}


def split_versions(versions):
    """(the draft or None, the published versions newest first), whatever order they came in."""
    draft = next((v for v in versions if v.is_draft), None)
    return draft, sorted((v for v in versions if not v.is_draft), key=lambda v: -v.number)


def organisation_for(slug):
    organisation = organisation_by_slug(slug)
    if organisation is None:
        raise Http404("No such organisation.")
    return organisation


def managed_organisation_for(user, slug):
    """The organisation, for its criteria managers only: 404 for everyone else, as for a stranger."""
    organisation = organisation_for(slug)
    if not permissions.can_manage_criteria(user, organisation):
        raise Http404("Only the organisation's criteria managers edit its criteria.")
    return organisation


@login_required
def custodians_criteria(request):
    """Every organisation's latest published criteria and appetite, side by side."""
    framework = engine_framework(framework_default())
    rows = [
        {
            "organisation": organisation,
            "criteria": criteria,
            "rule_count": len(criteria.data["rules"]) if criteria else 0,
            "appetite": appetite,
            "appetite_words": appetite_words(framework, appetite.data) if appetite else None,
        }
        for organisation, criteria, appetite in latest_published_by_organisation()
    ]
    managed = {o.pk for o in permissions.criteria_organisations(request.user)}
    return render(request, "criteria/custodians.html", {"rows": rows, "managed": managed})


@login_required
def criteria_index(request, slug):
    organisation = organisation_for(slug)
    draft, published = split_versions(criteria_versions(organisation))
    may_read_draft = permissions.can_read_criteria_drafts(request.user, organisation)
    latest = framework_default()
    return render(
        request,
        "criteria/index.html",
        {
            "organisation": organisation,
            "latest_framework": latest,
            # Criteria target one framework version: published only for older ones, they stop
            # applying to the projects that move to (or open under) the latest.
            "behind_latest": bool(published) and all(v.framework_version_id != latest.pk for v in published),
            "draft": draft if may_read_draft else None,
            "draft_problems": _draft_problems(draft) if draft and may_read_draft else [],
            "published": published,
            "can_manage": permissions.can_manage_criteria(request.user, organisation),
        },
    )


@login_required
def criteria_version(request, slug, number):
    organisation = organisation_for(slug)
    version = criteria_published(organisation, number)
    if version is None:
        raise Http404("No such criteria version.")
    framework = engine_framework(version.framework_version)
    return render(
        request,
        "criteria/version.html",
        {
            "organisation": organisation,
            "version": version,
            "rules": rule_rows(engine_criteria(version), framework),
        },
    )


@login_required
def criteria_edit(request, slug):
    """Save the draft as typed, valid or not; the engine's problems come back naming the rule."""
    organisation = managed_organisation_for(request.user, slug)
    draft = criteria_draft(organisation)
    if request.method != "POST":
        return _editor(request, organisation, draft_form(draft, organisation=organisation))
    form = CriteriaDraftForm(request.POST, framework_versions=framework_versions())
    if form.is_valid():
        try:
            draft, problems = criteria_draft_save(
                organisation=organisation,
                text=form.cleaned_data["text"],
                framework_version=form.cleaned_data["framework_version"],
                note=form.cleaned_data["note"],
                actor=request.user,
                request=request,
            )
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            if not problems and "review" in request.POST:
                return redirect("criteria_publish", slug=organisation.slug)
            if not problems:
                messages.success(request, "Draft saved. It has no problems: you can review and publish it.")
                return redirect("criteria_edit", slug=organisation.slug)
            # Saved as typed and shown again at once, problems first: the bound form holds exactly
            # what was typed, so nothing is lost even before the redirect a valid save gets.
            messages.warning(
                request,
                f"Draft saved with {len(problems)} problem{'s' if len(problems) != 1 else ''}: "
                "it cannot be published until they are fixed.",
            )
            _place(form, problems)
            return _editor(request, organisation, form)
    return _editor(request, organisation, form, status=400)


@login_required
def criteria_publish_view(request, slug):
    """Confirm, then publish the draft as the next version: published versions never change."""
    organisation = managed_organisation_for(request.user, slug)
    draft = criteria_draft(organisation)
    if draft is None:
        messages.error(request, "There is no draft to publish: write one first.")
        return redirect("criteria_edit", slug=organisation.slug)
    if request.method == "POST":
        if request.POST.get("reviewed") != draft.updated_at.isoformat():
            messages.error(request, "The draft changed since you reviewed it: review it again before publishing.")
            return redirect("criteria_publish", slug=organisation.slug)
        try:
            version = criteria_publish(draft=draft, actor=request.user, request=request)
        except DefinitionInvalid as refused:
            messages.error(request, str(refused))
            return _editor(request, organisation, draft_form(draft, refused.problems), status=400)
        except PriamError as error:
            messages.error(request, str(error))
            return redirect("criteria_index", slug=organisation.slug)
        messages.success(request, f"Criteria version {version.number} published.")
        return redirect("criteria_version", slug=organisation.slug, number=version.number)
    problems = _draft_problems(draft)
    if problems:
        messages.error(request, "The draft has problems: fix them before publishing.")
        return _editor(request, organisation, draft_form(draft, problems), status=400)
    framework = engine_framework(draft.framework_version)
    _, published = split_versions(criteria_versions(organisation))
    return render(
        request,
        "criteria/publish.html",
        {
            "organisation": organisation,
            "draft": draft,
            "rules": rule_rows(engine.compile_criteria(framework, draft.data), framework),
            "number": (published[0].number if published else 0) + 1,
        },
    )


def draft_form(draft, problems=None, organisation=None):
    """The editor's form: a saved draft as a bound form, so its problems sit beside the rules."""
    if draft is None:
        # A new draft starts from the version in force: publishing it must not drop rules by accident.
        latest = draft_starting_point(organisation)
        # ...under the latest framework version, where new projects are assessed.
        initial = {"framework_version": framework_default(), "text": latest.text if latest else ""}
        return CriteriaDraftForm(framework_versions=framework_versions(), initial=initial)
    form = CriteriaDraftForm(
        {"framework_version": draft.framework_version_id, "text": draft.text, "note": draft.note},
        framework_versions=framework_versions(),
    )
    form.is_valid()
    _place(form, _draft_problems(draft) if problems is None else problems)
    return form


def _place(form, problems):
    for problem in problems:
        form.add_error("text", str(problem))


def _editor(request, organisation, form, *, status=200):
    return render(
        request,
        "criteria/edit.html",
        {"organisation": organisation, "form": form, "example": CRITERIA_EXAMPLE},
        status=status,
    )


def _draft_problems(draft):
    _, problems = criteria_set(
        organisation=draft.organisation,
        framework_version=draft.framework_version,
        text=draft.text,
        version=DRAFT_VERSION,
    )
    return problems


def appetite_words(framework, data):
    """An appetite in the custodian's own words, or None if the framework no longer accepts it."""
    if engine.appetite_problems(framework, data):
        return None
    return engine.describe_appetite(framework, engine.cached_appetite(framework, data))


def rule_rows(criteria, framework):
    return [
        {
            "id": rule.id,
            "phase": rule.phase,
            "phase_words": PHASE_WORDS[rule.phase],
            "sentence": rule.sentence,
            "effects": [effect_words(effect, framework) for effect in rule.effects],
            "justification": rule.justification,
            "sources": rule.source_details,
        }
        for rule in criteria.rules
    ]


def effect_words(effect, framework):
    if "raise" in effect:
        safe, tier = effect["raise"], effect["to"]
        return f"raises the {framework.safe_labels[safe].lower()} tier to at least {tier} ({framework.tier_name(tier)})"
    if effect.get("gap") == "blocking":
        return "adds a blocking condition: it must be met before access"
    if "gap" in effect:
        return "adds a condition to the approval"
    if "refer" in effect:
        return "refers the project to the approval panel"
    if "block" in effect:
        return "blocks approval: the project is not approvable as proposed"
    return str(effect)
