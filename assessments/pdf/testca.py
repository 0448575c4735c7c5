"""A local test CA and signing certificate for the embedded mode.

``make run`` (through ``manage.py init_signing``) creates, once, under
``DATA_DIR/signing/``:

- ``ca.pem``           the CA certificate ("PRIAM Local Test CA", 10 years);
- ``signing-cert.pem`` the signing certificate it issued (2 years);
- ``signing-key.pem``  that certificate's private key (mode 0600).

The CA's private key is not kept: nothing else can be issued by it, and to
start again one deletes the folder. None of this is for production: the README
says how to configure a certificate from a real CA.
"""

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

CA_FILE = "ca.pem"
CERT_FILE = "signing-cert.pem"
KEY_FILE = "signing-key.pem"

CA_COMMON_NAME = "PRIAM Local Test CA"
SIGNER_COMMON_NAME = "PRIAM decision records (local test)"
ORGANISATION = "PRIAM"

# id-kp-documentSigning (RFC 9336).
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class SigningFiles:
    directory: Path
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_directory(cls, directory):
        directory = Path(directory)
        return cls(directory, directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)

    @property
    def all(self):
        return (self.ca, self.cert, self.key)


def default_directory():
    from django.conf import settings

    return Path(settings.DATA_DIR) / "signing"


def _now():
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _name(common_name, organisation):
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def create_ca(common_name=CA_COMMON_NAME, organisation=ORGANISATION, years=10):
    """A new self-signed CA: (private key, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years + years // 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_signing_cert(ca_key, ca_cert, common_name=SIGNER_COMMON_NAME, organisation=ORGANISATION, years=2):
    """A new document-signing key and certificate issued by the CA: (key, cert)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path, data, mode):
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class PartialTestCA(Exception):
    """Some of the test CA files exist and others do not: refuse to guess."""


def ensure_test_ca(directory=None):
    """Create the local test CA and signing certificate unless they exist.

    Returns ``(created, SigningFiles)``. Never overwrites: if only some of the
    files exist, raises PartialTestCA naming them.
    """
    files = SigningFiles.in_directory(directory or default_directory())
    present = [path for path in files.all if path.exists()]
    if len(present) == len(files.all):
        return False, files
    if present:
        raise PartialTestCA(
            f"Some signing files exist in {files.directory} and others do not "
            f"(found: {', '.join(p.name for p in present)}). Remove the folder to create "
            "a new local test CA, or configure a real certificate (see README)."
        )
    files.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_key, ca_cert = create_ca()
    key, cert = issue_signing_cert(ca_key, ca_cert)
    # The key first and the CA last, so an interrupted run leaves a partial set
    # that is reported rather than a certificate without its key.
    _write(files.key, key_pem(key), 0o600)
    _write(files.cert, pem(cert), 0o644)
    _write(files.ca, pem(ca_cert), 0o644)
    return True, files
