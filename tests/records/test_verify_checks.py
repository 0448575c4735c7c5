"""/verify/ and verify_record report each check precisely; a check that did not run reads "not checked"."""

import re
from html import unescape
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
CHECKS = ("is_pdf", "signed", "signature_valid", "covers_whole_file", "chains_to_roots", "issued_record")


@pytest.fixture
def record(assessed_project, issue_record):
    return issue_record(assessed_project)


def tampered(record):
    """A genuine record with one byte of signed content changed."""
    data = bytearray(record.pdf.data)
    data[data.index(b"stream") + 30] ^= 0x01
    return bytes(data)


@pytest.fixture
def foreign(record, tmp_path, settings):
    """A PDF validly signed by another certificate authority."""
    from assessments.pdf import testca
    from assessments.pdf.render import render_pdf
    from assessments.pdf.signing import sign_pdf

    other = tmp_path / "other-ca"
    testca.ensure_test_ca(other)
    ours = settings.PRIAM_SIGNING
    settings.PRIAM_SIGNING = {
        **ours,
        "KEY_FILE": str(other / "signing-key.pem"),
        "CERT_FILE": str(other / "signing-cert.pem"),
        "CHAIN_FILE": str(other / "ca.pem"),
        "USE_TEST_CA": False,
    }
    data = sign_pdf(render_pdf("<p>Forged decision record</p>"), reason="forgery")
    settings.PRIAM_SIGNING = ours
    return data


def page(data):
    response = Client().post(reverse("verify"), {"file": SimpleUploadedFile("r.pdf", data)})
    assert response.status_code == 200
    return response.content.decode()


def checks(html):
    found = dict(re.findall(r'<tr data-check="(\w+)">\s*<th[^>]*>.*?</th>\s*<td>(.*?)</td>', html, re.S))
    return {key: unescape(re.sub(r"<[^>]+>", "", value)).strip() for key, value in found.items()}


def summary(html):
    return unescape(re.search(r'<div class="alert[^"]*"[^>]*data-summary>(.*?)</div>', html, re.S).group(1))


def test_a_genuine_record_passes_every_check(record):
    html = page(bytes(record.pdf.data))
    result = checks(html)
    assert set(result) == set(CHECKS)
    assert all(result[key].startswith("yes") for key in CHECKS), result
    assert record.number in result["issued_record"] and record.pdf.sha256[:16] in result["issued_record"]
    assert f"Valid decision record {record.number}" in summary(html)


def test_a_tampered_genuine_record_is_changed_not_forged(record):
    html = page(tampered(record))
    result = checks(html)
    assert result["is_pdf"] == "yes" and result["signed"] == "yes"
    assert result["signature_valid"].startswith("no")
    assert result["covers_whole_file"] == "yes"
    # Signed with this PRIAM's certificate: the reader is not sent hunting for a forger.
    assert result["chains_to_roots"].startswith("yes")
    assert result["issued_record"].startswith("no")
    text = summary(html)
    assert "changed after it was signed" in text
    assert "not signed by this PRIAM" not in html
    assert "signed with this PRIAM's certificate" in text


def test_a_foreign_pdf_is_valid_but_not_ours(foreign):
    html = page(foreign)
    result = checks(html)
    assert result["signature_valid"].startswith("yes")
    assert result["covers_whole_file"] == "yes"
    assert result["chains_to_roots"].startswith("no")
    assert result["issued_record"].startswith("no")
    assert "not signed by this PRIAM" in summary(html)
    assert "changed after it was signed" not in html


def test_a_non_pdf_runs_no_other_check(db):
    html = page(b"just some text")
    result = checks(html)
    assert result["is_pdf"] == "no"
    assert [result[key] for key in CHECKS[1:]] == ["not checked"] * 5
    assert "This is not a PDF file." in summary(html)


def test_an_unsigned_pdf_skips_the_signature_checks(record):
    from assessments.pdf.render import render_pdf

    result = checks(page(render_pdf("<p>Looks like a record</p>")))
    assert (result["is_pdf"], result["signed"]) == ("yes", "no")
    assert [result[key] for key in ("signature_valid", "covers_whole_file", "chains_to_roots")] == ["not checked"] * 3
    assert result["issued_record"].startswith("no")


def _verify_record(path):
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_record", str(path), stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue(), err.getvalue()


def test_the_command_lists_each_check(record, tmp_path, foreign):
    genuine, changed, other, text = (tmp_path / n for n in ("genuine.pdf", "changed.pdf", "other.pdf", "t.txt"))
    genuine.write_bytes(bytes(record.pdf.data))
    changed.write_bytes(tampered(record))
    other.write_bytes(foreign)
    text.write_bytes(b"hello")

    code, out, _ = _verify_record(genuine)
    assert code == 0
    assert "Signature cryptographically valid (content unchanged since signing): yes" in out
    assert f"Matches a record issued by this PRIAM (number and SHA-256): yes, {record.number}" in out

    code, out, err = _verify_record(changed)
    assert code == 1
    assert "Signature cryptographically valid (content unchanged since signing): no" in out
    assert "Signing certificate chains to this PRIAM's trust roots: yes" in out
    assert "changed after it was signed" in err and "not signed by this PRIAM" not in err

    code, out, err = _verify_record(other)
    assert code == 1
    assert "Signing certificate chains to this PRIAM's trust roots: no" in out
    assert "not signed by this PRIAM" in err

    code, out, err = _verify_record(text)
    assert code == 1
    assert "Digitally signed: not checked" in out
    assert "not a PDF" in err
