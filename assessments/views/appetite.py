"""Custodians' risk appetite pages: which route each overall tier takes, in the custodian's words.

An appetite is checked against the default framework's tiers and safes, as the services check it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .. import engine, permissions
from ..errors import DefinitionInvalid, PriamError
from ..forms.criteria import ROUTE_LABELS, AppetiteForm, choices_from_appetite, tier_bands, tier_field
from ..selectors.criteria import appetite_versions
from ..selectors.frameworks import engine_framework, framework_default
from ..services.criteria import appetite_draft_save, appetite_publish
from .criteria import appetite_words, managed_organisation_for, organisation_for, split_versions


@login_required
def appetite_index(request, slug):
    organisation = organisation_for(slug)
    framework = engine_framework(framework_default())
    draft, versions = split_versions(appetite_versions(organisation))
    if not permissions.can_read_criteria_drafts(request.user, organisation):
        draft = None
    published = [{"version": v, "words": appetite_words(framework, v.data)} for v in versions]
    return render(
        request,
        "criteria/appetite_index.html",
        {
            "organisation": organisation,
            "draft": draft,
            "draft_words": appetite_words(framework, draft.data) if draft else None,
            "published": published,
            "default_words": engine.describe_appetite(framework, engine.DEFAULT_APPETITE),
            "can_manage": permissions.can_manage_criteria(request.user, organisation),
        },
    )


@login_required
def appetite_edit(request, slug):
    organisation = managed_organisation_for(request.user, slug)
    framework = engine_framework(framework_default())
    draft, published = split_versions(appetite_versions(organisation))
    if request.method != "POST":
        latest = draft or next(iter(published), None)
        return _editor(request, organisation, _form(framework, latest, draft), draft, framework)
    form = AppetiteForm(request.POST, framework=framework)
    if form.is_valid():
        data = form.appetite()
        try:
            draft, problems = appetite_draft_save(
                organisation=organisation,
                data=data,
                note=form.cleaned_data["note"],
                actor=request.user,
                request=request,
            )
        except PriamError as error:
            form.add_error(None, str(error))
        else:
            if not problems and "review" in request.POST:
                return redirect("appetite_publish", slug=organisation.slug)
            if not problems:
                messages.success(request, "Draft saved. It has no problems: you can review and publish it.")
                return redirect("appetite_edit", slug=organisation.slug)
            messages.warning(request, "Draft saved, but it has problems: it cannot be published until they are fixed.")
            _place(form, problems, data, framework)
            return _editor(request, organisation, form, draft, framework)
    return _editor(request, organisation, form, draft, framework, status=400)


@login_required
def appetite_publish_view(request, slug):
    organisation = managed_organisation_for(request.user, slug)
    framework = engine_framework(framework_default())
    draft, published = split_versions(appetite_versions(organisation))
    if draft is None:
        messages.error(request, "There is no draft to publish: choose the routes first.")
        return redirect("appetite_edit", slug=organisation.slug)
    if request.method == "POST":
        if request.POST.get("reviewed") != draft.updated_at.isoformat():
            messages.error(request, "The draft changed since you reviewed it: review it again before publishing.")
            return redirect("appetite_publish", slug=organisation.slug)
        try:
            version = appetite_publish(draft=draft, actor=request.user, request=request)
        except DefinitionInvalid as refused:
            messages.error(request, str(refused))
            form = _form(framework, draft, draft, refused.problems)
            return _editor(request, organisation, form, draft, framework, status=400)
        except PriamError as error:
            messages.error(request, str(error))
            return redirect("appetite_index", slug=organisation.slug)
        messages.success(request, f"Risk appetite version {version.number} published.")
        return redirect("appetite_index", slug=organisation.slug)
    if engine.appetite_problems(framework, draft.data):
        messages.error(request, "The draft has problems: fix them before publishing.")
        return _editor(request, organisation, _form(framework, draft, draft), draft, framework, status=400)
    return render(
        request,
        "criteria/appetite_publish.html",
        {
            "organisation": organisation,
            "draft": draft,
            "words": appetite_words(framework, draft.data),
            "current": appetite_words(framework, published[0].data) if published else None,
            "number": (published[0].number if published else 0) + 1,
        },
    )


def _form(framework, shown, draft, problems=None):
    """The editor's form, starting from `shown` (the draft, else the latest published version); a
    draft is bound, so its problems sit beside the tiers they concern."""
    if shown is None:
        return AppetiteForm(framework=framework)
    initial = {**choices_from_appetite(shown.data, framework), "note": shown.note if shown is draft else ""}
    if shown is not draft:
        return AppetiteForm(framework=framework, initial=initial)
    form = AppetiteForm(initial, framework=framework)
    form.is_valid()
    _place(
        form, engine.appetite_problems(framework, draft.data) if problems is None else problems, draft.data, framework
    )
    return form


def _place(form, problems, data, framework):
    """Put each engine problem beside the first tier of the band it concerns, naming the tiers."""
    bands = tier_bands(data, framework)
    for problem in problems:
        key = "otherwise" if problem.item == "otherwise" else problem.index
        if problem.item and problem.item.startswith("routes") and key in bands or key == "otherwise":
            low, high = bands[key]
            message = _in_words(problem.message)
            if isinstance(key, int) and key > 0:
                message = message.replace("for lower tiers", f"for {_tiers(*bands[key - 1]).lower()}")
            form.add_error(tier_field(low), f"{_tiers(low, high)}: {message}")
        else:
            form.add_error(None, _in_words(str(problem)))


def _tiers(low, high):
    return f"Tier {low}" if low == high else f"Tiers {low}–{high}"


def _in_words(message):
    for route, label in ROUTE_LABELS.items():
        message = message.replace(f'"{route}"', f"“{label}”")
    return message


def _editor(request, organisation, form, draft, framework, *, status=200):
    return render(
        request,
        "criteria/appetite_edit.html",
        {
            "organisation": organisation,
            "form": form,
            "draft": draft,
            "draft_words": appetite_words(framework, draft.data) if draft else None,
        },
        status=status,
    )
