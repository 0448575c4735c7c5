"""Drive PRIAM through its web forms, as a browser would post them: the questionnaire and the panel."""

import re
import time
from html import unescape

from django.test import Client
from django.urls import reverse

from assessments.models import Project, User
from assessments.selectors.frameworks import engine_framework


def form_value(answer):
    if answer is True:
        return "true"
    if answer is False:
        return "false"
    if isinstance(answer, int):
        return str(answer)
    return answer


def section_url(project, safe, assessment=None):
    if assessment is None:
        return reverse("project_section", args=[project.pk, safe])
    return reverse("assessment_section", args=[project.pk, assessment.pk, safe])


def base_version(client, url):
    html = client.get(url).content.decode()
    return int(re.search(r'name="base_version" value="(\d+)"', html).group(1))


def post_section(client, project, safe, answers, assessment=None, version=None, button="continue"):
    url = section_url(project, safe, assessment)
    data = {"base_version": base_version(client, url) if version is None else version, button: "1"}
    for qid, answer in answers.items():
        if answer is not None:
            data[qid] = form_value(answer)
    return client.post(url, data)


def fill_project_answers(client, project, answers):
    framework = engine_framework(project.framework_version)
    for safe in framework.safes:
        questions = framework.section(safe, "project")
        if questions:
            response = post_section(client, project, safe, {q.id: answers.get(q.id) for q in questions})
            assert response.status_code == 302, response.content.decode()[:3000]


def fill_custodian_answers(client, project, assessment, answers):
    framework = engine_framework(Project.objects.get(pk=project.pk).framework_version)
    for safe in framework.safes:
        questions = framework.section(safe, "custodian")
        if questions:
            response = post_section(
                client, project, safe, {q.id: answers.get(q.id) for q in questions}, assessment=assessment
            )
            assert response.status_code == 302, response.content.decode()[:3000]


def confirm(client, project, assessment):
    """Confirm the project answers as a browser does: with the version shown on the page."""
    page = client.get(reverse("assessment_detail", args=[project.pk, assessment.pk])).content.decode()
    found = re.search(r'name="answers_version" value="(\d+)"', page)
    version = found.group(1) if found else ""
    return client.post(reverse("assessment_confirm", args=[project.pk, assessment.pk]), {"answers_version": version})


def as_user(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def send(project, panel):
    return as_user("coordinator").post(
        reverse("send_to_panel", args=[project.pk]), {"panel": panel.pk, "note": "Please review."}
    )


def declare(review, username, conflicted=False, details=""):
    return as_user(username).post(
        reverse("review_declare", args=[review.pk]),
        {"conflicted": "yes" if conflicted else "no", "details": details},
    )


def vote(review, username, choice="approve", rationale="Risks are controlled."):
    return as_user(username).post(reverse("review_vote", args=[review.pk]), {"choice": choice, "rationale": rationale})


def decide(
    review,
    outcome="approve_with_conditions",
    conditions=(),
    rationale="The panel agrees.",
    dissent="",
    questions="",
    username="chair",
):
    """Record a decision as the chair does: the form, then its confirmation page's "Issue" button."""
    client = as_user(username)
    response = decide_form(client, review, outcome, conditions, rationale, dissent, questions)
    if response.status_code != 200:
        return response  # refused before any confirmation
    return confirm_decision(client, review, response.content.decode())


def confirmation_fields(html):
    """The values the confirmation page carries, as its form would post them."""
    form = re.search(r'<form[^>]*id="decision-confirm".*?</form>', html, re.S).group(0)
    fields = {}
    for tag in re.findall(r'<input type="hidden"[^>]*>', form):
        name = re.search(r'name="([^"]*)"', tag).group(1)
        fields[name] = unescape(re.search(r'value="([^"]*)"', tag).group(1))
    return fields


def confirm_decision(client, review, html, button="confirm"):
    return client.post(reverse("review_decide", args=[review.pk]), {**confirmation_fields(html), button: "1"})


def decide_form(
    client,
    review,
    outcome="approve_with_conditions",
    conditions=(),
    rationale="The panel agrees.",
    dissent="",
    questions="",
):
    """Post the decision form only: a valid one answers with the confirmation page."""
    data = {
        "outcome": outcome,
        "rationale": rationale,
        "dissent": dissent,
        "questions": questions,
        "conditions-TOTAL_FORMS": str(len(conditions)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for i, condition in enumerate(conditions):
        data[f"conditions-{i}-text"] = condition["text"]
        data[f"conditions-{i}-rule"] = condition.get("rule") or ""
        if condition.get("blocking"):
            data[f"conditions-{i}-blocking"] = "on"
    return client.post(reverse("review_decide", args=[review.pk]), data)


def wait_for(predicate, timeout, what):
    """Poll until `predicate()` is truthy (returning its value), for a process outside the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
