"""Who sees and edits what, for every persona. Outsiders get 404, as if nothing were there."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Organisation, User
from assessments.services.projects import project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(demo, framework_v1):
    coordinator = User.objects.get(username="coordinator")
    return project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=list(Organisation.objects.filter(slug__in=["north-thames-gp", "met-pollution-grid"])),
        framework_version=framework_v1,
        title="Permissions",
        summary="s",
        lead_researcher="r",
        lead_organisation="o",
        purpose="p",
        public_benefit="b",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2027, 2, 1),
    )


def _urls(project):
    gp = project.assessments.get(organisation__slug="north-thames-gp")
    return {
        "detail": reverse("project_detail", args=[project.pk]),
        "project_section": reverse("project_section", args=[project.pk, "people"]),
        "assessment": reverse("assessment_detail", args=[project.pk, gp.pk]),
        "assessment_section": reverse("assessment_section", args=[project.pk, gp.pk, "data"]),
        "risk": reverse("risk_profile", args=[project.pk]),
        "edit": reverse("project_edit", args=[project.pk]),
    }


READERS = {"detail", "project_section", "assessment", "assessment_section", "risk"}
GET_ALLOWED = {
    "coordinator": READERS | {"edit"},
    "custodian": READERS,
    "metgrid": READERS,  # a fellow custodian of the project reads, but does not edit, GP's part
    "auditor": READERS,
    "admin": READERS,
    "outsider": set(),
    "genomics": set(),
    "chair": set(),
    "panel": set(),
}


@pytest.mark.parametrize("username", sorted(GET_ALLOWED))
def test_who_can_see_what(project, username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    for name, url in _urls(project).items():
        expected = 200 if name in GET_ALLOWED[username] else 404
        assert client.get(url).status_code == expected, (username, name)


def test_anonymous_users_are_sent_to_login(project):
    for url in _urls(project).values():
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


POST_ALLOWED = {
    "coordinator": {"project_section", "edit"},
    "custodian": {"assessment_section", "submit", "confirm"},
    "metgrid": set(),
    "auditor": set(),
    "admin": set(),
    "outsider": set(),
}


@pytest.mark.parametrize("username", sorted(POST_ALLOWED))
def test_who_can_change_what(project, username):
    gp = project.assessments.get(organisation__slug="north-thames-gp")
    urls = {
        "project_section": reverse("project_section", args=[project.pk, "people"]),
        "assessment_section": reverse("assessment_section", args=[project.pk, gp.pk, "data"]),
        "submit": reverse("assessment_submit", args=[project.pk, gp.pk]),
        "confirm": reverse("assessment_confirm", args=[project.pk, gp.pk]),
        "edit": reverse("project_edit", args=[project.pk]),
    }
    client = Client()
    client.force_login(User.objects.get(username=username))
    for name, url in urls.items():
        status = client.post(url, {"base_version": "0", "save": "1"}).status_code
        if name in POST_ALLOWED[username]:
            assert status != 404, (username, name)
        else:
            assert status == 404, (username, name)
    project.refresh_from_db()
    gp.refresh_from_db()
    if username not in ("coordinator", "custodian"):
        assert project.answers == {} and gp.answers == {}


def test_the_custodian_sees_project_answers_read_only(project, login, custodian):
    html = login(custodian).get(reverse("project_section", args=[project.pk, "people"])).content.decode()
    assert 'id="section-form"' not in html


def test_the_auditor_sees_no_edit_controls(project, login, auditor):
    gp = project.assessments.get(organisation__slug="north-thames-gp")
    html = login(auditor).get(reverse("assessment_detail", args=[project.pk, gp.pk])).content.decode()
    assert "Submit assessment" not in html and "Confirm project answers" not in html


def test_auditors_find_the_projects_audit_history_from_its_page(project, login, auditor, custodian):
    timeline = reverse("audit_project_timeline", args=[project.pk])
    assert timeline in login(auditor).get(reverse("project_detail", args=[project.pk])).content.decode()
    client = Client()
    client.force_login(custodian)
    assert timeline not in client.get(reverse("project_detail", args=[project.pk])).content.decode()
