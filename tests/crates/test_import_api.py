"""POST /api/v1/received/ and reading what was received: refusals are problem details with the reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assessments.models import ReceivedAssessment
from tests.api.test_api import token_for
from tests.crates.test_import import crate_files, crate_zip
from tests.crates.test_import_pages import crate_received  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _post(client, data):
    return client.post("/api/v1/received/", {"file": SimpleUploadedFile("crate.zip", data, "application/zip")})


def test_import_over_the_api(crate_received):  # noqa: F811
    record, data = crate_received
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('admin')}")
    forged = crate_zip(crate_files(record), extra=[("../../etc/cron.d/x", b"x")])
    refused = _post(client, forged)
    assert refused.status_code == 422 and refused["Content-Type"].startswith("application/problem+json")
    assert "unsafe path" in refused.json()["detail"]
    assert not ReceivedAssessment.objects.exists()

    created = _post(client, data)
    assert created.status_code == 201
    body = created.json()
    assert (body["peer"], body["record_number"], body["snapshot_sha256"]) == (
        "North PRIAM",
        record.number,
        record.snapshot_sha256,
    )
    assert created["Location"] == body["url"]
    again = _post(client, data)
    assert again.status_code == 409 and "already received" in again.json()["detail"]
    detail = client.get(body["url"]).json()
    assert detail["snapshot"] == record.snapshot and detail["document"] == record.snapshot["document"]
    listed = client.get("/api/v1/received/").json()
    assert [r["record_number"] for r in listed["results"]] == [record.number]
