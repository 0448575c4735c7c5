import re
from html import unescape

from django.test import Client
from django.urls import reverse

from assessments.models import User


def as_user(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def send(project, panel):
    return as_user("coordinator").post(reverse("send_to_panel", args=[project.pk]), {"panel": panel.pk, "note": "Please review."})


def declare(review, username, conflicted=False, details=""):
    return as_user(username).post(
        reverse("review_declare", args=[review.pk]),
        {"conflicted": "yes" if conflicted else "no", "details": details},
    )


def vote(review, username, choice="approve", rationale="Risks are controlled."):
    return as_user(username).post(reverse("review_vote", args=[review.pk]), {"choice": choice, "rationale": rationale})


def decide(review, outcome="approve_with_conditions", conditions=(), rationale="The panel agrees.",
           dissent="", questions="", username="chair"):
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


def decide_form(client, review, outcome="approve_with_conditions", conditions=(), rationale="The panel agrees.",
                dissent="", questions=""):
    """Post the decision form only: a valid one answers with the confirmation page."""
    data = {
        "outcome": outcome, "rationale": rationale, "dissent": dissent, "questions": questions,
        "conditions-TOTAL_FORMS": str(len(conditions)), "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0", "conditions-MAX_NUM_FORMS": "1000",
    }
    for i, condition in enumerate(conditions):
        data[f"conditions-{i}-text"] = condition["text"]
        data[f"conditions-{i}-rule"] = condition.get("rule") or ""
        if condition.get("blocking"):
            data[f"conditions-{i}-blocking"] = "on"
    return client.post(reverse("review_decide", args=[review.pk]), data)
