"""A risk profile that a reader can keep and use without PRIAM: a PDF, marked as an assessment and
not a decision (unsigned: only decision records are signed), and the exchange format's JSON.

Both are made from the stored evaluation (its result and the exact document it evaluated), so an
earlier revision exports as it was evaluated, as its risk profile page shows it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import printed
from .charts import five_safes_svg
from .risk_profile import risk_profile_context
from .selectors.frameworks import engine_guide

if TYPE_CHECKING:
    from .models import Evaluation, Project


def risk_profile_pdf_html(project: Project, evaluation: Evaluation, framework) -> str:
    context = risk_profile_context(project, evaluation, framework, guide=engine_guide(evaluation.framework_version))
    result = evaluation.result
    return render_to_string(
        "projects/risk_profile_pdf.html",
        {
            **context,
            "chart": five_safes_svg(
                result["tiers"],
                labels=framework.safe_labels,
                per_custodian=[(c["name"], c["tiers"]) for c in result.get("custodians", [])],
                title=f"Five Safes tiers of {project.title}, revision {evaluation.revision}",
                tier_names=[t["name"] for t in framework.tiers],
                safes=framework.safes,
                id_prefix="assessment",
            ),
            "framework_name": printed.framework_name(framework, result.get("framework", {})),
            "letterhead": printed.letterhead(),
            "page_url": printed.public_url(reverse("risk_profile_revision", args=[project.pk, evaluation.revision])),
            "printed_at": timezone.now(),
        },
    )


def risk_profile_pdf(project: Project, evaluation: Evaluation, framework) -> bytes:
    """The risk profile as a tagged PDF/A-3b (it is not signed, so nothing stops it being PDF/A)."""
    from .pdf.render import render_pdf  # WeasyPrint takes a second to import

    return render_pdf(risk_profile_pdf_html(project, evaluation, framework), archival=True)


def exchange_document(evaluation: Evaluation) -> dict:
    """The assessment document and its evaluation result in the exchange format (spec section 8):
    `document` is what `manage.py assess` and the API read, `result` what they return for it."""
    return {"document": evaluation.document, "result": evaluation.result}


def exchange_json(evaluation: Evaluation) -> str:
    return json.dumps(exchange_document(evaluation), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export_filename(project: Project, evaluation: Evaluation, extension: str) -> str:
    return f"risk-profile-project-{project.pk}-revision-{evaluation.revision}.{extension}"
