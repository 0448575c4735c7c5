import pytest

from assessments.models import Panel, User


@pytest.fixture
def e2(example_project):
    """E2 while its custodians are still answering: coordinator plus three custodians, no panel yet."""
    return example_project("E2", submit=[])


@pytest.fixture
def reviewed(assessed_project):
    """E1 with the demo's panel reviewing it (not yet decided)."""
    from assessments.services.panels import review_send

    panel = Panel.objects.get(name="National Data Access Panel")
    review = review_send(project=assessed_project, panel=panel, actor=assessed_project.coordinator)
    return review


def member_of(project, name):
    """The member the example_project fixture made for one of its custodians."""
    assessment = project.assessments.get(organisation__name=name)
    return assessment, User.objects.filter(memberships__organisation=assessment.organisation).first()
