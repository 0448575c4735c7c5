"""Demo data for `make run`: organisations, people and panels from fixtures/demo.yaml."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ..models import (
    AppetiteVersion,
    AuditAction,
    CriteriaVersion,
    Membership,
    Obligation,
    Organisation,
    Panel,
    PanelMembership,
    Project,
    User,
)
from .audit import audit_record
from .comments import comment_post
from .criteria import appetite_draft_save, appetite_publish, criteria_draft_save, criteria_publish
from .evidence import evidence_upload
from .frameworks import framework_load
from .obligations import obligation_set_due, obligation_sign_off
from .panels import conflict_declare, review_decide, review_send, vote_cast
from .records import record_pdf_make
from .seeding import project_from_document

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from django.db.models import Model

    from ..models import FrameworkVersion

_M = TypeVar("_M", bound="Model")

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.yaml"
EXAMPLES_DIR = Path(settings.BASE_DIR) / "fixtures" / "examples"
FRAMEWORKS_DIR = Path(settings.BASE_DIR) / "fixtures" / "frameworks"


@dataclass
class DemoSummary:
    password: str
    created: int = 0
    unchanged: int = 0
    logins: list = field(default_factory=list)


def _ensure(
    summary: DemoSummary, model: type[_M], lookup: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[_M, bool]:
    obj, created = model.objects.get_or_create(**lookup, defaults=defaults)
    if created:
        summary.created += 1
    else:
        summary.unchanged += 1
    return obj, created


@transaction.atomic
def demo_load(
    *, path: str | Path = DEMO_FILE, with_projects: bool = True, frameworks: Sequence[str] | None = None
) -> DemoSummary:
    """Create what is missing and leave what exists alone, so a second run changes nothing.

    `frameworks` replaces the file's list of framework folders (tests load the world as it was
    before a newer version arrived)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    summary = DemoSummary(password=data["password"])

    organisations = {}
    for org in data["organisations"]:
        organisations[org["slug"]], _ = _ensure(
            summary, Organisation, {"slug": org["slug"]}, {"name": org["name"], "kind": org["kind"]}
        )
    panels = {}
    for panel in data["panels"]:
        panels[panel["slug"]], _ = _ensure(
            summary, Panel, {"name": panel["name"]}, {"description": panel.get("description", "")}
        )

    for entry in data["users"]:
        user, created = _ensure(
            summary,
            User,
            {"username": entry["username"]},
            {
                "first_name": entry.get("first_name", ""),
                "last_name": entry.get("last_name", ""),
                "email": f"{entry['username']}@demo.priam.invalid",
                "is_auditor": entry.get("auditor", False),
                "is_superuser": entry.get("superuser", False),
                "is_staff": entry.get("superuser", False),
            },
        )
        if created:
            user.set_password(data["password"])
            user.save(update_fields=["password"])
        if "organisation" in entry:
            _ensure(
                summary,
                Membership,
                {"user": user, "organisation": organisations[entry["organisation"]]},
                {
                    "role": entry["role"],
                    "manages_criteria": entry.get("manages_criteria", False),
                    "approves": entry.get("approves", False),
                },
            )
        if "panel" in entry:
            _ensure(
                summary,
                PanelMembership,
                {"user": user, "panel": panels[entry["panel"]]},
                {"role": entry["panel_role"]},
            )
        summary.logins.append((entry["username"], entry["about"]))
    # In the listed order, so the last is the latest: the one new projects use.
    versions = {}
    for folder in data["frameworks"] if frameworks is None else frameworks:
        version, _ = framework_load(path=FRAMEWORKS_DIR / folder)
        versions[version.spec] = version
    for version in versions.values():
        _ensure_criteria(summary, data, organisations, version)
    coordinator = User.objects.get(username="coordinator")
    first = next(iter(versions.values()))
    for spec in data.get("projects", []) if with_projects else []:
        version = versions[spec["framework"]] if "framework" in spec else first
        _ensure_example_project(summary, spec, organisations, coordinator, version)
    if summary.created:
        audit_record(
            action=AuditAction.DEMO_LOADED,
            object_type="demo",
            data={"created": summary.created, "file": Path(path).name},
        )
    return summary


def _ensure_criteria(
    summary: DemoSummary,
    data: Mapping[str, Any],
    organisations: Mapping[str, Organisation],
    framework_version: FrameworkVersion,
) -> None:
    """Publish each listed organisation's criteria for this framework version, and its
    appetite, once, as its criteria manager."""
    for entry in data.get("criteria", []):
        organisation = organisations[entry["organisation"]]
        published = CriteriaVersion.objects.filter(organisation=organisation, status="published")
        if published.filter(framework_version=framework_version).exists():
            summary.unchanged += 1
            continue
        manager = User.objects.get(username=entry["manager"])
        draft, problems = criteria_draft_save(
            organisation=organisation,
            text=yaml.safe_dump(entry["rules"], sort_keys=False, allow_unicode=True),
            actor=manager,
            framework_version=framework_version,
            note=entry.get("note", ""),
        )
        if problems:
            raise ValueError(f"Demo criteria of {organisation}: {'; '.join(map(str, problems))}")
        criteria_publish(draft=draft, actor=manager)
        summary.created += 1
    for entry in data.get("appetites", []):
        organisation = organisations[entry["organisation"]]
        if AppetiteVersion.objects.filter(organisation=organisation, status="published").exists():
            summary.unchanged += 1
            continue
        manager = User.objects.get(username=entry["manager"])
        draft, problems = appetite_draft_save(organisation=organisation, data=entry["appetite"], actor=manager)
        if problems:
            raise ValueError(f"Demo appetite of {organisation}: {'; '.join(map(str, problems))}")
        appetite_publish(draft=draft, actor=manager)
        summary.created += 1


def _ensure_example_project(
    summary: DemoSummary,
    spec: Mapping[str, Any],
    organisations: Mapping[str, Organisation],
    coordinator: User,
    framework_version: FrameworkVersion,
) -> None:
    document = json.loads((EXAMPLES_DIR / f"{spec['example']}.json").read_text(encoding="utf-8"))
    document["title"] = spec.get("title", document["title"])
    if Project.objects.filter(title=document["title"], coordinator=coordinator).exists():
        summary.unchanged += 1
        return
    for custodian in document["custodians"]:
        custodian["answers"].update(spec.get("answers", {}).get(custodian["name"], {}))
    unfinished = spec.get("unfinished", {})
    for custodian in document["custodians"]:
        if custodian["name"] in unfinished:
            keep = unfinished[custodian["name"]]
            custodian["answers"] = {q: a for q, a in custodian["answers"].items() if q in keep}
    names = [c["name"] for c in document["custodians"] if c["name"] not in unfinished]
    # Custodians appear under their demo organisations' names.
    orgs = {name: organisations[slug] for name, slug in spec["custodians"].items()}
    for custodian in document["custodians"]:
        custodian["name"] = orgs[custodian["name"]].name
    project = project_from_document(
        document=document,
        coordinator=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        organisations={org.name: org for org in orgs.values()},
        framework_version=framework_version,
        submit=[orgs[n].name for n in names],
        confirm=[orgs[n].name for n in names],
        details=_dates(spec.get("dates")),
    )
    if "decision" in spec:
        _decide(project, spec["decision"])
        _after_approval(project, spec.get("after_approval", {}))
    summary.created += 1


def _dates(dates: Mapping[str, int] | None) -> dict[str, Any] | None:
    """Planned dates relative to the day the demo loads, so its approval lies in its future."""
    if not dates:
        return None
    today = timezone.localdate()
    return {
        "start_date": today + timedelta(days=dates["start_in_days"]),
        "end_date": today + timedelta(days=dates["end_in_days"]),
    }


def _decide(project: Project, decision: Mapping[str, Any]) -> None:
    """Take the project through its panel to a signed record, as the demo panel would."""
    review = review_send(project=project, panel=Panel.objects.get(name=decision["panel"]), actor=project.coordinator)
    for username, choice in decision["votes"].items():
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice=choice, rationale="Demo vote: see the panel's rationale.")
    record = review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome=decision["outcome"],
        conditions=[
            {"text": c, "rule": None, "blocking": False} if isinstance(c, str) else {"rule": None, **c}
            for c in decision["conditions"]
        ],
        rationale=decision["rationale"],
    )
    # Made here rather than by the queued task, so the demo has its signed PDF straight away.
    transaction.on_commit(lambda: record_pdf_make(record_id=record.pk))


def _after_approval(project: Project, steps: Mapping[str, Any]) -> None:
    """Evidence, sign-offs, dates and comments after the decision, as people would make them."""
    obligations = {o.number: o for o in Obligation.objects.filter(project=project, approval__status="active")}
    for item in steps.get("evidence", []):
        path = Path(settings.BASE_DIR) / "fixtures" / item["file"]
        evidence_upload(
            project=project,
            user=User.objects.get(username=item["by"]),
            uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()),
            obligation=obligations[item["obligation"]],
            description=item.get("description", ""),
        )
    for item in steps.get("signed_off", []):
        obligation_sign_off(
            obligation=obligations[item["obligation"]], user=User.objects.get(username=item["by"]), note=item["note"]
        )
    for item in steps.get("due_in_days", []):
        obligation_set_due(
            obligation=obligations[item["obligation"]],
            user=User.objects.get(username=item["by"]),
            due_on=timezone.localdate() + timedelta(days=item["days"]),
        )
    for item in steps.get("comments", []):
        comment_post(
            project=project,
            user=User.objects.get(username=item["by"]),
            text=item["text"],
            question=item.get("question", ""),
        )
