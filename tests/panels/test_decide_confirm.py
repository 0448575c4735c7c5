"""Issuing a decision record asks first: the decision form leads to a confirmation page."""

import re
from html import unescape

import pytest
from django.urls import reverse

from assessments.models import AuditEvent, DecisionRecord, Panel, PanelReview
from tests.helpers import as_user, confirm_decision, confirmation_fields, decide_form, declare, send, vote

pytestmark = pytest.mark.django_db

CONDITIONS = [
    {"text": "Publish the project on the public register", "blocking": True},
    {"text": "Annual report to the custodians, “quoted” & <escaped>"},
]


@pytest.fixture
def review(assessed_project, demo):
    assert send(assessed_project, Panel.objects.get(name="National Data Access Panel")).status_code == 302
    review = PanelReview.objects.get(project=assessed_project)
    for member in ("chair", "panel", "panel2"):
        declare(review, member)
        vote(review, member, "approve_with_conditions", "Controls are adequate.")
    return review


def text(html):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _ask(client, review):
    return decide_form(
        client,
        review,
        conditions=CONDITIONS,
        rationale="Line one.\nLine two.",
        dissent="Panel2 would prefer annual audits.",
    )


def test_the_decision_form_shows_a_confirmation_and_issues_nothing(review):
    response = _ask(as_user("chair"), review)
    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Approve with conditions" in page
    assert "Publish the project on the public register" in page and "blocking" in page.lower()
    assert "Annual report to the custodians, “quoted” & <escaped>" in page
    assert "Line one." in page and "Panel2 would prefer annual audits." in page
    for assessment in review.project.assessments.select_related("organisation"):
        assert assessment.organisation.name in page
    assert "cannot be undone" in page
    assert not DecisionRecord.objects.exists()
    assert not AuditEvent.objects.filter(action="review.decided").exists()
    PanelReview.objects.get(pk=review.pk, status=PanelReview.Status.OPEN)


def test_confirming_issues_the_record_exactly_as_entered(review):
    client = as_user("chair")
    response = confirm_decision(client, review, _ask(client, review).content.decode())
    record = DecisionRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("record_detail", args=[record.number])
    decision = record.decision
    assert decision.outcome == "approve_with_conditions"
    assert decision.rationale == "Line one.\nLine two."
    assert decision.dissent == "Panel2 would prefer annual audits."
    assert [(c["text"], c["blocking"]) for c in decision.conditions] == [
        ("Publish the project on the public register", True),
        ("Annual report to the custodians, “quoted” & <escaped>", False),
    ]


def test_change_goes_back_to_the_form_with_everything_kept(review):
    client = as_user("chair")
    response = confirm_decision(client, review, _ask(client, review).content.decode(), button="change")
    assert response.status_code == 200
    assert not DecisionRecord.objects.exists()
    html = response.content.decode()
    assert f'action="{reverse("review_decide", args=[review.pk])}"' in html
    assert re.search(r'<textarea name="rationale"[^>]*>\s*Line one.\nLine two.</textarea>', html)
    assert re.search(r'<textarea name="dissent"[^>]*>\s*Panel2 would prefer annual audits.</textarea>', html)
    assert re.search(r'name="outcome" value="approve_with_conditions"[^>]*checked', html)
    assert 'value="Publish the project on the public register"' in html
    assert 'value="Annual report to the custodians, “quoted” &amp; &lt;escaped&gt;"' in html
    blocking = re.search(r'name="conditions-0-blocking"[^>]*>', html).group(0)
    assert "checked" in blocking
    assert "checked" not in re.search(r'name="conditions-1-blocking"[^>]*>', html).group(0)


def test_an_invalid_decision_form_is_shown_again_without_a_confirmation(review):
    response = decide_form(as_user("chair"), review, outcome="refer_back", rationale="Unclear.")
    assert response.status_code == 400
    assert "A referral needs the panel" in response.content.decode()
    assert 'id="decision-confirm"' not in response.content.decode()


def test_a_confirmation_is_checked_again_when_it_is_posted(review):
    client = as_user("chair")
    fields = confirmation_fields(_ask(client, review).content.decode())
    fields["rationale"] = ""
    response = client.post(reverse("review_decide", args=[review.pk]), {**fields, "confirm": "1"})
    assert response.status_code == 400
    assert not DecisionRecord.objects.exists()


def test_a_member_who_is_not_the_chair_cannot_issue_through_the_confirmation(review):
    chair = as_user("chair")
    html = _ask(chair, review).content.decode()
    response = confirm_decision(as_user("panel"), review, html)
    assert response.status_code == 400
    assert not DecisionRecord.objects.exists()


def test_the_chairs_page_labels_every_field_once_with_the_vote_and_decision_forms_together(review):
    """Both forms have a rationale: each label must name its own box (WCAG 1.3.1, 4.1.2)."""
    html = as_user("chair").get(reverse("review_detail", args=[review.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert target in ids, target
