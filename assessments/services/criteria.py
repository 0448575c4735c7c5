"""Writing a custodian's criteria and risk appetite: drafts kept as written, versions published once.

A draft keeps whatever its author wrote, valid or not, so nothing typed is lost; the
engine's problems come back with it. Publishing refuses anything the engine refuses,
numbers the version, fixes its SHA-256 and audits it, all in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .. import engine, limits
from ..engine.criteria import criteria_sha256
from ..errors import DefinitionInvalid, PriamError
from ..models import AppetiteVersion, AuditAction, CriteriaVersion
from ..selectors.frameworks import engine_framework, framework_default
from .audit import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..engine.errors import DefinitionProblem
    from ..models import FrameworkVersion, Organisation, User

DRAFT_VERSION = "draft"


def criteria_set(
    *, organisation: Organisation, framework_version: FrameworkVersion, text: str, version: str
) -> tuple[dict[str, Any] | None, list[DefinitionProblem]]:
    """The criteria set the engine reads, from the rules an author wrote (a YAML list of rules,
    or a mapping with `rules`). Returns (set or None, problems)."""
    try:
        parsed = yaml.safe_load(text) if text.strip() else []
    except yaml.YAMLError:
        # The engine's parser names the line and column.
        return None, engine.criteria_problems(engine_framework(framework_version), text)
    rules = parsed.get("rules") if isinstance(parsed, dict) else parsed
    if rules is None:
        rules = []
    data = {
        "id": organisation.slug,
        "version": version,
        "framework": framework_version.spec,
        "rules": rules,
    }
    problems = engine.criteria_problems(engine_framework(framework_version), data)
    return (None if problems else data), problems


def criteria_draft_save(
    *,
    organisation: Organisation,
    text: str,
    actor: User,
    framework_version: FrameworkVersion | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[CriteriaVersion, list[DefinitionProblem]]:
    """Save the organisation's criteria draft as written. Returns (draft, problems)."""
    limits.check_model_text(CriteriaVersion, text=text, note=note)
    with transaction.atomic():
        draft = (
            CriteriaVersion.objects.select_for_update(no_key=True)
            .filter(organisation=organisation, status=CriteriaVersion.Status.DRAFT)
            .first()
        )
        framework_version = framework_version or (draft.framework_version if draft else None) or framework_default()
        data, problems = criteria_set(
            organisation=organisation, framework_version=framework_version, text=text, version=DRAFT_VERSION
        )
        if draft is None:
            draft = CriteriaVersion(organisation=organisation)
        draft.framework_version = framework_version
        draft.text, draft.data, draft.note, draft.updated_by = text, data, note, actor
        draft.save()
        audit_record(
            action=AuditAction.CRITERIA_DRAFT_SAVED,
            actor=actor,
            obj=draft,
            organisation=organisation,
            request=request,
            data={"framework": framework_version.spec, "valid": not problems, "problems": len(problems)},
        )
    return draft, problems


def criteria_publish(*, draft: CriteriaVersion, actor: User, request: HttpRequest | None = None) -> CriteriaVersion:
    """Publish the draft as the organisation's next criteria version; refused while it is invalid."""
    with transaction.atomic():
        draft = CriteriaVersion.objects.select_for_update(no_key=True).get(pk=draft.pk)
        if not draft.is_draft:
            raise PriamError(f"Criteria version {draft.number} is already published.")
        number = _next_number(CriteriaVersion, draft.organisation)
        data, problems = criteria_set(
            organisation=draft.organisation,
            framework_version=draft.framework_version,
            text=draft.text,
            version=str(number),
        )
        if problems:
            raise DefinitionInvalid(f"The draft has {len(problems)} problem(s): fix them before publishing.", problems)
        _publish(draft, number=number, data=data, sha256=criteria_sha256(data), actor=actor)
        audit_record(
            action=AuditAction.CRITERIA_PUBLISHED,
            actor=actor,
            obj=draft,
            organisation=draft.organisation,
            request=request,
            data={
                "number": number,
                "sha256": draft.sha256,
                "framework": draft.framework_version.spec,
                "rules": [rule["id"] for rule in data["rules"]],
            },
        )
    return draft


def appetite_draft_save(
    *,
    organisation: Organisation,
    data: dict[str, Any],
    actor: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[AppetiteVersion, list[DefinitionProblem]]:
    """Save the organisation's appetite draft. Returns (draft, problems)."""
    limits.check_model_text(AppetiteVersion, note=note)
    problems = engine.appetite_problems(engine_framework(framework_default()), data)
    with transaction.atomic():
        draft = (
            AppetiteVersion.objects.select_for_update(no_key=True)
            .filter(organisation=organisation, status=AppetiteVersion.Status.DRAFT)
            .first()
        ) or AppetiteVersion(organisation=organisation)
        draft.data, draft.note, draft.updated_by = data, note, actor
        draft.save()
        audit_record(
            action=AuditAction.APPETITE_DRAFT_SAVED,
            actor=actor,
            obj=draft,
            organisation=organisation,
            request=request,
            data={"valid": not problems, "appetite": data},
        )
    return draft, problems


def appetite_publish(*, draft: AppetiteVersion, actor: User, request: HttpRequest | None = None) -> AppetiteVersion:
    with transaction.atomic():
        draft = AppetiteVersion.objects.select_for_update(no_key=True).get(pk=draft.pk)
        if not draft.is_draft:
            raise PriamError(f"Appetite version {draft.number} is already published.")
        number = _next_number(AppetiteVersion, draft.organisation)
        data = {**draft.data, "id": draft.organisation.slug, "version": str(number)}
        problems = engine.appetite_problems(engine_framework(framework_default()), data)
        if problems:
            raise DefinitionInvalid(f"The draft has {len(problems)} problem(s): fix them before publishing.", problems)
        appetite = engine.compile_appetite(engine_framework(framework_default()), data)
        _publish(draft, number=number, data=data, sha256=appetite.sha256, actor=actor)
        audit_record(
            action=AuditAction.APPETITE_PUBLISHED,
            actor=actor,
            obj=draft,
            organisation=draft.organisation,
            request=request,
            data={"number": number, "sha256": draft.sha256, "appetite": data},
        )
    return draft


def _next_number(model: type[CriteriaVersion] | type[AppetiteVersion], organisation: Organisation) -> int:
    # The caller holds the draft's row lock, and there is one draft per organisation.
    latest = model.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"]
    return (latest or 0) + 1


def _publish(
    draft: CriteriaVersion | AppetiteVersion, *, number: int, data: dict[str, Any], sha256: str, actor: User
) -> None:
    draft.status = draft.Status.PUBLISHED
    draft.number, draft.data, draft.sha256 = number, data, sha256
    draft.published_by, draft.published_at, draft.updated_by = actor, timezone.now(), actor
    # The row is still a draft in the database, so this one save is allowed.
    draft.save()
