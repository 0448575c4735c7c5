import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from assessments.models import Organisation, Project
from assessments.selectors.frameworks import framework_version_get
from assessments.services.projects import DETAIL_FIELDS, project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(coordinator, framework_v1):
    return project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[Organisation.objects.get(slug="north-thames-gp")],
        framework_version=framework_version_get("five-safes"),
        title="Asthma and air quality",
        summary="Links GP records with pollution.",
        lead_researcher="Dr Siân Ŵyn",
        lead_organisation="Cardiff University",
        purpose="Research",
        public_benefit="Cleaner air policy",
        start_date=datetime.date(2027, 3, 1),
        end_date=datetime.date(2027, 12, 31),
    )


def _rendered_values(html):
    """What a browser would submit untouched: each input's value and each textarea's text.
    A browser empties a date input whose value is not an ISO date (HTML's value sanitisation)."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="(text|date|hidden)"', tag)
        if name and kind:
            value = unescape(value.group(1)) if value else ""
            if kind.group(1) == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = ""
            values[name.group(1)] = value
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = unescape(text).lstrip("\n")
    return values


def test_the_date_inputs_render_iso_dates_a_date_input_can_show(project, login, coordinator):
    html = login(coordinator).get(reverse("project_edit", args=[project.pk])).content.decode()
    assert re.search(r'<input type="date" name="start_date" value="2027-03-01"', html)
    assert re.search(r'<input type="date" name="end_date" value="2027-12-31"', html)


def test_a_save_that_changes_only_the_title_is_saved(project, login, coordinator):
    client = login(coordinator)
    url = reverse("project_edit", args=[project.pk])
    values = _rendered_values(client.get(url).content.decode())
    assert set(DETAIL_FIELDS) <= set(values)
    values["title"] = "Asthma, air quality and schools"
    response = client.post(url, values)
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(pk=project.pk)
    assert project.title == "Asthma, air quality and schools"
    assert project.start_date == datetime.date(2027, 3, 1)
    assert project.end_date == datetime.date(2027, 12, 31)
