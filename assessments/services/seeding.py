"""Build a project from a spec section 8 document, through the same services a user's clicks use.

Used by the demo data (E1, E2) and by tests: nothing here writes models directly.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from ..selectors.frameworks import engine_framework
from .answers import section_save
from .assessments import assessment_confirm, assessment_submit
from .projects import project_create

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from ..models import FrameworkVersion, Organisation, Project, User


def project_from_document(
    *,
    document: Mapping[str, Any],
    coordinator: User,
    coordinating_organisation: Organisation,
    organisations: Mapping[str, Organisation],
    framework_version: FrameworkVersion,
    submit: Collection[str] | None = None,
    confirm: Collection[str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Project:
    """`organisations` maps each custodian name in the document to an Organisation.

    `submit` / `confirm`: the custodian names that submit / confirm (default: all).
    Returns the project.
    """
    framework = engine_framework(framework_version)
    names = [c["name"] for c in document["custodians"]]
    submit = names if submit is None else submit
    confirm = names if confirm is None else confirm
    today = datetime.date(2026, 1, 1)
    project = project_create(
        actor=coordinator,
        coordinating_organisation=coordinating_organisation,
        custodians=[organisations[name] for name in names],
        framework_version=framework_version,
        **{
            "title": document.get("title", "Untitled project"),
            "summary": f"Worked example: {document.get('title', '')}.",
            "lead_researcher": "Dr A. Researcher",
            "lead_organisation": "University of Cambridge",
            "purpose": "Public-benefit research.",
            "public_benefit": "Better understanding of health outcomes.",
            "start_date": today,
            "end_date": today + datetime.timedelta(days=365),
            **(details or {}),
        },
    )
    for safe in framework.safes:
        questions = framework.section(safe, "project")
        if questions:
            section_save(
                project=project,
                safe=safe,
                base_version=0,
                actor=coordinator,
                answers={q.id: document["answers"].get(q.id) for q in questions},
            )
    assessments = {a.organisation_id: a for a in project.assessments.all()}
    for custodian in document["custodians"]:
        assessment = assessments[organisations[custodian["name"]].pk]
        member = organisations[custodian["name"]].members.first() or coordinator
        for safe in framework.safes:
            questions = framework.section(safe, "custodian")
            if questions:
                section_save(
                    project=project,
                    assessment=assessment,
                    safe=safe,
                    base_version=0,
                    actor=member,
                    answers={q.id: custodian["answers"].get(q.id) for q in questions},
                )
    # Everyone answers before anyone confirms, as people usually do: otherwise each earlier
    # confirmation would show the later custodians' answers as "changed since you confirmed".
    for custodian in document["custodians"]:
        assessment = assessments[organisations[custodian["name"]].pk]
        member = organisations[custodian["name"]].members.first() or coordinator
        if custodian["name"] in submit:
            assessment_submit(assessment=assessment, actor=member)
        if custodian["name"] in confirm:
            assessment_confirm(assessment=assessment, actor=member)
    project.refresh_from_db()
    return project
