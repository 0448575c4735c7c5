"""Impact preview pages: a criteria manager re-scores the organisation's projects under its draft
criteria or appetite before publishing, and reads which projects would change. Only the
organisation's criteria managers run and read previews; everyone else gets 404.

Administrators preview a new framework version the same way, across every project whose latest
evaluation is under an older version of that framework; nobody else sees those pages (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from .. import permissions
from ..errors import PriamError
from ..models import ImpactPreview
from ..risk_profile import ROUTE_LABELS
from ..selectors.criteria import appetite_draft, criteria_draft
from ..selectors.frameworks import engine_framework, framework_default
from ..selectors.impact import (
    framework_preview_get,
    framework_previews_recent,
    framework_versions_previewable,
    impact_preview_get,
    impact_previews_recent,
)
from ..services.impact import framework_impact_request, impact_preview_request
from ..templatetags.priam import outcome_label
from .criteria import managed_organisation_for

CHANGES_PER_PAGE = 100
DRAFTS = {
    ImpactPreview.Kind.CRITERIA: (criteria_draft, "criteria_edit", "criteria"),
    ImpactPreview.Kind.APPETITE: (appetite_draft, "appetite_edit", "appetite"),
}


@login_required
def criteria_impact(request, slug):
    return _start(request, slug, ImpactPreview.Kind.CRITERIA)


@login_required
def appetite_impact(request, slug):
    return _start(request, slug, ImpactPreview.Kind.APPETITE)


def _start(request, slug, kind):
    """GET: what a preview does, and the recent ones; POST: queue one and go to its page."""
    organisation = managed_organisation_for(request.user, slug)
    get_draft, edit_url, tab = DRAFTS[kind]
    draft = get_draft(organisation)
    if request.method == "POST":
        if draft is None:
            messages.error(request, "There is no draft to preview: write one first.")
            return redirect(edit_url, slug=organisation.slug)
        try:
            preview = impact_preview_request(draft=draft, actor=request.user)
        except PriamError as error:
            messages.error(request, str(error))
            return redirect(edit_url, slug=organisation.slug)
        return redirect("impact_preview", slug=organisation.slug, preview_id=preview.pk)
    return render(
        request,
        "criteria/impact_start.html",
        {
            "organisation": organisation,
            "kind": kind,
            "kind_label": ImpactPreview.Kind(kind).label,
            "tab": tab,
            "draft": draft,
            "edit_url": edit_url,
            "previews": impact_previews_recent(organisation, kind),
        },
    )


@login_required
def impact_preview(request, slug, preview_id):
    organisation = managed_organisation_for(request.user, slug)
    preview = impact_preview_get(organisation, preview_id)
    if preview is None:
        raise Http404("No such impact preview.")
    get_draft, edit_url, tab = DRAFTS[preview.kind]
    context = {
        "organisation": organisation,
        "preview": preview,
        "tab": tab,
        "edit_url": edit_url,
        "start_url": "criteria_impact" if preview.kind == ImpactPreview.Kind.CRITERIA else "appetite_impact",
    }
    if preview.status == ImpactPreview.Status.DONE:
        draft = get_draft(organisation)
        framework = engine_framework(preview.framework_version or framework_default())
        page = Paginator(preview.result["changes"], CHANGES_PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            counts=preview.result["counts"],
            page=page,
            rows=[_change_row(change, framework) for change in page],
            skipped=preview.result["skipped"],
            draft_changed=draft is None or draft.updated_at != preview.draft_updated_at,
        )
    return render(request, "criteria/impact_status.html", context)


def _change_row(change, framework):
    """One changed project as the page reads it: only what changed, before and after, in words."""
    before, after = change["before"], change["after"]
    tiers = [
        {"label": framework.safe_labels.get(safe, safe), "before": before["tiers"].get(safe), "after": tier}
        for safe, tier in after["tiers"].items()
        if before["tiers"].get(safe) != tier
    ]
    return {
        **change,
        "tiers_changed": tiers,
        "overall_before": before["overall"],
        "overall_after": after["overall"],
        "outcome_before": outcome_label(before["outcome"], framework),
        "outcome_after": outcome_label(after["outcome"], framework),
        "routes": [
            {
                "custodian": r["custodian"],
                "before": ROUTE_LABELS.get(r["before"], r["before"]),
                "after": ROUTE_LABELS.get(r["after"], r["after"]),
            }
            for r in change["routes_changed"]
        ],
    }


# --- a new framework version (administrators) -------------------------------------------------


def _require_framework_previewer(user):
    if not permissions.can_preview_framework(user):
        raise Http404("No such page.")


@login_required
def framework_impact(request):
    """GET: pick a loaded version (``?version=`` preselects one) and see recent previews; POST: queue."""
    _require_framework_previewer(request.user)
    versions = framework_versions_previewable()
    wanted = request.POST.get("version") or request.GET.get("version")
    version = next((v for v in versions if v.spec == wanted), None)
    if request.method == "POST":
        if version is None:
            messages.error(request, "Choose a framework version that has an older version loaded.")
            return redirect("framework_impact")
        try:
            preview = framework_impact_request(version=version, actor=request.user)
        except PriamError as error:
            messages.error(request, str(error))
            return redirect("framework_impact")
        return redirect("framework_impact_preview", preview_id=preview.pk)
    return render(
        request,
        "frameworks/impact_start.html",
        {
            "versions": versions,
            "selected": version or (versions[0] if versions else None),
            "previews": framework_previews_recent(),
        },
    )


@login_required
def framework_impact_preview(request, preview_id):
    _require_framework_previewer(request.user)
    preview = framework_preview_get(preview_id)
    if preview is None:
        raise Http404("No such impact preview.")
    context = {"preview": preview}
    if preview.status == ImpactPreview.Status.DONE:
        framework = engine_framework(preview.framework_version)
        result = preview.result
        page = Paginator(result["changes"], CHANGES_PER_PAGE).get_page(request.GET.get("page"))
        counts = result["counts"]
        context.update(
            counts=counts,
            page=page,
            rows=[_framework_change_row(change, framework) for change in page],
            skipped=result["skipped"],
            rules_only=result.get("rules_only", []),
            criteria_ignored_by=sorted(result["criteria_ignored_by"].items()),
            criteria_published_by=sorted(result.get("criteria_published_by", {}).items()),
            unanswered_by=[
                _question(framework, question, n) for question, n in sorted(result.get("unanswered_by", {}).items())
            ],
            dimensions=[
                {
                    "key": key,
                    "label": label,
                    "changes": counts[key],
                    "depends": counts.get(f"{key}_depends", 0),
                    "questions": [
                        _question(framework, question, n)
                        for question, n in sorted(result.get("depends_on", {}).get(key, {}).items())
                    ],
                }
                for key, label in (("tier", "Tier"), ("outcome", "Outcome"), ("route", "Route (some custodian)"))
            ],
        )
    return render(request, "frameworks/impact_status.html", context)


def _question(framework, question_id, n=None):
    question = framework.questions_by_id.get(question_id)
    return {"id": question_id, "label": question.label if question else question_id, "n": n}


def _framework_change_row(change, framework):
    """One project under the new version as the page reads it: each of tier, outcome and route
    "changes" (whatever the new questions' answers), "depends" (on them) or None; what differs,
    before and after, with the range from the least risky answers to the worst where they differ."""
    before, after = change["before"], change["after"]
    worst = change.get("worst", after)
    tiers = [
        {
            "label": framework.safe_labels.get(safe, safe),
            "before": before["tiers"].get(safe),
            "lowest": tier,
            "worst": worst["tiers"].get(safe),
        }
        for safe, tier in after["tiers"].items()
        if before["tiers"].get(safe) != tier or before["tiers"].get(safe) != worst["tiers"].get(safe)
    ]
    if before["overall"] != after["overall"] or before["overall"] != worst["overall"]:
        tiers.append(
            {"label": "Overall", "before": before["overall"], "lowest": after["overall"], "worst": worst["overall"]}
        )
    deciding = change.get("deciding", [])
    return {
        **change,
        "tiers_changed": tiers,
        "outcome_before": outcome_label(before["outcome"], framework),
        "outcome_lowest": outcome_label(after["outcome"], framework),
        "outcome_worst": outcome_label(worst["outcome"], framework),
        "routes": [
            {
                "custodian": r["custodian"],
                "before": ROUTE_LABELS.get(r["before"], r["before"]),
                "lowest": ROUTE_LABELS.get(r["after"], r["after"]),
                "worst": ROUTE_LABELS.get(r.get("worst", r["after"]), r.get("worst", r["after"])),
            }
            for r in change["routes_changed"]
        ],
        "deciding": [
            {**_question(framework, gap["question"]), "custodian": gap["custodian"] or "the project"}
            for gap in deciding
        ],
        "fired_if_worst": change.get("fired_if_worst", []),
        "criteria_published": change.get("criteria_published", []),
    }
