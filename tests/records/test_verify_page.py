"""The public /verify/ page: anyone can check a record; bad uploads get a clear message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(assessed_project, issue_record):
    return issue_record(
        assessed_project,
        outcome="approve_with_conditions",
        conditions=[{"text": "Register the project", "rule": "R-PR-07", "blocking": False}],
    )


def _upload(data, name="record.pdf", client=None):
    client = client or Client()
    return client.post(reverse("verify"), {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_the_page_is_public(db):
    response = Client().get(reverse("verify"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_a_record_issued_here_is_valid(record):
    response = _upload(bytes(record.pdf.data))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Valid decision record {record.number}, issued by this PRIAM (current)" in html
    assert "PRIAM decision records (local test)" in html


def test_a_changed_record_is_not_valid(record):
    data = bytearray(record.pdf.data)
    data[data.index(b"stream") + 30] ^= 0x01
    html = _upload(bytes(data)).content.decode()
    assert "Not a valid decision record issued by this PRIAM" in html


def test_a_non_pdf_is_refused_clearly(db):
    html = _upload(b"just some text").content.decode()
    assert "This is not a PDF file." in html


def test_a_damaged_pdf_is_refused_clearly(record):
    html = _upload(bytes(record.pdf.data)[:2000]).content.decode()
    assert "Not a valid decision record" in html
    assert "damaged" in html.lower() or "cannot be read" in html.lower()


def test_a_file_over_20_mb_is_refused_before_reading(db):
    response = _upload(b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024))
    assert response.status_code == 400
    assert "larger than 20 MB" in response.content.decode()


def test_an_upload_is_required(db):
    response = Client().post(reverse("verify"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_a_pdf_signed_by_someone_else_is_not_issued_here(record, tmp_path, settings):
    """Sign the same bytes with a different CA: valid signature, but not this PRIAM's."""
    from assessments.pdf import testca
    from assessments.pdf.signing import sign_pdf

    other = tmp_path / "other-ca"
    testca.ensure_test_ca(other)
    settings.PRIAM_SIGNING = {
        **settings.PRIAM_SIGNING,
        "KEY_FILE": str(other / "signing-key.pem"),
        "CERT_FILE": str(other / "signing-cert.pem"),
        "CHAIN_FILE": str(other / "ca.pem"),
        "USE_TEST_CA": False,
    }
    from assessments.pdf.render import render_pdf

    foreign = sign_pdf(render_pdf("<p>Forged decision record</p>"), reason="forgery")
    settings.PRIAM_SIGNING = {
        **settings.PRIAM_SIGNING,
        "KEY_FILE": "",
        "CERT_FILE": "",
        "CHAIN_FILE": "",
        "USE_TEST_CA": True,
    }
    html = _upload(foreign).content.decode()
    assert "not signed by this PRIAM" in html or "did not issue" in html


def test_uploads_are_rate_limited(db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PRIAM_VERIFY_RATE = {"limit": 2, "window_seconds": 60}
    client = Client()
    assert _upload(b"x", client=client).status_code == 200
    assert _upload(b"x", client=client).status_code == 200
    response = _upload(b"x", client=client)
    assert response.status_code == 429
    assert "Too many checks" in response.content.decode()
