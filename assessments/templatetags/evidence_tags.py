"""Evidence in templates: a document's type in words, what it supports, and the project's list."""

from django import template
from django.template.defaultfilters import filesizeformat

from ..selectors.evidence import project_evidence
from ..services.evidence import ALLOWED_TYPES, max_bytes

register = template.Library()


@register.filter
def evidence_type(content_type):
    return ALLOWED_TYPES.get(content_type, content_type)


@register.filter
def evidence_target(evidence):
    """What a document supports, in words: "Obligation 2: …", "Question S3 (North Thames GP Records)"."""
    if evidence.obligation_id is not None:
        return f"Obligation {evidence.obligation.number}: {evidence.obligation.text}"
    if evidence.assessment_id is not None:
        return f"Question {evidence.question} ({evidence.assessment.organisation.name})"
    return f"Question {evidence.question} (project-wide)"


@register.inclusion_tag("evidence/_project_section.html")
def project_evidence_section(project):
    return {"project": project, "evidence_list": project_evidence(project), "evidence_show_target": True}


@register.simple_tag
def evidence_limit():
    return filesizeformat(max_bytes())
