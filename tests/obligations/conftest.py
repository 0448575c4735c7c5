import pytest

from assessments.models import Panel, User
from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast

ETHICS = {"text": "Send the favourable ethics opinion before access starts.", "rule": "", "blocking": True}
REPORT = {"text": "Report progress to the custodians after six months.", "rule": "", "blocking": False}


@pytest.fixture
def approve():
    """Take an assessed project through the demo panel to an approving record (no PDF made)."""

    def run(project, outcome="approve_with_conditions", conditions=(ETHICS, REPORT)):
        review = review_send(
            project=project, panel=Panel.objects.get(name="National Data Access Panel"), actor=project.coordinator
        )
        for username in ("chair", "panel", "panel2"):
            member = User.objects.get(username=username)
            conflict_declare(review=review, member=member, conflicted=False)
            vote_cast(review=review, member=member, choice=outcome, rationale="Fine.")
        return review_decide(
            review=review,
            chair=User.objects.get(username="chair"),
            outcome=outcome,
            conditions=list(conditions),
            rationale="Agreed.",
        )

    return run


@pytest.fixture
def approved(assessed_project, approve):
    """E1 approved with one blocking and one dated condition; returns (project, record)."""
    record = approve(assessed_project)
    assessed_project.refresh_from_db()
    return assessed_project, record
