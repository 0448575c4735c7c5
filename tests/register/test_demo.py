"""Issue 17's acceptance: the demo's decided project can be published (the demo leaves it
unpublished) and then appears on the register and in each of its feeds."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from assessments.models import AuditEvent, Project, Publication, User
from assessments.services.demo import demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_coordinator_publishes_the_decided_project_through_the_form(signing_ca, client, login):
    demo_load()
    assert not Publication.objects.exists()
    project = Project.objects.get(title="Federated genomics across two TREs")
    assert client.get("/register.json").json()["count"] == 0
    browser = login(User.objects.get(username="coordinator"))
    assert "Publish on the public register" in browser.get(f"/projects/{project.pk}/").content.decode()
    form = browser.get(f"/projects/{project.pk}/publish/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["lay_summary"] = "Researchers link genetic and health records, inside two secure environments."
    done = browser.post(f"/projects/{project.pk}/publish/", data)
    assert done.status_code == 302
    number = done["Location"].split("/")[2]
    assert AuditEvent.objects.filter(action="project.published", project_id=project.pk).count() == 1
    client.logout()
    assert number in client.get("/register/").content.decode()
    assert "secure environments" in client.get(f"/register/{number}/").content.decode()
    assert [e["record_number"] for e in client.get("/register.json").json()["results"]] == [number]
    rows = list(csv.DictReader(io.StringIO(client.get("/register.csv").content.decode())))
    assert [r["record_number"] for r in rows] == [number]
    feed = ET.fromstring(client.get("/register.atom").content)
    assert [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}id")][1:] == [number]
