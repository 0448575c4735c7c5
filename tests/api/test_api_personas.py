"""Each API endpoint with each persona: the same policy as the web pages (outsiders get 404)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assessments.models import Notification, SignOff, User
from assessments.services.evidence import evidence_upload
from tests.api.test_api import put_json, token_for
from tests.api.test_criteria_api import publish_gp_versions
from tests.criteria.test_sign_offs import REVIEW, _project

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "custodian", "genomics", "chair", "panel", "auditor", "admin", "outsider"]


@pytest.fixture
def world(assessed_project, issue_record, example_project, settings, tmp_path):
    """E1 decided (its panel has seen it, and a document supports one of its answers) and E2 being
    assessed (no panel yet)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence = evidence_upload(
        project=assessed_project,
        user=assessed_project.coordinator,
        uploaded_file=SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n%%EOF\n"),
        question="PE1",
    )
    record = issue_record(assessed_project)
    e2 = example_project("E2", submit=[])
    return {"e1": assessed_project, "record": record, "e2": e2, "evidence": evidence}


def _get(username, url):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=True)}")
    return client.get(url).status_code


# Who may read what. E1's custodians are Cambridge BRC (the coordinator's TRE) and
# Genomics England; E2's are new organisations, so `custodian` and `genomics` see only E1.
EXPECTED = {
    "e1": {"coordinator", "genomics", "chair", "panel", "auditor", "admin"},
    "e2": {"coordinator", "auditor", "admin"},
    "audit": {"auditor", "admin"},
}


@pytest.mark.parametrize("username", PERSONAS)
def test_read_endpoints_by_persona(world, username):
    e1, e2, record = world["e1"], world["e2"], world["record"]
    e1_assessment = e1.assessments.first()
    e1_sign_off = SignOff.objects.filter(project=e1).first()
    cases = {
        f"/api/v1/projects/{e1.pk}/": "e1",
        f"/api/v1/projects/{e1.pk}/answers/": "e1",
        f"/api/v1/projects/{e1.pk}/risk-profile/": "e1",
        f"/api/v1/projects/{e1.pk}/assessments/{e1_assessment.pk}/": "e1",
        f"/api/v1/projects/{e1.pk}/sign-offs/": "e1",
        f"/api/v1/projects/{e1.pk}/evidence/": "e1",
        f"/api/v1/evidence/{world['evidence'].pk}/": "e1",
        f"/api/v1/evidence/{world['evidence'].pk}/download/": "e1",
        f"/api/v1/projects/{e2.pk}/evidence/": "e2",
        f"/api/v1/projects/{e1.pk}/comments/": "e1",
        f"/api/v1/sign-offs/{e1_sign_off.pk}/": "e1",
        f"/api/v1/records/{record.number}/": "e1",
        f"/api/v1/records/{record.number}/pdf/": "e1",
        f"/api/v1/records/{record.number}/crate/": "e1",
        f"/api/v1/projects/{e2.pk}/": "e2",
        f"/api/v1/projects/{e2.pk}/answers/": "e2",
        f"/api/v1/projects/{e2.pk}/sign-offs/": "e2",
        f"/api/v1/projects/{e2.pk}/comments/": "e2",
        "/api/v1/audit-events/": "audit",
    }
    for url, who in cases.items():
        expected = 200 if username in EXPECTED[who] else 404
        assert _get(username, url) == expected, (username, url)
    # Everyone signed in reads their own notifications, and only theirs.
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=True)}")
    mine = client.get("/api/v1/notifications/?page_size=100")
    assert mine.status_code == 200, username
    assert {n["id"] for n in mine.json()["results"]} == set(
        Notification.objects.filter(recipient__username=username).values_list("pk", flat=True)
    ), username
    listed = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username)}").get("/api/v1/projects/").json()
    ids = {p["id"] for p in listed["results"]}
    assert (e1.pk in ids) == (username in EXPECTED["e1"])
    assert (e2.pk in ids) == (username in EXPECTED["e2"])


@pytest.mark.parametrize("username", PERSONAS)
def test_evaluate_and_frameworks_are_open_to_every_signed_in_persona(world, username):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=True)}")
    assert client.get("/api/v1/frameworks/").status_code == 200
    with open("fixtures/examples/E4.json") as document:
        assert client.post("/api/v1/evaluate/", document.read(), content_type="application/json").status_code == 200
    # The exchange format's schemas are public: another TRE checks documents before it has an account.
    for name in ("assessment-document", "evaluation-result"):
        for reader in (client, Client()):
            response = reader.get(f"/api/v1/schemas/{name}.json")
            assert response.status_code == 200 and response.json()["$schema"].endswith("2020-12/schema"), name


def test_only_members_of_the_custodian_write_its_assessment(world):
    e2 = world["e2"]
    assessment = e2.assessments.order_by("organisation__name").first()
    member = assessment.organisation.members.first()
    url = f"/api/v1/projects/{e2.pk}/assessments/{assessment.pk}/"
    for username in ["coordinator", "auditor", "admin", "outsider", member.username]:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username)}")
        read = client.get(url)
        etag = read["ETag"] if read.status_code == 200 else '"x"'
        status = client.put(
            url + "answers/", '{"answers": {}}', content_type="application/json", HTTP_IF_MATCH=etag
        ).status_code
        assert status == (200 if username == member.username else 404), username
    assert User.objects.filter(username=member.username).exists()


@pytest.mark.parametrize("username", [*PERSONAS, "gp-records-approver"])
def test_only_the_custodians_approver_signs_its_sign_off(example_project, username):
    project = _project(example_project, {"GP records": REVIEW})
    sign_off = SignOff.objects.get(project=project, organisation__name="GP records")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username)}")
    read = client.get(f"/api/v1/sign-offs/{sign_off.pk}/")
    etag = read["ETag"] if read.status_code == 200 else '"x"'
    body = {"outcome": "approve", "reason": "Fine."}
    status = put_json(client, f"/api/v1/sign-offs/{sign_off.pk}/", body, HTTP_IF_MATCH=etag).status_code
    assert status == (200 if username == "gp-records-approver" else 404), username


@pytest.mark.parametrize("username", PERSONAS)
def test_published_criteria_and_appetites_are_open_to_every_signed_in_persona(demo, username):
    organisation = publish_gp_versions()
    base = f"/api/v1/organisations/{organisation.slug}"
    urls = [
        "/api/v1/organisations/",
        f"{base}/criteria/",
        f"{base}/criteria/1/",
        f"{base}/appetite/",
        f"{base}/appetite/1/",
    ]
    for url in urls:
        assert _get(username, url) == 200, (username, url)
    # Drafts stay with the organisation's members, auditors and administrators.
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=True)}")
    statuses = {v["status"] for v in client.get(f"{base}/criteria/").json()["results"]}
    assert ("draft" in statuses) == (username in {"custodian", "auditor", "admin"}), username


@pytest.mark.parametrize("username", PERSONAS)
def test_received_assessments_by_persona(world, username):
    """Administrators import crates; administrators and coordinators read what was received."""
    from assessments.pdf import testca
    from assessments.services.crate_import import peer_trust
    from tests.crates.test_import import crate_files, crate_zip

    ca = (testca.default_directory() / testca.CA_FILE).read_text()
    peer_trust(name="North PRIAM", base_url="https://north.priam.example", certificate_pem=ca)
    crate = crate_zip(crate_files(world["record"]))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username)}")
    posted = client.post("/api/v1/received/", {"file": SimpleUploadedFile("crate.zip", crate, "application/zip")})
    assert posted.status_code == (201 if username == "admin" else 404), (username, posted.content[:300])
    if username != "admin":
        admin = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('admin')}")
        posted = admin.post("/api/v1/received/", {"file": SimpleUploadedFile("crate.zip", crate, "application/zip")})
        assert posted.status_code == 201
    readers = {"coordinator", "admin"}
    for url in ("/api/v1/received/", posted.json()["url"]):
        assert _get(username, url) == (200 if username in readers else 404), (username, url)


@pytest.mark.parametrize("username", [*PERSONAS, "gp-approver", None])
def test_the_register_is_open_to_all_and_only_the_coordinator_publishes(world, username):
    e1 = world["e1"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username)}") if username else Client()
    assert client.get("/api/v1/register/").json()["count"] == 0
    body = {"lay_summary": "A plain summary."}
    status = client.post(f"/api/v1/projects/{e1.pk}/publication/", body, content_type="application/json").status_code
    # Who cannot see E1 gets 404 (401 unsigned); who sees it but is not its coordinator, 403.
    expected = {"coordinator": 200, None: 401}.get(username, 403 if username in EXPECTED["e1"] else 404)
    assert status == expected, username
    assert client.get("/api/v1/register/").json()["count"] == (1 if username == "coordinator" else 0)
