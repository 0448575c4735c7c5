"""Impact preview: what publishing a criteria or appetite draft would change.

Every project the organisation is a custodian of is re-scored from its latest evaluation's stored
document, with this custodian's criteria (or appetite) replaced by the draft's, or added; the
result is compared with the stored one on what decides a project's path only: tiers, overall,
outcome and every custodian's route. Nothing is written but the preview itself, so there is no
audit event (a preview is a read, like a page).

A framework preview (administrators) re-scores, under a newly loaded framework version, each
project's latest evaluation made under an older version of the same framework, compared the same
way. Custodians' criteria inline in those documents target the older version, so the engine
ignores them: a custodian who has published criteria for the new version is scored with those,
and the preview names the others. The new version's new questions have no answers in those
documents, so each is scored with the missing answers at both ends of their risk scale, and the
preview tells what changes whatever the answers from what depends on them.

Speed: the draft (or the new framework) is compiled once and passed to the engine by keyword; other custodians'
criteria and appetites stay inline in each document and hit the engine's LRU. Evaluations are
streamed in chunks with only the columns the comparison needs.

Scale: the evaluations to re-score are selected in one query and split into chunks of
settings.PRIAM_RESCORE_CHUNK (ImpactChunk), one task each, which any number of workers run in
parallel; each adds its part to the preview under the preview's row lock, and the one that
finishes the last merges them, in project order whatever order the chunks finished in.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import engine
from ..errors import PriamError
from ..models import AppetiteVersion, CriteriaVersion, FrameworkVersion, ImpactChunk, ImpactPreview
from ..selectors.frameworks import engine_framework, framework_default
from ..selectors.impact import (
    framework_criteria_published,
    impact_chunk_rows,
    latest_evaluations_before,
    latest_evaluations_not_before,
    latest_evaluations_of_custodian,
)
from .outbox import outbox_enqueue

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..models import User

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
# A preview lists every changed project; skipped ones (rare: a renamed custodian, a document
# the engine no longer accepts), and under a new framework version those whose result stays but
# whose fired rules differ, are counted in full but listed only up to this many.
SKIPPED_LISTED = 100


def impact_preview_request(*, draft: CriteriaVersion | AppetiteVersion, actor: User) -> ImpactPreview:
    """Queue a preview of the organisation's draft (on commit); refuses a draft with problems."""
    if not draft.is_draft:
        raise PriamError("Only a draft can be previewed: a published version is already in force.")
    if isinstance(draft, CriteriaVersion):
        if draft.data is None:
            raise PriamError("The draft has problems: fix them before previewing its impact.")
        kind, framework_version = ImpactPreview.Kind.CRITERIA, draft.framework_version
    else:
        if engine.appetite_problems(engine_framework(framework_default()), draft.data):
            raise PriamError("The draft has problems: fix them before previewing its impact.")
        kind, framework_version = ImpactPreview.Kind.APPETITE, None
    preview = ImpactPreview.objects.create(
        organisation=draft.organisation,
        kind=kind,
        draft_data=draft.data,
        draft_updated_at=draft.updated_at,
        framework_version=framework_version,
        requested_by=actor,
    )
    outbox_enqueue(task=impact_preview_task, args=[preview.pk])
    return preview


def impact_preview_run(*, preview_id: int) -> ImpactPreview:
    """Split the preview into chunks, one impact_chunk_task each, which any number of workers
    take (impact_preview_split; eager mode: they run inline, in order, at commit)."""
    impact_preview_split(preview_id=preview_id)
    return ImpactPreview.objects.get(pk=preview_id)


def impact_preview_split(*, preview_id: int) -> list[int]:
    """Select the evaluations to re-score (one query), split them into chunks of
    settings.PRIAM_RESCORE_CHUNK, and queue a task per chunk through the outbox (published at
    commit, or by the relay if the broker is down then); return the chunks' numbers. A done
    preview is left alone (none); a running one (its task delivered twice) queues its unfinished
    chunks again, with the ids fixed the first time; a failed one starts again."""
    with transaction.atomic():
        # of=self: organisation is nullable (framework previews), and PostgreSQL locks no outer-joined row.
        preview = (
            ImpactPreview.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organisation")
            .get(pk=preview_id)
        )
        if preview.status == ImpactPreview.Status.DONE:
            return []
        if preview.status == ImpactPreview.Status.RUNNING and preview.chunks:
            numbers = list(
                ImpactChunk.objects.filter(preview=preview, finished_at__isnull=True).values_list("number", flat=True)
            )
        else:
            ImpactChunk.objects.filter(preview=preview).delete()
            if preview.kind == ImpactPreview.Kind.FRAMEWORK:
                selected = latest_evaluations_before(preview.framework_version)
            else:
                selected = latest_evaluations_of_custodian(preview.organisation, preview.framework_version)
            ids = list(selected.values_list("pk", flat=True))
            size = max(1, settings.PRIAM_RESCORE_CHUNK)
            ImpactChunk.objects.bulk_create(
                ImpactChunk(preview=preview, number=number, ids=ids[start : start + size])
                for number, start in enumerate(range(0, len(ids), size))
            )
            numbers = list(range((len(ids) + size - 1) // size))
            preview.status = ImpactPreview.Status.RUNNING
            preview.total, preview.done, preview.chunks = len(ids), 0, len(numbers)
            preview.error, preview.result, preview.finished_at = "", None, None
            preview.save(update_fields=["status", "total", "done", "chunks", "error", "result", "finished_at"])
            if not numbers:
                _finish(preview)
        for number in numbers:
            outbox_enqueue(task=impact_chunk_task, args=[preview_id, number])
    return numbers


def impact_chunk_run(*, preview_id: int, number: int) -> None:
    """Re-score one chunk, then add its part to the preview under the preview's row lock; the
    chunk that finishes the last merges them all. A chunk already finished (delivered twice), of
    a preview no longer running, or of an earlier dispatch (a failed preview started again) is
    not counted again."""
    preview = (
        ImpactPreview.objects.select_related("organisation", "framework_version")
        .filter(pk=preview_id, status=ImpactPreview.Status.RUNNING)
        .first()
    )
    chunk = (
        ImpactChunk.objects.filter(preview_id=preview_id, number=number, finished_at__isnull=True).first()
        if preview is not None
        else None
    )
    if preview is None or chunk is None:
        return
    framework = preview.kind == ImpactPreview.Kind.FRAMEWORK
    compare = framework_impact_compare if framework else impact_compare
    try:
        part = compare(preview=preview, rows=impact_chunk_rows(chunk.ids, framework=framework).iterator(CHUNK_ROWS))
    except Exception as exc:
        log.exception("Impact preview %s failed in chunk %s", preview_id, number)
        _fail(preview_id, str(exc))
        return
    with transaction.atomic():
        locked = (
            ImpactPreview.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organisation", "framework_version")
            .get(pk=preview_id)
        )
        if locked.status != ImpactPreview.Status.RUNNING:
            return
        # By pk: the row whose ids were re-scored, not one a restarted preview made since.
        if not ImpactChunk.objects.filter(pk=chunk.pk, finished_at__isnull=True).update(
            result=part, finished_at=timezone.now()
        ):
            return
        locked.done = min(locked.total, locked.done + len(chunk.ids))
        locked.save(update_fields=["done"])
        if ImpactChunk.objects.filter(preview=locked, finished_at__isnull=False).count() >= locked.chunks:
            _finish(locked)


def _finish(preview: ImpactPreview) -> None:
    """Merge the finished chunks' parts into the preview's result and mark it done (under its
    row lock). An empty part first, so that a preview with nothing to re-score has every key."""
    framework = preview.kind == ImpactPreview.Kind.FRAMEWORK
    compare = framework_impact_compare if framework else impact_compare
    parts = ImpactChunk.objects.filter(preview=preview).order_by("number").values_list("result", flat=True)
    result = _merge([compare(preview=preview, rows=()), *parts])
    if framework:
        result["counts"]["not_older"] = latest_evaluations_not_before(preview.framework_version)
    elif preview.framework_version is not None:
        result["counts"]["other_framework"] = (
            latest_evaluations_of_custodian(preview.organisation)
            .exclude(framework_version=preview.framework_version)
            .count()
        )
    preview.status, preview.result = ImpactPreview.Status.DONE, result
    preview.done, preview.finished_at = preview.total, timezone.now()
    preview.save(update_fields=["status", "result", "done", "finished_at"])
    ImpactChunk.objects.filter(preview=preview).delete()


def _fail(preview_id: int, reason: str) -> None:
    ImpactPreview.objects.filter(pk=preview_id).exclude(status=ImpactPreview.Status.DONE).update(
        status=ImpactPreview.Status.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def _merge(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Chunks' parts as one result: counts and tallies added, lists in project order (those
    listed only up to SKIPPED_LISTED cut again), tallies' keys sorted: the same result whatever
    the chunk size and whichever chunk finished first."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                _add(merged.setdefault(key, {}), value)
    for key, value in merged.items():
        if isinstance(value, list):
            value.sort(key=lambda row: (row["project"], row["revision"]))
            if key != "changes":
                del value[SKIPPED_LISTED:]
        elif key != "counts":
            merged[key] = _sorted(value)
    return merged


def _add(into: dict[str, Any], counts: dict[str, Any]) -> None:
    for name, n in counts.items():
        if isinstance(n, dict):
            _add(into.setdefault(name, {}), n)
        else:
            into[name] = into.get(name, 0) + n


def _sorted(tally: dict[str, Any]) -> dict[str, Any]:
    return {name: _sorted(n) if isinstance(n, dict) else n for name, n in sorted(tally.items())}


def impact_compare(*, preview: ImpactPreview, rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """The preview's result for these rows (impact_chunk_rows): counts, the changed projects with
    before and after, the skipped ones."""
    name = preview.organisation.name
    draft_for = _DraftCompiler(preview)
    counts = dict.fromkeys(("read", "rescored", "changed", "tier", "outcome", "route", "skipped"), 0)
    changes: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for project_id, title, revision, fv_id, document, overall, outcome, tiers, routes in rows:
        counts["read"] += 1
        reason = _skip_reason(document, name)
        if reason is None:
            framework, draft = draft_for(fv_id)
            try:
                after = engine.evaluate(framework, document, **draft)
            except engine.DocumentInvalid as invalid:
                reason = f"the stored document no longer evaluates: {invalid}"
        if reason is not None:
            counts["skipped"] += 1
            if len(skipped) < SKIPPED_LISTED:
                skipped.append({"project": project_id, "title": title, "revision": revision, "reason": reason})
            continue
        counts["rescored"] += 1
        before = {"tiers": tiers, "overall": overall, "outcome": outcome, "routes": routes}
        change = _difference(before, after, document)
        if change is None:
            continue
        counts["changed"] += 1
        for key in ("tier", "outcome", "route"):
            counts[key] += bool(change[key])
        change["draft_fired"] = _draft_fired(after.get("fired_details", ()), name)
        changes.append({"project": project_id, "title": title, "revision": revision, **change})
    return {"counts": counts, "changes": changes, "skipped": skipped}


class _DraftCompiler:
    """The draft, compiled once per framework version a project was evaluated under (criteria
    target exactly one; an appetite is checked against each), as ``evaluate``'s keyword."""

    def __init__(self, preview: ImpactPreview) -> None:
        self.preview = preview
        self.keyword = "criteria" if preview.kind == ImpactPreview.Kind.CRITERIA else "appetites"
        self.compiled: dict[int, tuple[engine.Framework, dict[str, Any]]] = {}

    def __call__(self, fv_id: int) -> tuple[engine.Framework, dict[str, Any]]:
        found = self.compiled.get(fv_id)
        if found is None:
            framework = engine_framework(FrameworkVersion.objects.get(pk=fv_id))
            compile_ = engine.compile_criteria if self.keyword == "criteria" else engine.compile_appetite
            draft = compile_(framework, self.preview.draft_data)
            found = self.compiled[fv_id] = (framework, {self.keyword: {self.preview.organisation.name: draft}})
        return found


def _skip_reason(document: Any, name: str) -> str | None:
    custodians = document.get("custodians") if isinstance(document, dict) else None
    if not isinstance(custodians, list) or not any(isinstance(c, dict) and c.get("name") == name for c in custodians):
        return f"{name} is not a custodian in the evaluated document (renamed, or added since)"
    return None


def _difference(before: dict[str, Any], result: dict[str, Any], document: dict[str, Any]) -> dict[str, Any] | None:
    """What changed between the stored result and the draft's, or None."""
    names = [c["name"] for c in document["custodians"]]
    before_routes = before["routes"] or _default_routes(names, before["tiers"], before["outcome"])
    after = {
        "tiers": result["tiers"],
        "overall": result["overall"],
        "outcome": result["outcome"],
        "routes": result.get("routes") or _default_routes(names, result["tiers"], result["outcome"]),
    }
    tier = before["tiers"] != after["tiers"] or before["overall"] != after["overall"]
    outcome = before["outcome"] != after["outcome"]
    routes = [
        {"custodian": n, "before": before_routes.get(n), "after": after["routes"].get(n)}
        for n in names
        if before_routes.get(n) != after["routes"].get(n)
    ]
    if not (tier or outcome or routes):
        return None
    return {
        "tier": tier,
        "outcome": outcome,
        "route": bool(routes),
        "before": {**before, "routes": before_routes},
        "after": after,
        "routes_changed": routes,
    }


def _default_routes(names: Iterable[str], tiers: dict[str, int], outcome: str) -> dict[str, str]:
    """A result without routes had no custodian with criteria or an appetite: every custodian's
    route is the default appetite's, so compare with that."""
    return {n: engine.route_for(engine.DEFAULT_APPETITE, tiers, outcome).route for n in names}


def _draft_fired(details: Iterable[dict[str, Any]], name: str) -> list[str]:
    """The draft's own rules that fired (criteria entries attributed to this custodian)."""
    return sorted({d["rule"] for d in details if d.get("custodian") == name and "criteria" in d})


# --- a new framework version (administrators) -------------------------------------------------


def framework_impact_request(*, version: FrameworkVersion, actor: User) -> ImpactPreview:
    """Queue a preview of moving every project evaluated under an older version of the same
    framework to `version` (on commit); refused when no older version is loaded."""
    older = FrameworkVersion.objects.filter(framework_id=version.framework_id, loaded_at__lt=version.loaded_at)
    if not older.exists():
        raise PriamError(
            f"No older version of {version.framework_id} is loaded: no project could move to {version.spec}."
        )
    preview = ImpactPreview.objects.create(
        kind=ImpactPreview.Kind.FRAMEWORK, framework_version=version, requested_by=actor
    )
    outbox_enqueue(task=impact_preview_task, args=[preview.pk])
    return preview


def framework_impact_compare(*, preview: ImpactPreview, rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """As impact_compare, under the preview's framework version, with each custodian's criteria
    published for that version where there are any; also which framework rules fire that did not
    (and the reverse), and whose criteria would not apply.

    A document lacking answers the new version requires (its new questions) is scored twice:
    every missing answer at its least risky value and at its worst. Tiers, outcome and routes are
    each classed on their own: "changes" when both ends differ from the stored result (whatever
    the answers), "depends" when only one end does (on the answers, named per project: each
    missing answer is tried alone at its worst, one more evaluation each, for those projects
    only)."""
    version = preview.framework_version
    framework = engine_framework(version)
    # One read for the whole preview; compiled once per custodian, not per project.
    published = {
        name: engine.compile_criteria(framework, criteria.data)
        for name, criteria in framework_criteria_published(version).items()
    }
    counts = dict.fromkeys(
        (
            "read",
            "rescored",
            "changed",
            "depends",
            *DIMENSIONS,
            *(f"{d}_depends" for d in DIMENSIONS),
            "unanswered",
            "rules_only",
            "skipped",
            "criteria_ignored",
            "criteria_published",
        ),
        0,
    )
    # {custodian: how many projects}: whose criteria would stop applying, to publish them anew,
    # and whose criteria published for this version were used instead of the stored ones.
    ignored_by: dict[str, int] = {}
    published_by: dict[str, int] = {}
    # {question: how many projects lack its answer}, and per dimension {question: how many
    # projects could change depending on it}.
    unanswered_by: dict[str, int] = {}
    depends_on: dict[str, dict[str, int]] = {d: {} for d in DIMENSIONS}
    changes: list[dict[str, Any]] = []
    rules_only: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for project_id, title, revision, _fv, document, overall, outcome, tiers, routes, fired in rows:
        counts["read"] += 1
        names = _custodian_names(document)
        criteria = {name: published[name] for name in names if name in published}
        try:
            scored = _Scored(framework, document, criteria)
        except engine.DocumentInvalid as invalid:
            counts["skipped"] += 1
            if len(skipped) < SKIPPED_LISTED:
                reason = f"the stored document does not evaluate under {version.spec}: {invalid}"
                if missing := engine.unanswered(framework, document):
                    reason += f" (answers it lacks: {_gaps_text(missing)})"
                skipped.append({"project": project_id, "title": title, "revision": revision, "reason": reason})
            continue
        counts["rescored"] += 1
        lowest, worst = scored.lowest, scored.worst
        if scored.missing:
            counts["unanswered"] += 1
            for question in sorted({gap.question for gap in scored.missing}):
                unanswered_by[question] = unanswered_by.get(question, 0) + 1
        ignored = sorted({entry["custodian"] for entry in lowest.get("criteria_ignored", ())})
        if ignored:
            counts["criteria_ignored"] += 1
            for name in ignored:
                ignored_by[name] = ignored_by.get(name, 0) + 1
        if criteria:
            counts["criteria_published"] += 1
            for name in criteria:
                published_by[name] = published_by.get(name, 0) + 1
        before = {
            "tiers": tiers,
            "overall": overall,
            "outcome": outcome,
            "routes": routes or _default_routes(names, tiers, outcome),
        }
        after_lowest, after_worst = _summary(lowest, names), _summary(worst, names)
        kinds = {
            dimension: _kind(_differs(dimension, before, after_lowest), _differs(dimension, before, after_worst))
            for dimension in DIMENSIONS
        }
        before_fired = set(fired or ())
        why = {
            "fired_added": sorted(set(lowest["fired"]) - before_fired),
            "fired_removed": sorted(before_fired - set(lowest["fired"])),
            # Rules that fire only with the worst answers to the unanswered questions.
            "fired_if_worst": sorted(set(worst["fired"]) - set(lowest["fired"])),
        }
        if not any(kinds.values()):
            if any(why.values()):
                counts["rules_only"] += 1
                if len(rules_only) < SKIPPED_LISTED:
                    rules_only.append({"project": project_id, "title": title, "revision": revision, **why})
            continue
        deciding = scored.deciding() if "depends" in kinds.values() else []
        if "changes" in kinds.values():
            counts["changed"] += 1
        else:
            counts["depends"] += 1
        for dimension, kind in kinds.items():
            if kind == "changes":
                counts[dimension] += 1
            elif kind == "depends":
                counts[f"{dimension}_depends"] += 1
                for question in sorted({gap["question"] for gap in deciding}):
                    depends_on[dimension][question] = depends_on[dimension].get(question, 0) + 1
        changes.append(
            {
                "project": project_id,
                "title": title,
                "revision": revision,
                **kinds,
                "before": before,
                "after": after_lowest,
                "worst": after_worst,
                "routes_changed": [
                    {
                        "custodian": n,
                        "before": before["routes"].get(n),
                        "after": after_lowest["routes"].get(n),
                        "worst": after_worst["routes"].get(n),
                    }
                    for n in names
                    if before["routes"].get(n) != after_lowest["routes"].get(n)
                    or before["routes"].get(n) != after_worst["routes"].get(n)
                ],
                **why,
                "unanswered": [_gap_dict(gap) for gap in scored.missing],
                "deciding": deciding,
                "criteria_ignored": ignored,
                "criteria_published": sorted(criteria),
            }
        )
    return {
        "counts": counts,
        "changes": changes,
        "rules_only": rules_only,
        "skipped": skipped,
        "criteria_ignored_by": ignored_by,
        "criteria_published_by": published_by,
        "unanswered_by": unanswered_by,
        "depends_on": depends_on,
    }


DIMENSIONS = ("tier", "outcome", "route")


class _Scored:
    """A stored document scored under the new version: ``lowest`` and ``worst`` (the same result
    when it lacks no required answer) and ``missing``, the answers it lacks. Raises
    DocumentInvalid when either end does not evaluate (a missing answer with no least risky value
    to fill, or an answer the new version refuses)."""

    def __init__(self, framework: engine.Framework, document: Any, criteria: dict[str, engine.Criteria]) -> None:
        self.framework, self.criteria = framework, criteria
        self.filled, self.missing = engine.fill_unanswered(framework, document, "lowest")
        self.lowest = engine.evaluate(framework, self.filled, criteria=criteria)
        if self.missing:
            worst_document, _ = engine.fill_unanswered(framework, document, "worst")
            self.worst = engine.evaluate(framework, worst_document, criteria=criteria)
        else:
            self.worst = self.lowest

    def deciding(self) -> list[dict[str, Any]]:
        """The missing answers that, alone at their worst (the others at their least risky), move
        the result: those the project's change depends on. When none does alone (only together),
        every missing answer."""
        names = _custodian_names(self.filled)
        lowest = _summary(self.lowest, names)
        found = []
        for gap in self.missing:
            document = copy.deepcopy(self.filled)
            _answers_of(document, gap.custodian).pop(gap.question, None)
            one, _ = engine.fill_unanswered(self.framework, document, "worst")
            if _summary(engine.evaluate(self.framework, one, criteria=self.criteria), names) != lowest:
                found.append(gap)
        return [_gap_dict(gap) for gap in found or self.missing]


def _answers_of(document: dict[str, Any], custodian: str | None) -> dict[str, Any]:
    if custodian is None:
        return document["answers"]
    return next(c for c in document["custodians"] if c.get("name") == custodian)["answers"]


def _custodian_names(document: Any) -> list[str]:
    custodians = document.get("custodians") if isinstance(document, dict) else None
    if not isinstance(custodians, list):
        return []
    return [c["name"] for c in custodians if isinstance(c, dict) and isinstance(c.get("name"), str)]


def _summary(result: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """What a preview compares of a result: tiers, overall, outcome, every custodian's route."""
    return {
        "tiers": result["tiers"],
        "overall": result["overall"],
        "outcome": result["outcome"],
        "routes": result.get("routes") or _default_routes(names, result["tiers"], result["outcome"]),
    }


def _differs(dimension: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    if dimension == "tier":
        return before["tiers"] != after["tiers"] or before["overall"] != after["overall"]
    if dimension == "outcome":
        return before["outcome"] != after["outcome"]
    return any(before["routes"].get(n) != route for n, route in after["routes"].items())


def _kind(at_lowest: bool, at_worst: bool) -> str | None:
    # Both ends differ: changes whatever the answers (with v2's rules, which only add risk, the
    # worst end differs whenever the lowest does). One end: depends on the answers.
    if at_lowest and at_worst:
        return "changes"
    return "depends" if at_lowest or at_worst else None


def _gap_dict(gap: engine.Unanswered) -> dict[str, Any]:
    return {"custodian": gap.custodian, "question": gap.question}


def _gaps_text(gaps: Iterable[engine.Unanswered]) -> str:
    return ", ".join(f"{gap.custodian or 'the project'}'s {gap.question}" for gap in gaps)


# Next to its service, as record_pdf_task is; assessments/tasks.py imports it for discovery.
@shared_task(name="assessments.tasks.impact_preview_task", acks_late=True, reject_on_worker_lost=True)
def impact_preview_task(preview_id: int) -> dict[str, Any]:
    """Split an impact preview into chunks and queue them (impact_preview_run)."""
    preview = impact_preview_run(preview_id=preview_id)
    return {"preview": preview.pk, "status": preview.status}


# No result kept: progress is counted in the database, so no result backend is needed.
@shared_task(name="assessments.tasks.impact_chunk_task", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def impact_chunk_task(preview_id: int, number: int) -> None:
    """Re-score one chunk of an impact preview (impact_chunk_run)."""
    impact_chunk_run(preview_id=preview_id, number=number)
