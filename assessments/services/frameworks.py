"""Loading framework versions: immutable once loaded, identified by id, version and SHA-256."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .. import engine
from ..errors import FrameworkConflict
from ..models import AuditAction, FrameworkGuide, FrameworkVersion
from .audit import audit_record

if TYPE_CHECKING:
    from pathlib import Path

    from ..models import User


def framework_load(*, path: str | Path, actor: User | None = None) -> tuple[FrameworkVersion, bool]:
    """Load the framework in folder `path`. Returns (version, created).

    Loading identical content again is a no-op; the same id and version with
    different content is refused, because evaluations already made under that
    version must stay reproducible. The folder's guide (guide/guide.yaml, outside the
    version's hash) is loaded too: see framework_guide_store.
    """
    framework = engine.load_framework_dir(path)  # raises engine.FrameworkError naming file and id
    # Checked before anything is stored, so a bad guide refuses the whole load.
    guide = engine.load_guide_dir(framework, path)
    with transaction.atomic():
        existing = (
            FrameworkVersion.objects.select_for_update(no_key=True)
            .filter(framework_id=framework.id, version=framework.version)
            .first()
        )
        if existing is not None:
            if existing.sha256 == framework.sha256:
                framework_guide_store(version=existing, guide=guide, actor=actor)
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
        framework_guide_store(version=version, guide=guide, actor=actor)
    return version, True


def framework_guide_store(
    *, version: FrameworkVersion, guide: engine.Guide | None, actor: User | None = None
) -> tuple[FrameworkGuide | None, bool]:
    """Store a validated guide for `version`. Returns (the version's latest guide, created).

    The same content as the latest guide is a no-op; changed content is the next guide
    number for the same version (texts may improve, the version's hash stays). Guides are
    compared by the hash of their content, so reformatting the YAML alone is no change.
    """
    if guide is None:
        return None, False
    if guide.framework_sha256 != version.sha256:
        raise FrameworkConflict(f"This guide was checked against another framework version than {version.spec}.")
    with transaction.atomic():
        FrameworkVersion.objects.select_for_update(no_key=True).filter(pk=version.pk).first()  # one number at a time
        latest = FrameworkGuide.objects.filter(framework_version=version).order_by("-number").first()
        if latest is not None and latest.sha256 == guide.sha256:
            return latest, False
        stored = FrameworkGuide.objects.create(
            framework_version=version,
            number=latest.number + 1 if latest is not None else 1,
            data=guide.data,
            text=guide.text or "",
            sha256=guide.sha256,
            loaded_by=actor,
        )
        audit_record(
            action=AuditAction.FRAMEWORK_GUIDE_LOADED,
            actor=actor,
            obj=stored,
            data={
                "framework": version.framework_id,
                "version": version.version,
                "framework_sha256": version.sha256,
                "number": stored.number,
                "sha256": stored.sha256,
                "replaces": latest.number if latest is not None else None,
                "terms": len(guide.glossary),
                "controls": len(guide.controls),
            },
        )
    return stored, True
