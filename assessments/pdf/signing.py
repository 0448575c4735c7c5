"""Signing decision records: a PAdES signature made with the instance's key.

Configuration (settings.PRIAM_SIGNING, from environment variables; read when
first needed, not at import):

- ``PRIAM_SIGNING_KEY_FILE`` + ``PRIAM_SIGNING_CERT_FILE`` (PEM or DER), with
  ``PRIAM_SIGNING_CHAIN_FILE`` (PEM: intermediates and CA) optional; or
- ``PRIAM_SIGNING_PKCS12_FILE`` + ``PRIAM_SIGNING_PASSPHRASE_FILE`` (the file
  holds the passphrase; a final newline is ignored);
- ``PRIAM_SIGNING_TRUST_ROOTS_FILE``: PEM CA certificates that verification
  trusts. Default: the self-signed certificate(s) of the chain, or its top-most
  certificate when the chain stops short of a root;
- ``PRIAM_TSA_URL``: an RFC 3161 timestamp server, off by default.

With none of the key settings and DEBUG on at start-up (the embedded mode),
the local test CA under ``DATA_DIR/signing`` is used (see testca.py).

The signature is PAdES baseline B-B (B-T with a timestamp server): subfilter
ETSI.CAdES.detached, SHA-256, written as an incremental update whose byte range
covers the whole file except the signature value itself.
"""

import logging
import os
import threading
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from pyhanko.keys import (
    load_cert_from_pemder,
    load_certs_from_pemder,
    load_private_key_from_pemder,
)
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from assessments.errors import SigningNotConfigured
from assessments.pdf import testca

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "PRIAMDecisionRecord"

PEM_VARIABLES = "PRIAM_SIGNING_KEY_FILE and PRIAM_SIGNING_CERT_FILE"
PKCS12_VARIABLES = "PRIAM_SIGNING_PKCS12_FILE and PRIAM_SIGNING_PASSPHRASE_FILE"


@dataclass(frozen=True)
class SigningConfig:
    """Where the signing material is, as configured (paths as strings, "" when unset)."""

    mode: str  # "pem", "pkcs12" or "test-ca"
    key_file: str = ""
    cert_file: str = ""
    chain_file: str = ""
    pkcs12_file: str = ""
    passphrase_file: str = ""
    trust_roots_file: str = ""
    tsa_url: str = ""

    def files(self):
        return [
            path
            for path in (
                self.key_file,
                self.cert_file,
                self.chain_file,
                self.pkcs12_file,
                self.passphrase_file,
                self.trust_roots_file,
            )
            if path
        ]


@dataclass(frozen=True)
class SigningMaterial:
    config: SigningConfig
    signer: signers.SimpleSigner
    chain: tuple  # asn1crypto certificates other than the signer's
    trust_roots: tuple = field(default=())  # asn1crypto certificates


def signing_config() -> SigningConfig:
    """The signing configuration from settings.PRIAM_SIGNING (raises SigningNotConfigured)."""
    conf = getattr(settings, "PRIAM_SIGNING", None) or {}
    get = lambda name: str(conf.get(name) or "")  # noqa: E731
    common = {"trust_roots_file": get("TRUST_ROOTS_FILE"), "tsa_url": get("TSA_URL")}
    pem_given = get("KEY_FILE") or get("CERT_FILE")
    p12_given = get("PKCS12_FILE") or get("PASSPHRASE_FILE")
    if pem_given and p12_given:
        raise SigningNotConfigured(
            f"Set either {PEM_VARIABLES} or {PKCS12_VARIABLES} to sign decision records, not both."
        )
    if p12_given:
        if not (get("PKCS12_FILE") and get("PASSPHRASE_FILE")):
            raise SigningNotConfigured(f"Signing decision records with a PKCS#12 file needs both {PKCS12_VARIABLES}.")
        return SigningConfig(
            "pkcs12",
            pkcs12_file=get("PKCS12_FILE"),
            passphrase_file=get("PASSPHRASE_FILE"),
            chain_file=get("CHAIN_FILE"),
            **common,
        )
    if pem_given:
        if not (get("KEY_FILE") and get("CERT_FILE")):
            raise SigningNotConfigured(
                f"Signing decision records with key and certificate files needs both {PEM_VARIABLES}."
            )
        return SigningConfig(
            "pem",
            key_file=get("KEY_FILE"),
            cert_file=get("CERT_FILE"),
            chain_file=get("CHAIN_FILE"),
            **common,
        )
    if conf.get("USE_TEST_CA"):
        files = testca.SigningFiles.in_directory(testca.default_directory())
        return SigningConfig(
            "test-ca",
            key_file=str(files.key),
            cert_file=str(files.cert),
            chain_file=str(files.ca),
            **common,
        )
    raise SigningNotConfigured(
        f"Decision records cannot be signed: set {PEM_VARIABLES} (and PRIAM_SIGNING_CHAIN_FILE), "
        f"or {PKCS12_VARIABLES}. See the README."
    )


def _variable_for(config, path):
    names = {
        config.key_file: "PRIAM_SIGNING_KEY_FILE",
        config.cert_file: "PRIAM_SIGNING_CERT_FILE",
        config.chain_file: "PRIAM_SIGNING_CHAIN_FILE",
        config.pkcs12_file: "PRIAM_SIGNING_PKCS12_FILE",
        config.passphrase_file: "PRIAM_SIGNING_PASSPHRASE_FILE",
        config.trust_roots_file: "PRIAM_SIGNING_TRUST_ROOTS_FILE",
    }
    return names.get(path, "a signing setting")


def _unusable(config, path, problem):
    if config.mode == "test-ca":
        return SigningNotConfigured(
            f"The local test CA file {path} {problem}: run `python manage.py init_signing` "
            f"(`make run` does), or set {PEM_VARIABLES} or {PKCS12_VARIABLES}."
        )
    return SigningNotConfigured(f"{_variable_for(config, path)} names {path}, which {problem}.")


def _stamp(config, path):
    try:
        stat = os.stat(path)
    except OSError:
        raise _unusable(config, path, "does not exist or cannot be read") from None
    return stat.st_mtime_ns, stat.st_size


def _fingerprint(config):
    """Paths with modification times and sizes: the signer cache key."""
    return (config, tuple((path, *_stamp(config, path)) for path in config.files()))


def _load_certs(config, path):
    try:
        certs = list(load_certs_from_pemder([path]))
    except (OSError, ValueError, TypeError) as exc:
        raise _unusable(config, path, f"holds no readable certificates ({exc})") from None
    if not certs:
        raise _unusable(config, path, "holds no certificates")
    return certs


def _load_material(config):
    chain = _load_certs(config, config.chain_file) if config.chain_file else []
    if config.mode == "pkcs12":
        try:
            raw = Path(config.passphrase_file).read_bytes()
        except OSError:
            raise _unusable(config, config.passphrase_file, "cannot be read") from None
        passphrase = raw.rstrip(b"\r\n") or None
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(Path(config.pkcs12_file).read_bytes(), passphrase)
        except (OSError, ValueError, TypeError) as exc:
            raise _unusable(
                config,
                config.pkcs12_file,
                f"cannot be opened with the passphrase in PRIAM_SIGNING_PASSPHRASE_FILE ({exc})",
            ) from None
        if key is None or cert is None:
            raise _unusable(config, config.pkcs12_file, "holds no private key and certificate")
        signing_key = translate_pyca_cryptography_key_to_asn1(key)
        signing_cert = translate_pyca_cryptography_cert_to_asn1(cert)
        chain = [translate_pyca_cryptography_cert_to_asn1(c) for c in extra or ()] + chain
    else:
        try:
            signing_key = load_private_key_from_pemder(config.key_file, passphrase=None)
        except (OSError, ValueError, TypeError) as exc:
            raise _unusable(config, config.key_file, f"holds no readable unencrypted private key ({exc})") from None
        try:
            signing_cert = load_cert_from_pemder(config.cert_file)
        except (OSError, ValueError, TypeError) as exc:
            raise _unusable(config, config.cert_file, f"holds no readable certificate ({exc})") from None

    if _public_key_der(signing_key) != signing_cert.public_key.dump():
        source = config.pkcs12_file if config.mode == "pkcs12" else config.key_file
        raise _unusable(config, source, "holds a key that does not match the signing certificate")

    # Deduplicate, keeping order, and leave out the signer's own certificate.
    seen = {signing_cert.dump()}
    unique_chain = []
    for cert in chain:
        if cert.dump() not in seen:
            seen.add(cert.dump())
            unique_chain.append(cert)

    registry = SimpleCertificateStore()
    registry.register_multiple(unique_chain)
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=signing_key,
        cert_registry=registry,
        # The signer's certificate and the intermediates go into the signature;
        # the root does not: verifiers hold it as a trust anchor, and a copy in
        # the unsigned part of the CMS would be bytes nobody checks.
        embed_roots=False,
    )
    if config.trust_roots_file:
        roots = _load_certs(config, config.trust_roots_file)
    else:
        roots = default_trust_roots(signing_cert, unique_chain)
    return SigningMaterial(config, signer, tuple(unique_chain), tuple(roots))


def _public_key_der(private_key_info):
    key = serialization.load_der_private_key(private_key_info.dump(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def default_trust_roots(signing_cert, chain):
    """The self-signed certificates of the chain, else the top-most one (or the signer's)."""
    roots = [cert for cert in chain if cert.self_signed != "no"]
    if roots:
        return roots
    issuers = {cert.issuer.dump() for cert in chain}
    tops = [cert for cert in chain if cert.subject.dump() not in issuers]
    return tops[-1:] or chain[-1:] or [signing_cert]


_lock = threading.Lock()
_cache = {}


def signing_material() -> SigningMaterial:
    """The signer and trust roots, loaded once per process and reloaded when a file changes."""
    config = signing_config()
    key = _fingerprint(config)
    with _lock:
        material = _cache.get(key)
        if material is None:
            material = _load_material(config)
            _cache.clear()
            _cache[key] = material
    return material


def trust_roots() -> tuple:
    """The certificates verification trusts (asn1crypto), per the configuration.

    Read from certificates alone where the configuration allows, so web nodes, which only
    verify, and an instance restored from a backup can check records without the private key
    (only the workers sign). A PKCS#12 bundle needs its passphrase to show its certificates."""
    config = signing_config()
    if config.mode == "pkcs12" and not config.trust_roots_file:
        return signing_material().trust_roots
    files = [config.trust_roots_file] if config.trust_roots_file else [config.cert_file, config.chain_file]
    key = ("trust-roots", tuple((path, *_stamp(config, path)) for path in files if path))
    with _lock:
        roots = _cache.get(key)
    if roots is None:
        if config.trust_roots_file:
            roots = tuple(_load_certs(config, config.trust_roots_file))
        else:
            signing_cert = _load_certs(config, config.cert_file)[0]
            chain = _load_certs(config, config.chain_file) if config.chain_file else []
            chain = [cert for cert in chain if cert.dump() != signing_cert.dump()]
            roots = tuple(default_trust_roots(signing_cert, chain))
        with _lock:
            _cache[key] = roots
    return roots


def signs_within_pdf_1_7() -> bool:
    """Whether a PDF 1.7 file stays PDF 1.7 once signed with the instance's key.

    pyHanko declares PDF 2.0 (and the ISO 32002 extension) in the catalog of a file it signs
    with an elliptic-curve key, as only PDF 2.0 defines such signatures; an RSA or DSA signature
    needs only the PAdES extension to PDF 1.7. PDF/A-3 is a profile of PDF 1.7, so only the
    latter can stay PDF/A-3 (raises SigningNotConfigured)."""
    return signing_material().signer.signing_cert.public_key.algorithm in ("rsa", "rsassa_pss", "dsa")


# Invisible, yet flagged for printing (PDF/A forbids hidden annotations) and placed off the page,
# so PDF/UA does not expect it in the structure tree.
_INVISIBLE_FIELD = fields.SigFieldSpec(
    SIGNATURE_FIELD, invis_sig_settings=fields.InvisSigSettings(set_print_flag=True, box_out_of_bounds=True)
)


def _agreeing_producer(writer):
    """Where the file has XMP metadata, pyHanko writes its own name as the XMP producer but adds it
    to the document information's; PDF/A requires both to say the same, so say only pyHanko's."""
    if "/Metadata" not in writer.root or "/Info" not in writer.trailer:
        return
    info = generic.DictionaryObject(writer.trailer["/Info"])
    info[generic.NameObject("/Producer")] = generic.TextStringObject(VENDOR)
    writer.set_info(info)


def sign_pdf(pdf: bytes, *, reason: str, location: str = "", contact: str = "") -> bytes:
    """Sign ``pdf`` with the instance's key; return the signed PDF's bytes.

    Raises SigningNotConfigured when there is no usable key and certificate.
    """
    material = signing_material()
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        contact_info=contact or None,
    )
    timestamper = None
    if material.config.tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(material.config.tsa_url, timeout=10)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    _agreeing_producer(writer)
    output = signers.sign_pdf(
        writer, meta, signer=material.signer, timestamper=timestamper, new_field_spec=_INVISIBLE_FIELD
    )
    return output.getvalue()
