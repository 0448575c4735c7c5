"""Rendering, signing and verifying decision-record PDFs (no panels or records here)."""

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import call_command
from django.test import override_settings

from assessments.pdf import render as render_module
from assessments.pdf import testca
from assessments.pdf.render import (
    ResourceRefused,
    StaticOnlyURLFetcher,
    render_pdf,
    static_file_for_url,
)
from assessments.pdf.signing import SigningNotConfigured, sign_pdf, signing_config
from assessments.pdf.verify import MAX_UPLOAD_BYTES, verify_pdf

WELSH = "Mae'r ŵyn yn y cae"
HOUSE = "Tŷ"
SIGNER_CN = "PRIAM decision records (local test)"

ROWS = "".join(f"<tr><td>{n}</td><td>{WELSH}, {HOUSE} {n}</td><td>Décision — réexaminée</td></tr>" for n in range(110))
HTML = f"""<!doctype html>
<html lang="cy"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 2cm }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt }}
td {{ border: 1px solid #888; padding: 3pt }}
</style></head><body>
<h1>{HOUSE}</h1><p>{WELSH}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30">
  <rect width="60" height="30" fill="#2a6"/><text x="5" y="20">ŵ ŷ</text></svg>
<table>{ROWS}</table>
</body></html>"""


def embedded(data_dir, **extra):
    return {"USE_TEST_CA": True, **extra}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("priam-data")
    testca.ensure_test_ca(directory / "signing")
    return directory


@pytest.fixture(scope="module")
def pdfs(data_dir):
    """The rendered and the signed test document, made once for the module."""
    with override_settings(DATA_DIR=data_dir, PRIAM_SIGNING=embedded(data_dir)):
        rendered = render_pdf(HTML)
        signed = sign_pdf(rendered, reason="Decision record", location="Cardiff")
    return rendered, signed


@pytest.fixture
def ours(settings, data_dir):
    settings.DATA_DIR = data_dir
    settings.PRIAM_SIGNING = embedded(data_dir)


@pytest.fixture
def signed(pdfs, ours):
    return pdfs[1]


def run(tool, data, tmp_path, *args):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    # pdfsig exits 0 even when the digest does not match: read what it says.
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True).stdout


def pdfsig_accepts(data, tmp_path):
    out = run("pdfsig", data, tmp_path)
    return "Signature is Valid." in out and "Total document signed" in out


def byte_range(data):
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    return [int(x) for x in match.groups()]


def flipped(data, position):
    out = bytearray(data)
    old = out[position]
    if chr(old) in "0123456789abcdefABCDEF":
        out[position] = ord("1") if old != ord("1") else ord("2")  # still a hex digit
    else:
        out[position] = old ^ 0x01
    return bytes(out)


# --- the test CA -------------------------------------------------------------------


def test_init_signing_creates_once(settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    call_command("init_signing")
    assert "Created" in capsys.readouterr().out
    directory = tmp_path / "signing"
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["ca.pem", "signing-cert.pem", "signing-key.pem"]
    assert (directory / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    call_command("init_signing")
    assert "already exist" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


def test_test_ca_certificates(data_dir):
    from cryptography import x509

    ca = x509.load_pem_x509_certificate((data_dir / "signing" / "ca.pem").read_bytes())
    leaf = x509.load_pem_x509_certificate((data_dir / "signing" / "signing-cert.pem").read_bytes())
    assert ca.subject.rfc4514_string() == "O=PRIAM,CN=PRIAM Local Test CA"
    assert leaf.issuer == ca.subject
    assert leaf.subject.rfc4514_string() == f"O=PRIAM,CN={SIGNER_CN}"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days in range(729, 733)
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 3650


# --- rendering ---------------------------------------------------------------------


def test_signed_record_is_accepted_by_pyhanko(signed):
    result = verify_pdf(signed)
    assert result.ok, result.problems
    assert result.is_pdf and result.signed and result.intact and result.valid
    assert result.covers_whole_file and result.trusted
    assert result.signer_common_name == SIGNER_CN
    assert result.signer == f"{SIGNER_CN} (PRIAM)"
    assert result.signed_at is not None
    assert result.problems == []
    assert len(result.signed_sha256) == 64


def test_signed_record_is_accepted_by_pdfsig(signed, tmp_path):
    out = run("pdfsig", signed, tmp_path)
    assert "Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out
    assert "SHA-256" in out


def test_text_and_page_size(signed, tmp_path):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=signed, capture_output=True).stdout.decode(
        "utf-8"
    )
    assert WELSH in text
    assert HOUSE in text
    assert "Décision — réexaminée" in text
    info = run("pdfinfo", signed, tmp_path)
    assert "595.276 x 841.89" in info
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3


def test_rendering_is_deterministic(pdfs, ours):
    assert render_pdf(HTML) == pdfs[0]


def test_fetcher_refuses_anything_but_static_files(ours, monkeypatch, caplog):
    seen = []
    original = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except Exception:
            seen.append((url, "refused"))
            raise
        seen.append((url, "served"))
        return response

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)

    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to open a connection")

    monkeypatch.setattr("socket.create_connection", no_network)
    html = """<p>x</p><img src="file:///etc/passwd"><img src="http://example.org/x.png">
    <img src="/static/favicon.svg"><img src="https://elsewhere.example/static/favicon.svg">
    <img src="/static/../priam/settings.py"><img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E">"""
    with caplog.at_level("WARNING", logger=render_module.__name__):
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    outcome = dict(seen)
    assert outcome["file:///etc/passwd"] == "refused"
    assert outcome["http://example.org/x.png"] == "refused"
    assert outcome[f"{render_module.BASE_URL}static/favicon.svg"] == "served"
    assert outcome["https://elsewhere.example/static/favicon.svg"] == "served"
    assert outcome[f"{render_module.BASE_URL}priam/settings.py"] == "refused"
    assert any(url.startswith("data:") and how == "served" for url, how in seen)
    assert "file:///etc/passwd" in caplog.text


def test_fetcher_serves_the_static_file(ours):
    response = StaticOnlyURLFetcher().fetch("/static/favicon.svg")
    assert response.read() == Path("static/favicon.svg").read_bytes()
    assert response.content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/x.png",
        "ftp://example.org/static/favicon.svg",
        "//example.org/static/favicon.svg",
        "/static/../priam/settings.py",
        "/static/%2e%2e/priam/settings.py",
        "/static/css/../../priam/settings.py",
        "/static/",
        "/static/no-such-file.css",
        "/media/favicon.svg",
    ],
)
def test_static_file_for_url_refuses(url, ours):
    with pytest.raises(ResourceRefused):
        static_file_for_url(url)


# --- tampering ---------------------------------------------------------------------


def tamper_positions(data):
    """Positions outside the /Contents value, where pdfsig must notice any change too."""
    start, gap_end = byte_range(data)[1:3]
    content = data.index(b"stream\n", data.index(b"/Contents")) + 40
    positions = {
        "page content stream": content,
        "startxref": data.rindex(b"startxref") + len(b"startxref") + 2,
        "xref/trailer": data.rindex(b"/Root"),
        "last byte": len(data) - 2,
        "ByteRange": data.index(b"/ByteRange") + len(b"/ByteRange") + 4,
    }
    rng = random.Random(20261128)
    outside = [p for p in range(len(data)) if not start <= p < gap_end]
    for i, position in enumerate(rng.sample(outside, 8)):
        positions[f"random {i}"] = position
    return positions


def test_single_byte_changes_outside_the_signature_value(signed, tmp_path):
    for label, position in tamper_positions(signed).items():
        tampered = flipped(signed, position)
        assert tampered != signed
        assert not verify_pdf(tampered).ok, label
        assert not pdfsig_accepts(tampered, tmp_path), label


def test_single_byte_changes_in_the_signature_value(signed, tmp_path):
    start, gap_end = byte_range(signed)[1:3]
    hex_digits = signed[start + 1 : gap_end - 1]
    der_end = start + 1 + len(hex_digits.rstrip(b"0"))
    # The last bytes of the DER are the signature value itself: both reject.
    for position in (der_end - 4, der_end - 20, der_end - 40):
        tampered = flipped(signed, position)
        assert not verify_pdf(tampered).ok
        assert not pdfsig_accepts(tampered, tmp_path)
    # The zero padding after the DER: pyHanko alone ignores it, poppler 22.12 then
    # reports "Not total document signed"; verify_pdf checks the padding.
    for position in (der_end + 2, (der_end + gap_end) // 2, gap_end - 2):
        tampered = flipped(signed, position)
        result = verify_pdf(tampered)
        assert not result.ok
        assert "altered" in result.problems[0]
        assert not pdfsig_accepts(tampered, tmp_path)
    # Elsewhere in the CMS (certificates, unsigned fields, hex letter case) pdfsig
    # accepts some changes; verify_pdf rejects all of them.
    rng = random.Random(7)
    for position in [start + 1, start + 41, *rng.sample(range(start + 1, der_end), 40)]:
        assert not verify_pdf(flipped(signed, position)).ok, position - start
    letter = next(p for p in range(start + 1, der_end) if chr(signed[p]) in "ABCDEF")
    recased = bytearray(signed)
    recased[letter] = ord(chr(signed[letter]).lower())
    assert not verify_pdf(bytes(recased)).ok


def test_appended_bytes_are_not_covered(signed, tmp_path):
    result = verify_pdf(signed + b"\n% appended\n")
    assert not result.ok and not result.covers_whole_file
    assert any("changed after it was signed" in p for p in result.problems)
    assert not pdfsig_accepts(signed + b"\n% appended\n", tmp_path)


def test_incremental_update_after_signing(signed, tmp_path):
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.document_meta.title = "Changed"
    writer.root["/PRIAMChanged"] = generic.BooleanObject(True)
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    updated = out.getvalue()
    result = verify_pdf(updated)
    assert not result.ok and not result.covers_whole_file
    assert any("changed after it was signed" in p for p in result.problems)
    assert not pdfsig_accepts(updated, tmp_path)


def test_second_signature_is_refused(signed):
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from assessments.pdf.signing import signing_material

    with pytest.raises(Exception, match="filled already"):
        sign_pdf(signed, reason="again")  # PRIAM never signs a record twice
    meta = signers.PdfSignatureMetadata(
        field_name="Another", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    twice = signers.sign_pdf(writer, meta, signer=signing_material().signer).getvalue()
    result = verify_pdf(twice)
    assert not result.ok
    assert any("more than one signature" in p for p in result.problems)


# --- other inputs ------------------------------------------------------------------


def test_signed_by_another_ca_is_not_ours(pdfs, settings, data_dir, tmp_path):
    ca_key, ca_cert = testca.create_ca("Somebody Else CA", "Elsewhere")
    key, cert = testca.issue_signing_cert(ca_key, ca_cert, SIGNER_CN, "PRIAM")
    (tmp_path / "key.pem").write_bytes(testca.key_pem(key))
    (tmp_path / "cert.pem").write_bytes(testca.pem(cert))
    (tmp_path / "ca.pem").write_bytes(testca.pem(ca_cert))
    settings.PRIAM_SIGNING = {
        "KEY_FILE": str(tmp_path / "key.pem"),
        "CERT_FILE": str(tmp_path / "cert.pem"),
        "CHAIN_FILE": str(tmp_path / "ca.pem"),
    }
    forged = sign_pdf(pdfs[0], reason="Decision record")
    assert verify_pdf(forged).ok  # by its own CA's lights
    settings.DATA_DIR = data_dir
    settings.PRIAM_SIGNING = embedded(data_dir)
    result = verify_pdf(forged)
    assert not result.ok and not result.trusted
    assert result.intact and result.valid and result.covers_whole_file
    assert any("not signed by this PRIAM" in p for p in result.problems)


@pytest.mark.parametrize("roots_from", ["chain", "trust roots file"])
def test_verifying_needs_the_certificates_not_the_private_key(pdfs, settings, data_dir, roots_from):
    """Web nodes only verify, and a restored instance has no key yet: certificates are enough."""
    files = testca.SigningFiles.in_directory(data_dir / "signing")
    settings.PRIAM_SIGNING = {
        "KEY_FILE": str(data_dir / "signing" / "not-on-this-machine.pem"),
        "CERT_FILE": str(files.cert),
        **({"CHAIN_FILE": str(files.ca)} if roots_from == "chain" else {"TRUST_ROOTS_FILE": str(files.ca)}),
    }
    assert verify_pdf(pdfs[1]).ok
    with pytest.raises(SigningNotConfigured, match="PRIAM_SIGNING_KEY_FILE"):
        sign_pdf(pdfs[0], reason="Decision record")


def test_unsigned_pdf(pdfs, ours):
    result = verify_pdf(pdfs[0])
    assert not result.ok and result.is_pdf and not result.signed
    assert "not signed" in result.problems[0]


@pytest.mark.parametrize("data", [b"hello", b"", b"GIF89a" + b"\0" * 100])
def test_not_a_pdf(data, ours):
    result = verify_pdf(data)
    assert not result.ok and not result.is_pdf
    assert result.problems == ["This is not a PDF file."]


def test_too_large(ours):
    result = verify_pdf(b"%PDF-1.7\n" + b"\0" * (MAX_UPLOAD_BYTES + 1 - 9))
    assert not result.ok
    assert "larger than 20 MB" in result.problems[0]
    assert verify_pdf(b"x" * MAX_UPLOAD_BYTES).problems == ["This is not a PDF file."]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_pdf_is_damaged(signed, cut):
    result = verify_pdf(signed[: int(len(signed) * cut)])
    assert not result.ok and result.is_pdf
    assert (
        result.problems[0]
        in (
            "The PDF is damaged and cannot be read.",
            "This PDF is not signed, so it is not a decision record issued by this PRIAM.",
        )
        or "changed after it was signed" in result.problems[0]
    )


def test_garbage_after_header_is_damaged(ours):
    result = verify_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert not result.ok
    assert result.problems == ["The PDF is damaged and cannot be read."]


# --- configuration -----------------------------------------------------------------


def test_missing_files_name_the_variable(settings, tmp_path, pdfs):
    settings.PRIAM_SIGNING = {
        "KEY_FILE": str(tmp_path / "nowhere-key.pem"),
        "CERT_FILE": str(tmp_path / "nowhere-cert.pem"),
    }
    with pytest.raises(SigningNotConfigured, match="PRIAM_SIGNING_KEY_FILE"):
        sign_pdf(pdfs[0], reason="x")


def test_nothing_configured_names_the_variables(settings, pdfs):
    settings.PRIAM_SIGNING = {"USE_TEST_CA": False}
    with pytest.raises(SigningNotConfigured) as excinfo:
        sign_pdf(pdfs[0], reason="x")
    assert "PRIAM_SIGNING_KEY_FILE" in str(excinfo.value)
    assert "PRIAM_SIGNING_PKCS12_FILE" in str(excinfo.value)


def test_half_a_configuration_is_refused(settings):
    settings.PRIAM_SIGNING = {"PKCS12_FILE": "/tmp/x.p12"}
    with pytest.raises(SigningNotConfigured, match="PRIAM_SIGNING_PASSPHRASE_FILE"):
        signing_config()


def test_test_ca_missing(settings, tmp_path, pdfs):
    settings.DATA_DIR = tmp_path
    settings.PRIAM_SIGNING = {"USE_TEST_CA": True}
    with pytest.raises(SigningNotConfigured, match="init_signing"):
        sign_pdf(pdfs[0], reason="x")


def test_pkcs12_with_passphrase_file(settings, data_dir, tmp_path, pdfs):
    directory = data_dir / "signing"
    key = serialization.load_pem_private_key((directory / "signing-key.pem").read_bytes(), password=None)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((directory / "signing-cert.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    passphrase = b"correct horse battery staple"
    (tmp_path / "signing.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"priam", key, cert, [ca], serialization.BestAvailableEncryption(passphrase)
        )
    )
    (tmp_path / "passphrase").write_bytes(passphrase + b"\n")
    settings.PRIAM_SIGNING = {
        "PKCS12_FILE": str(tmp_path / "signing.p12"),
        "PASSPHRASE_FILE": str(tmp_path / "passphrase"),
    }
    signed = sign_pdf(pdfs[0], reason="Decision record")
    result = verify_pdf(signed)
    assert result.ok, result.problems
    assert result.signer_common_name == SIGNER_CN

    (tmp_path / "passphrase").write_bytes(b"wrong\n")
    with pytest.raises(SigningNotConfigured, match="PRIAM_SIGNING_PKCS12_FILE"):
        sign_pdf(pdfs[0], reason="x")


def test_tools_are_installed():
    for tool in ("pdfsig", "pdftotext", "pdfinfo"):
        assert shutil.which(tool), f"{tool} (poppler-utils) is needed by these tests"
