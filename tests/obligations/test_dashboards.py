"""Each person's lists: what a project waits for, searchable and filterable, in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Obligation, Project
from tests.obligations.conftest import ETHICS

pytestmark = pytest.mark.django_db


def _row(page, title):
    start = page.index(title)
    cell = page.index("data-waits-for>", start) + len("data-waits-for>")
    return page[cell : page.index("</td>", cell)]


def test_the_projects_page_says_what_each_project_waits_for(approved, example_project, client):
    project, _ = approved
    waiting = example_project("E2", submit=[])
    client.force_login(project.coordinator)
    page = client.get(reverse("projects")).content.decode()
    assert _row(page, project.title) == "1 condition to meet before access starts"
    assert _row(page, waiting.title).startswith("Submissions from ")
    Obligation.objects.filter(project=project, blocking=True).update(status="met")
    page = client.get(reverse("projects")).content.decode()
    assert _row(page, project.title).startswith("Nothing: access may start; approved until ")
    Project.objects.filter(pk=project.pk).update(status="expired")
    page = client.get(reverse("projects")).content.decode()
    assert _row(page, project.title).startswith("Renewal: the approval ended on ")


def test_search_and_status_filters_narrow_the_list(approved, example_project, client):
    project, _ = approved
    other = example_project("E2", submit=[])
    client.force_login(project.coordinator)
    page = client.get(reverse("projects"), {"q": project.title[:12]}).content.decode()
    assert project.title in page and other.title not in page
    page = client.get(reverse("projects"), {"status": "decided"}).content.decode()
    assert project.title in page and other.title not in page
    page = client.get(reverse("projects"), {"q": "no such words"}).content.decode()
    assert "No project matches this search" in page


def test_decided_projects_with_obligations_do_not_add_queries(approved, example_project, approve, client):
    project, _ = approved
    client.force_login(project.coordinator)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("projects"))
    for name in ("E2", "E4"):
        approve(example_project(name), conditions=[ETHICS])
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("projects")).content.decode()
    assert page.count("1 condition to meet before access starts") == 3
    assert len(many) == len(few)


def test_home_shows_a_custodian_the_obligations_it_signs_off(approved, client, genomics):
    project, _ = approved
    client.force_login(genomics)
    page = client.get(reverse("home")).content.decode()
    assert 'data-list="obligations"' in page and ETHICS["text"][:40] in page
    assert "before access starts" in page


def test_your_obligations_shows_what_still_waits_unless_asked_for_everything(approved, client):
    project, _ = approved
    Obligation.objects.filter(project=project, blocking=True).update(status="met")
    client.force_login(project.coordinator)
    page = client.get(reverse("my_obligations")).content.decode()
    assert page.count("data-obligation=") == 1 and ETHICS["text"] not in page
    page = client.get(reverse("my_obligations"), {"status": ""}).content.decode()
    assert page.count("data-obligation=") == 2 and ETHICS["text"] in page
