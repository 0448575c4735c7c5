"""Checking that a PDF is a decision record signed by this PRIAM.

``verify_pdf(data)`` never raises on bad input: whatever the bytes, it returns
a PdfVerification whose ``problems`` explain, in sentences fit for the verify
page, why the file is not accepted. (It raises SigningNotConfigured, a
PriamError, only when this instance has no trust roots configured.)

A file is accepted (``ok``) when it carries exactly one signature, that
signature is cryptographically valid over bytes that are intact, its byte range
covers the whole file, the /Contents value is in the exact form PRIAM writes
(so no byte of the file is outside the signature's protection), and the signing
certificate chains to this instance's trust roots.

Revocation is not checked and nothing is fetched (``allow_fetching=False``):
the verify page must work offline and must not make requests chosen by an
uploaded file, and the embedded test CA publishes no CRL or OCSP service. The
chain is validated at the signing time recorded in the signed part of the file
(or the timestamp), so records stay verifiable after the signing certificate
expires; without revocation data that is the only meaningful moment, and a
forger still needs a key certified by our CA.
"""

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO

from asn1crypto import algos, cms, core
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

NOT_A_PDF = "This is not a PDF file."
MAX_UPLOAD_TEXT = f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
TOO_LARGE = f"This file is larger than {MAX_UPLOAD_TEXT}, so it cannot be a decision record from PRIAM."
DAMAGED = "The PDF is damaged and cannot be read."
NOT_SIGNED = "This PDF is not signed, so it is not a decision record issued by this PRIAM."
SEVERAL_SIGNATURES = "This PDF carries more than one signature: it was changed after it was signed."
CHANGED = "This PDF was changed after it was signed: the signature does not cover the whole file."
NOT_INTACT = "This PDF was changed after it was signed: its content no longer matches the signature."
INVALID = "The signature on this PDF is not valid."
UNREADABLE_SIGNATURE = "The signature on this PDF cannot be read."
ALTERED_SIGNATURE = "The signature value of this PDF was altered after signing."
NOT_OURS = (
    "This PDF was not signed by this PRIAM: its signing certificate was not issued by this "
    "PRIAM's certificate authority, so it is not a record issued by this PRIAM."
)
NOT_OURS_CERTIFICATE = "Its signing certificate was not issued by this PRIAM's certificate authority either."


@dataclass(frozen=True)
class PdfVerification:
    """What was found. A check that could not run (``readable``, ``signature_checked``,
    ``chains_to_roots is None``) is "not checked", never a failure."""

    ok: bool = False
    is_pdf: bool = False
    readable: bool = False  # parsed as a PDF, so its signatures could be looked for
    signed: bool = False
    signature_checked: bool = False  # the signature could be read and validated
    intact: bool = False
    valid: bool = False
    covers_whole_file: bool = False
    trusted: bool = False
    chains_to_roots: bool | None = None  # the signing certificate, whatever the signature's state
    signer: str = ""  # "Common Name (Organisation)"
    signer_common_name: str = ""
    signer_organisation: str = ""
    signed_at: datetime | None = None
    signed_sha256: str = ""  # of the whole file, hex
    problems: list = field(default_factory=list)

    @property
    def message(self):
        """One sentence for the page: the first problem, or the acceptance."""
        if self.ok:
            return f"This PDF was signed by this PRIAM ({self.signer}) and has not been changed since."
        return self.problems[0] if self.problems else DAMAGED


def looks_like_pdf(data: bytes) -> bool:
    # ISO 32000 allows the header anywhere in the first 1024 bytes.
    return b"%PDF-" in data[:1024]


def _der_length(data: bytes) -> int | None:
    """Total length of the DER SEQUENCE at the start of ``data``, or None."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def _contents_problem(data: bytes, sig) -> str | None:
    """Check the excluded gap holds exactly "<hex>" of DER + zero padding, as pyHanko writes.

    The byte range excludes the /Contents value from the digest; a change there
    that leaves the CMS structure unchanged (padding, hex letter case) would
    otherwise go unnoticed.
    """
    byte_range = [int(x) for x in sig.sig_object["/ByteRange"]]
    if len(byte_range) != 4 or byte_range[0] != 0:
        return CHANGED
    start, gap_end = byte_range[1], byte_range[2]
    gap = data[start:gap_end]
    contents = bytes(sig.pkcs7_content)
    hex_text = gap[1:-1]
    if (
        gap[:1] != b"<"
        or gap[-1:] != b">"
        or hex_text not in (contents.hex().encode(), contents.hex().upper().encode())
    ):
        return ALTERED_SIGNATURE
    length = _der_length(contents)
    if length is None or length > len(contents) or any(contents[length:]):
        return ALTERED_SIGNATURE
    if not _cms_is_as_written(contents[:length], sig):
        return ALTERED_SIGNATURE
    return None


def _cms_is_as_written(der: bytes, sig) -> bool:
    """The parts of the CMS object the signature does not protect hold exactly what PRIAM writes.

    SignedData's version, digestAlgorithms and encapContentInfo, and SignerInfo's
    version, sid, digestAlgorithm and signatureAlgorithm are outside the signed
    attributes; a tolerant parser accepts some changes to them (found by
    flipping every byte of a signed record). They are compared here, encoded,
    with the values PRIAM's signer (pyHanko) writes. Certificates are checked
    against the validated chain by the caller; unsigned attributes may only hold
    a signature timestamp, which pyHanko validates.
    """
    signed_data, signer_info = sig.signed_data, sig.signer_info
    if len(signed_data["signer_infos"]) != 1:
        return False
    cert = sig.signer_cert
    digest = algos.DigestAlgorithm({"algorithm": "sha256"})
    expected = [
        (signed_data["version"], cms.CMSVersion("v1")),
        (signed_data["digest_algorithms"], cms.DigestAlgorithms([digest])),
        (signed_data["encap_content_info"], cms.EncapsulatedContentInfo({"content_type": "data"})),
        (signer_info["version"], cms.CMSVersion("v1")),
        (
            signer_info["sid"],
            cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": cert.issuer, "serial_number": cert.serial_number},
            ),
        ),
        (signer_info["digest_algorithm"], digest),
        (signer_info["signature_algorithm"], _signature_algorithm_as_written(signer_info["signature_algorithm"])),
    ]
    if any(found.dump() != wanted.dump() for found, wanted in expected):
        return False
    if signed_data["crls"].native:
        return False
    unsigned = signer_info["unsigned_attrs"].native or []
    return all(attr["type"] == "signature_time_stamp_token" for attr in unsigned)


def _signature_algorithm_as_written(found):
    """The signature algorithm as pyHanko encodes it: RSA PKCS#1 v1.5 with explicit NULL
    parameters (RFC 4055, section 5), which decoding and encoding again would drop; the others
    (ECDSA without parameters, RSASSA-PSS with its own) as they decode."""
    name = found["algorithm"].native
    if name == "rsassa_pkcs1v15" or name.endswith("_rsa"):
        return algos.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    return algos.SignedDigestAlgorithm(found.native)


def _name_attr(cert, attr):
    try:
        value = cert.subject.native.get(attr, "")
    except Exception:  # pragma: no cover - malformed subject
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value or "")


def _chains_to_roots(sig, roots, moment):
    """Does the signing certificate chain to our trust roots? None when it cannot be read.

    pyHanko checks trust only for a valid signature, so a genuine record changed
    after signing would otherwise read as "not signed by this PRIAM" and send the
    reader looking for a forger. The chain says who signed; the signature check
    says whether the content is still what they signed.
    """
    try:
        cert = sig.signer_cert
        carried = [c.chosen for c in sig.signed_data["certificates"] if c.name == "certificate"]
    except Exception:
        return None
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment)
    validator = CertificateValidator(cert, intermediate_certs=carried, validation_context=context)
    try:
        asyncio.run(validator.async_validate_path())
    except (PathError, ValidationError) as exc:
        logger.info("verify_pdf: signing certificate does not chain to our roots: %s", exc)
        return False
    return True


def verify_pdf(data: bytes, *, roots=None) -> PdfVerification:
    """Check that ``data`` is a PDF signed by this PRIAM and unchanged since (see module doc).

    ``roots`` (asn1crypto certificates) replaces this instance's trust roots: importing a crate
    checks a peer's record against that peer's certificate, with the same checks."""
    if len(data) > MAX_UPLOAD_BYTES:
        return PdfVerification(problems=[TOO_LARGE])
    if not data or not looks_like_pdf(data):
        return PdfVerification(problems=[NOT_A_PDF])
    digest = hashlib.sha256(data).hexdigest()
    base = {"is_pdf": True, "signed_sha256": digest}

    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:
        logger.info("verify_pdf: unreadable PDF: %s: %s", type(exc).__name__, exc)
        return PdfVerification(**base, problems=[DAMAGED])
    base["readable"] = True
    if not signatures:
        return PdfVerification(**base, problems=[NOT_SIGNED])

    if roots is None:
        from assessments.pdf.signing import trust_roots  # may raise SigningNotConfigured

        roots = trust_roots()
    roots = list(roots)
    problems = []
    if len(signatures) > 1:
        problems.append(SEVERAL_SIGNATURES)
    sig = signatures[0]
    fields_ = dict(base, signed=True)
    claimed = None

    try:
        cert = sig.signer_cert
        fields_["signer_common_name"] = _name_attr(cert, "common_name")
        fields_["signer_organisation"] = _name_attr(cert, "organization_name")
        fields_["signer"] = fields_["signer_common_name"] + (
            f" ({fields_['signer_organisation']})" if fields_["signer_organisation"] else ""
        )
        claimed = sig.self_reported_timestamp
        if claimed is not None and claimed.tzinfo is None:
            claimed = claimed.replace(tzinfo=UTC)
        context = ValidationContext(
            trust_roots=roots,
            allow_fetching=False,
            revocation_mode="soft-fail",
            moment=claimed,
        )
        status = validate_pdf_signature(
            sig,
            signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(
                key_usage={"digital_signature", "non_repudiation"},
                match_all_key_usages=False,
            ),
        )
    except Exception as exc:
        logger.info("verify_pdf: signature not validated: %s: %s", type(exc).__name__, exc)
        chains = _chains_to_roots(sig, roots, claimed)
        return PdfVerification(
            **fields_, chains_to_roots=chains, trusted=bool(chains), problems=problems + [UNREADABLE_SIGNATURE]
        )

    intact, valid = bool(status.intact), bool(status.valid)
    # pyHanko's "trusted" also requires an intact, valid signature; for those it has
    # checked the chain (and the key usage) already.
    signature_ok = intact and valid
    trusted = bool(status.trusted) if signature_ok else bool(_chains_to_roots(sig, roots, claimed))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1
    ts = status.timestamp_validity
    if ts is not None and ts.intact and ts.valid:
        fields_["signed_at"] = ts.timestamp
    else:
        fields_["signed_at"] = status.signer_reported_dt

    if not intact:
        problems.append(NOT_INTACT)
    elif not valid:
        problems.append(INVALID)
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        and CHANGED not in problems
        and SEVERAL_SIGNATURES not in problems
    ):
        problems.append(CHANGED)
    if intact and valid and whole:
        try:
            altered = _contents_problem(data, sig)
        except Exception:
            altered = ALTERED_SIGNATURE
        if altered:
            problems.append(altered)
            intact = False
    if not trusted:
        problems.append(NOT_OURS if signature_ok else NOT_OURS_CERTIFICATE)
    elif status.validation_path is not None:
        # Every certificate carried in the signature must be one of the chain
        # validated against our roots: an altered copy of, say, the CA
        # certificate would otherwise sit unnoticed in the unsigned CMS part.
        path = {cert.dump() for cert in status.validation_path}
        carried = {choice.chosen.dump() for choice in sig.signed_data["certificates"] if choice.name == "certificate"}
        if not carried <= path:
            problems.append(ALTERED_SIGNATURE)
            intact = False
    ok = intact and valid and whole and trusted and not problems
    return PdfVerification(
        **fields_,
        ok=ok,
        signature_checked=True,
        intact=intact,
        valid=valid,
        covers_whole_file=whole,
        trusted=trusted,
        chains_to_roots=trusted,
        problems=problems,
    )
