"""Reads of framework versions, and the engine objects built from them."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import engine
from ..errors import FrameworkNotFound, PriamError
from ..models import FrameworkGuide, FrameworkVersion

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import Project

# New projects are assessed under the latest loaded version of this framework.
DEFAULT_FRAMEWORK = "five-safes"


def framework_versions() -> QuerySet[FrameworkVersion]:
    return FrameworkVersion.objects.order_by("framework_id", "-loaded_at")


def framework_default() -> FrameworkVersion:
    return framework_version_get(DEFAULT_FRAMEWORK)


def framework_version_get(spec: str | None = None) -> FrameworkVersion:
    """`five-safes@1`, `five-safes` (its latest loaded version) or None (the latest loaded)."""
    versions = FrameworkVersion.objects.order_by("-loaded_at", "-pk")
    if spec:
        framework_id, _, version = spec.partition("@")
        versions = versions.filter(framework_id=framework_id)
        if version:
            versions = versions.filter(version=version)
    found = versions.first()
    if found is None:
        loaded = ", ".join(v.spec for v in FrameworkVersion.objects.all()) or "none"
        wanted = f"framework {spec!r}" if spec else "any framework"
        raise FrameworkNotFound(
            f"No {wanted} is loaded (loaded: {loaded}). "
            "Load one with: python manage.py load_framework fixtures/frameworks/five-safes/v1"
        )
    return found


def newer_framework_versions(project: Project) -> list[FrameworkVersion]:
    """The versions of the project's framework loaded after its own, oldest first: what its
    coordinator may move it to."""
    current = project.framework_version
    return list(
        FrameworkVersion.objects.filter(framework_id=current.framework_id, loaded_at__gt=current.loaded_at)
        .exclude(pk=current.pk)
        .order_by("loaded_at", "pk")
    )


def engine_framework(version: FrameworkVersion) -> engine.Framework:
    """The engine's Framework for a stored version, built once per process."""
    return _build(version.sha256, tuple(sorted(version.texts.items())))


@lru_cache(maxsize=16)
def _build(sha256: str, items: tuple[tuple[str, str], ...]) -> engine.Framework:
    framework = engine.load_framework_texts(dict(items))
    if framework.sha256 != sha256:
        raise PriamError(f"Stored framework texts do not match their recorded sha256 {sha256}.")
    return framework


def framework_guide(version: FrameworkVersion) -> FrameworkGuide | None:
    """The version's latest guide (its explanatory texts), or None if it has none."""
    return FrameworkGuide.objects.filter(framework_version=version).order_by("-number").first()


def engine_guide(version: FrameworkVersion, guide: FrameworkGuide | None = None) -> engine.Guide | None:
    """The engine's Guide for a stored guide (default: the version's latest), built once per
    process and checked against the framework it explains."""
    guide = guide if guide is not None else framework_guide(version)
    if guide is None:
        return None
    return _build_guide(version.sha256, tuple(sorted(version.texts.items())), guide.sha256, json.dumps(guide.data))


@lru_cache(maxsize=16)
def _build_guide(framework_sha256: str, items: tuple[tuple[str, str], ...], sha256: str, data: str) -> engine.Guide:
    built = engine.load_guide(_build(framework_sha256, items), json.loads(data))
    if built.sha256 != sha256:
        raise PriamError(f"Stored guide does not match its recorded sha256 {sha256}.")
    return built
