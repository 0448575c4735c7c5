"""Loading framework versions: immutable once loaded, identified by id, version and SHA-256."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .. import engine
from ..errors import FrameworkConflict
from ..models import AuditAction, FrameworkVersion
from .audit import audit_record

if TYPE_CHECKING:
    from pathlib import Path

    from ..models import User


def framework_load(*, path: str | Path, actor: User | None = None) -> tuple[FrameworkVersion, bool]:
    """Load the framework in folder `path`. Returns (version, created).

    Loading identical content again is a no-op; the same id and version with
    different content is refused, because evaluations already made under that
    version must stay reproducible.
    """
    framework = engine.load_framework_dir(path)  # raises engine.FrameworkError naming file and id
    with transaction.atomic():
        existing = (
            FrameworkVersion.objects.select_for_update()
            .filter(framework_id=framework.id, version=framework.version)
            .first()
        )
        if existing is not None:
            if existing.sha256 == framework.sha256:
                return existing, False
            raise FrameworkConflict(
                f"{framework.id}@{framework.version} is already loaded with different content "
                f"(loaded sha256 {existing.sha256}, this folder {framework.sha256}). "
                "A loaded version never changes: give the new content a new version."
            )
        version = FrameworkVersion.objects.create(
            framework_id=framework.id,
            version=framework.version,
            sha256=framework.sha256,
            title=getattr(framework, "title", "") or "",
            texts=dict(framework.texts),
            loaded_by=actor,
        )
        audit_record(
            action=AuditAction.FRAMEWORK_LOADED,
            actor=actor,
            obj=version,
            data={
                "framework": framework.id,
                "version": framework.version,
                "sha256": framework.sha256,
                "files": sorted(framework.texts),
                "questions": len(framework.questions),
                "rules": len(framework.rules),
            },
        )
    return version, True
