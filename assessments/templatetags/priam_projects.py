"""Where a project stands (record in force, amendment, referral) and what changed since a confirmation."""

from django import template
from django.utils import timezone

from .. import permissions
from ..forms.questionnaire import display_answer
from ..selectors.obligations import project_obligations
from ..selectors.projects import confirmation_changes, project_standing

register = template.Library()

DECIDED_AS = {
    "approve": "Approved",
    "approve_with_conditions": "Approved with conditions",
    "reject": "Rejected",
}


@register.inclusion_tag("projects/_standing.html", takes_context=True)
def project_standing_banner(context, project):
    user = context["request"].user
    standing = project_standing(project)
    record = standing["record_in_force"]
    return {
        **standing,
        "project": project,
        "decided_as": DECIDED_AS.get(record.outcome, "Decided") if record else "",
        "can_amend": permissions.can_request_amendment(user, project),
        "can_reply": bool(permissions.referral_reply_organisations(user, project)),
        "after_approval": project_obligations(project),
        "can_renew": permissions.can_renew(user, project),
        "today": timezone.localdate(),
    }


def _readable(change):
    question = change["question"]
    label = question.label if question is not None else change["qid"]
    if question is None:
        return {**change, "label": label, "before": change["before"], "after": change["after"]}
    return {
        **change,
        "label": label,
        "before": display_answer(question, change["before"]),
        "after": display_answer(question, change["after"]),
    }


@register.inclusion_tag("projects/_confirmation_changes.html")
def confirmation_changes_table(assessment, include_others=False, document=None):
    changes = confirmation_changes(assessment, document)
    return {
        "assessment": assessment,
        "confirmed": changes["confirmed"],
        "lapsed": assessment.confirmation_lapsed,
        "framework_changed": changes["framework_changed"],
        "framework_before": changes["framework_before"],
        "framework_after": changes["framework_after"],
        "unanswered": changes["unanswered"],
        "answers": [_readable(c) for c in changes["answers"]],
        "details": changes["details"],
        "others": [_readable(c) for c in changes["other_custodians"]] if include_others else [],
        "include_others": include_others,
    }
