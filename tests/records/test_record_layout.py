"""The decision record as a panel signs it and a reader checks it: the instance's letterhead, times
in words in the instance's time zone, a visible signature block, the verification address with a
QR code to it, steps for a reader (not an administrator), a tagged PDF that stays signed and
verifiable, and PDF/A-3b where the signing key keeps the file PDF 1.7."""

import datetime
import hashlib
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
import segno
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from PIL import Image

from assessments.pdf import testca
from assessments.pdf.render import render_pdf
from assessments.services.records import record_pdf_html
from assessments.services.verification import record_verify
from tests.records.pdfsig import nss_trusting, pdfsig_accepts

pytestmark = pytest.mark.django_db

INSTANCE = "Wessex Secure Data Service"
PUBLIC_URL = "https://data-access.wessex.example"
VERIFY_URL = f"{PUBLIC_URL}/verify/"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|[+-]\d{2}:\d{2}\b")


@pytest.fixture
def instance(settings):
    settings.PRIAM_INSTANCE_NAME = INSTANCE
    settings.PRIAM_PUBLIC_URL = PUBLIC_URL + "/"  # a trailing slash as an operator may type it


@pytest.fixture
def record(instance, assessed_project, issue_record):
    return issue_record(assessed_project)


def _run(tool, path, *args):
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def pdf(record, tmp_path):
    path = tmp_path / f"{record.number}.pdf"
    path.write_bytes(bytes(record.pdf.data))
    return path


def _text(path):
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())


def _in_words(moment, zone="Europe/London"):
    """What the spec of item 6 asks for, computed here without PRIAM's code: "30 November 2026 at 07:32 GMT"."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


def test_the_record_reads_as_a_letter_from_the_instance(record, pdf):
    text = _text(pdf)
    assert text.startswith(f"{INSTANCE} · Decision record")  # the running header
    assert f"{INSTANCE} DECISION RECORD Decision record {record.number}" in text  # the letterhead
    assert f"Issued on {_in_words(record.issued_at)}" in text
    decided = datetime.datetime.fromisoformat(record.snapshot["decision"]["decided_at"])
    assert f"Recorded by Hannah Brooks (chair) on {_in_words(decided)}" in text
    assert not ISO_TIME.search(text), ISO_TIME.search(text).group(0)
    assert VERIFY_URL in text and f"Check it at {VERIFY_URL}" in text
    for internal in ("manage.py", "verify_record", "verify_audit", "python", "five-safes@"):
        assert internal not in text, internal


def test_times_name_the_zone_they_are_in(instance, assessed_project, issue_record, settings, tmp_path):
    settings.TIME_ZONE = "Asia/Dubai"  # no abbreviation of its own: the offset says it
    record = issue_record(assessed_project)
    path = tmp_path / "r.pdf"
    path.write_bytes(bytes(record.pdf.data))
    expected = _in_words(record.issued_at, "Asia/Dubai").replace(" +04", " UTC+04")
    assert f"Issued on {expected}" in _text(path)


def test_the_signature_block_names_the_signer_and_its_certificate(record, pdf, signing_ca):
    _, files = signing_ca
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    text = _text(pdf)
    block = text[text.index("Signature Record") :]
    assert block.startswith(f"Signature Record {record.number}, issued on {_in_words(record.issued_at)}")
    assert f"Signed electronically by {testca.SIGNER_COMMON_NAME} ({testca.ORGANISATION}), for {INSTANCE}" in block
    assert f"Certificate issued by {testca.CA_COMMON_NAME} ({testca.ORGANISATION})" in block
    printed = re.search(r"Certificate fingerprint \(SHA-256\) ((?:[0-9A-F]{2} ){31}[0-9A-F]{2})", block)
    assert printed and printed.group(1).replace(" ", "") == fingerprint
    # Steps for a reader: their PDF reader, or the web page; no command line.
    assert "Open this file in a PDF reader that shows signatures" in block
    assert f"Or go to {VERIFY_URL}" in block and "upload this file" in block


def test_the_record_is_tagged_and_still_signed_and_verified(record, pdf, signing_ca, tmp_path):
    info = _run("pdfinfo", pdf)
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Decision record " + re.escape(record.number), info, re.M)
    _, files = signing_ca
    assert pdfsig_accepts(pdf, nss_trusting(files.ca, tmp_path / "nss"))
    result = record_verify(pdf.read_bytes())
    assert result.ok and result.record.pk == record.pk


def _qr_images(pdf, tmp_path):
    """The bitmaps in the PDF whose size fits a QR code with its quiet zone, as they are stored."""
    out = tmp_path / "images"
    out.mkdir()
    subprocess.run(["pdfimages", "-png", str(pdf), str(out / "img")], check=True)
    images = [Image.open(p).convert("L") for p in sorted(out.glob("img-*.png"))]
    return [image for image in images if image.width == image.height and (image.width - 8 - 21) % 4 == 0]


def test_the_qr_code_leads_to_the_verification_page(record, pdf, tmp_path):
    images = _qr_images(pdf, tmp_path)
    assert len(images) == 1
    image = images[0]
    # Module for module the code segno makes of the address (segno's encoder is trusted here).
    expected = segno.make(VERIFY_URL, error="m", micro=False)
    dark = [[image.getpixel((x, y)) < 128 for x in range(image.width)] for y in range(image.height)]
    assert dark == [[bool(module) for module in row] for row in expected.matrix_iter(border=4)]
    # make test installs zbar-tools (scripts/install-system-packages.sh): never skipped.
    assert shutil.which("zbarimg"), "zbarimg (Debian zbar-tools) is needed to read the QR code"
    # Decoded from the printed page as a phone would see it.
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    decoded = set()
    for page in sorted(tmp_path.glob("page-*.png")):
        found = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True)
        decoded.update(line for line in found.stdout.splitlines() if line)
    assert decoded == {VERIFY_URL}


def test_rendering_the_record_is_deterministic(record):
    html = record_pdf_html(record)
    assert render_pdf(html) == render_pdf(html)
    assert render_pdf(html, archival=True) == render_pdf(html, archival=True)


def test_a_stored_record_is_never_rendered_again(record, settings):
    from assessments.services.records import record_pdf_make

    stored = bytes(record.pdf.data)
    settings.PRIAM_INSTANCE_NAME = "A new name"
    record_pdf_make(record_id=record.pk)
    record.refresh_from_db()
    assert bytes(record.pdf.data) == stored


# PDF/A-3 is a profile of PDF 1.7. pyHanko keeps a file PDF 1.7 when it signs with an RSA key, and
# declares PDF 2.0 when it signs with an elliptic-curve key (such as the embedded test CA's).


def _rsa_signing_files(directory):
    """A CA and an RSA document-signing certificate it issued, as an organisation's PKI would give."""
    now = datetime.datetime.now(datetime.UTC)

    def name(common):
        return x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Wessex")]
        )

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Wessex Test Root"))
        .issuer_name(name("Wessex Test Root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    usage = dict.fromkeys(
        (
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Wessex decision records"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, **usage), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir()
    files = {"KEY_FILE": directory / "key.pem", "CERT_FILE": directory / "cert.pem", "CHAIN_FILE": directory / "ca.pem"}
    files["KEY_FILE"].write_bytes(testca.key_pem(key))
    files["CERT_FILE"].write_bytes(testca.pem(cert))
    files["CHAIN_FILE"].write_bytes(testca.pem(ca))
    return {k: str(v) for k, v in files.items()}


def _producers(path):
    info = re.search(r"^Producer:\s+(.*)$", _run("pdfinfo", path), re.M).group(1)
    xmp = re.search(r'pdf:Producer="([^"]*)"', _run("pdfinfo", path, "-meta")).group(1)
    return info, xmp


def test_signed_with_an_rsa_key_the_record_is_pdf_a_3b(instance, assessed_project, issue_record, settings, tmp_path):
    files = _rsa_signing_files(tmp_path / "pki")
    settings.PRIAM_SIGNING = {**files, "USE_TEST_CA": False}
    record = issue_record(assessed_project)
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(record.pdf.data))
    info = _run("pdfinfo", path)
    assert re.search(r"^PDF version:\s+1\.7$", info, re.M) and re.search(r"^Tagged:\s+yes$", info, re.M)
    meta = _run("pdfinfo", path, "-meta")
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta
    # PDF/A: the document information and the XMP metadata say the same (ISO 19005-3, 6.6.2.3).
    info_producer, xmp_producer = _producers(path)
    assert info_producer == xmp_producer
    assert b"/OutputIntents" in bytes(record.pdf.data)
    assert "Signed electronically by Wessex decision records (Wessex)" in _text(path)
    assert pdfsig_accepts(path, nss_trusting(files["CHAIN_FILE"], tmp_path / "nss"))
    verification = record_verify(bytes(record.pdf.data))
    assert verification.ok, verification.pdf.problems


def test_signed_with_an_elliptic_curve_key_the_record_claims_no_pdf_a(record, pdf):
    # The embedded test CA's P-256 key: pyHanko declares PDF 2.0, outside PDF/A-3.
    assert re.search(r"^PDF version:\s+2\.0$", _run("pdfinfo", pdf), re.M)
    assert "pdfaid" not in _run("pdfinfo", pdf, "-meta")
