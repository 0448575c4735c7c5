"""The received-assessment pages: upload (administrators), the read-only page, the PDF, and
starting a local assessment from a received one."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import AuditAction, AuditEvent, Project, ReceivedAssessment, SignOff
from assessments.pdf import testca
from assessments.services.crate_import import crate_import, peer_trust
from tests.crates.test_import import crate_files, crate_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def crate_received(assessed_project, issue_record, admin_user):
    record = issue_record(assessed_project)
    ca = (testca.default_directory() / testca.CA_FILE).read_text()
    peer_trust(name="North PRIAM", base_url="https://north.priam.example", certificate_pem=ca)
    data = crate_zip(crate_files(record))
    return record, data


def _tier_lines(page):
    import re

    listed = re.search(r"<ul data-tiers>(.*?)</ul>", page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", listed, re.S)]


def _upload(client, data):
    return client.post(reverse("received_upload"), {"file": SimpleUploadedFile("crate.zip", data, "application/zip")})


def test_an_administrator_uploads_a_crate_and_sees_it_read_only(crate_received, admin_user, client):
    record, data = crate_received
    client.force_login(admin_user)
    assert "Received assessments" in client.get(reverse("home")).content.decode()
    response = _upload(client, data)
    received = ReceivedAssessment.objects.get()
    assert response.status_code == 302 and response.url == reverse("received_detail", args=[received.pk])
    page = client.get(response.url).content.decode()
    assert "Assessment received from North PRIAM" in page
    for shown in (
        record.number,
        "https://north.priam.example",
        received.crate_sha256,
        record.snapshot["project"]["title"],
    ):
        assert shown in page
    assert "PRIAM decision records (local test)" in page  # the signer
    result = record.snapshot["evaluation"]["result"]
    assert f"Overall tier {result['overall']}" in page
    assert "Sign-off by every data owner" in page  # the snapshot's sign-offs table
    # The snapshot's moments are ISO texts; the page shows them as dates, not blanks.
    from django.utils import timezone

    issued = timezone.localtime(record.issued_at)
    assert f'<dd class="col-sm-9">{issued:%-d %B %Y}</dd>' in page
    # The tiers in the framework's order of the safes, with their names.
    tiers = [
        f"{safe}: tier {result['tiers'][safe.lower()]}"
        for safe in ("People", "Projects", "Settings", "Data", "Outputs")
    ]
    assert [line.split(" (")[0] for line in _tier_lines(page)] == tiers
    pdf = client.get(reverse("received_pdf", args=[received.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(record.pdf.data)
    assert record.number in client.get(reverse("received_list")).content.decode()


def test_a_refused_upload_shows_the_reason_and_saves_nothing(crate_received, admin_user, client):
    record, _ = crate_received
    client.force_login(admin_user)
    forged = crate_zip(dict(crate_files(record), **{"assessment.json": b'{"document": {}, "result": {}}'}))
    response = _upload(client, forged)
    assert response.status_code == 422
    assert "assessment.json differs from the assessment in the signed record" in response.content.decode()
    assert not ReceivedAssessment.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CRATE_RECEIVED).exists()


@pytest.mark.parametrize("username", ["coordinator", "custodian", "chair", "panel", "auditor", "outsider"])
def test_only_administrators_upload(crate_received, client, username):
    from assessments.models import User

    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("received_upload")).status_code == 404
    assert _upload(client, crate_received[1]).status_code == 404
    assert not ReceivedAssessment.objects.exists()


@pytest.mark.parametrize(
    "username, sees",
    [("coordinator", True), ("custodian", False), ("panel", False), ("auditor", False), ("outsider", False)],
)
def test_who_reads_received_assessments(crate_received, admin_user, client, username, sees):
    from assessments.models import User

    received = crate_import(data=crate_received[1], by=admin_user)
    client.force_login(User.objects.get(username=username))
    for url in (
        reverse("received_list"),
        reverse("received_detail", args=[received.pk]),
        reverse("received_pdf", args=[received.pk]),
    ):
        assert client.get(url).status_code == (200 if sees else 404), url
    # Whoever may start from one finds the way there from the projects page.
    assert (f'href="{reverse("received_list")}"' in client.get(reverse("projects")).content.decode()) == sees


def test_a_coordinator_starts_a_local_assessment_from_a_received_one(crate_received, admin_user, coordinator, client):
    record, data = crate_received
    received = crate_import(data=data, by=admin_user)
    client.force_login(coordinator)
    before = set(Project.objects.values_list("pk", flat=True))
    response = client.post(reverse("received_start", args=[received.pk]))
    (new_pk,) = set(Project.objects.values_list("pk", flat=True)) - before
    assert response.status_code == 302 and response.url == reverse("project_detail", args=[new_pk])
    project = Project.objects.get(pk=new_pk)
    source = record.project
    assert project.coordinator == coordinator and project.title == source.title
    assert project.purpose == source.purpose and project.start_date == source.start_date
    assert project.answers and project.answers == source.answers  # the project-scope answers
    assert sorted(a.organisation.name for a in project.assessments.all()) == sorted(
        a.organisation.name for a in source.assessments.all()
    )
    # The local custodians assess afresh: nothing answered, submitted or signed off.
    for assessment in project.assessments.all():
        assert not assessment.answers and assessment.submitted_at is None and assessment.confirmed_at is None
    assert not project.records.exists()
    assert not SignOff.objects.filter(
        organisation__in=[a.organisation for a in project.assessments.all()], evaluation__project=project
    ).exists()
    event = AuditEvent.objects.get(action="project.created_from_received", project_id=project.pk)
    assert event.actor == "coordinator"
    data = json.loads(event.data_json)
    assert (data["received_assessment"], data["peer"], data["record_number"]) == (
        received.pk,
        "North PRIAM",
        record.number,
    )
    assert AuditEvent.objects.filter(action=AuditAction.PROJECT_CREATED, project_id=project.pk).exists()
    page = client.get(response.url).content.decode()
    detail = reverse("received_detail", args=[received.pk])
    assert f'Started from the assessment received from <a href="{detail}">North PRIAM ({record.number})</a>.' in page
    # A custodian of the new project sees where it came from, without a link it could not open.
    from assessments.models import User

    custodian = User.objects.get(username="genomics")
    assert project.assessments.filter(organisation__memberships__user=custodian).exists()
    client.force_login(custodian)
    page = client.get(response.url).content.decode()
    assert f"Started from the assessment received from North PRIAM ({record.number})." in page
    assert detail not in page


def test_an_administrator_without_a_coordinator_role_cannot_start_one(crate_received, admin_user, client):
    received = crate_import(data=crate_received[1], by=admin_user)
    client.force_login(admin_user)
    assert (
        "Start a new local assessment"
        not in client.get(reverse("received_detail", args=[received.pk])).content.decode()
    )
    assert client.post(reverse("received_start", args=[received.pk])).status_code == 404
