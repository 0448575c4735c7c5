"""The floor for decision-record PDFs: WeasyPrint + pyHanko used directly, no PRIAM code.

    signer = build_signer("key.pem", "cert.pem", "ca.pem")   # once, outside the timing
    pdf = bare_render_and_sign(html, signer)

`python bench/pdf_libs.py` times it on a ~3-page document with a throwaway key.
"""

import sys
import time
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from weasyprint import HTML


def build_signer(key_file, cert_file, chain_file=None):
    return signers.SimpleSigner.load(key_file, cert_file, ca_chain_files=(chain_file,) if chain_file else None)


def bare_render_and_sign(html: str, signer) -> bytes:
    pdf = HTML(string=html).write_pdf()
    meta = signers.PdfSignatureMetadata(
        field_name="Signature", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def _throwaway_signer(directory):
    import datetime
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = Path(directory) / "key.pem", Path(directory) / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return build_signer(key_file, cert_file)


def main(runs=10):
    import tempfile

    rows = "".join(f"<tr><td>{n}</td><td>Mae'r ŵyn yn y cae, Tŷ {n}</td></tr>" for n in range(110))
    html = f"<html><body><h1>Tŷ</h1><table>{rows}</table></body></html>"
    with tempfile.TemporaryDirectory() as directory:
        signer = _throwaway_signer(directory)
    bare_render_and_sign(html, signer)  # warm-up: fonts, imports
    start = time.perf_counter()
    for _ in range(runs):
        bare_render_and_sign(html, signer)
    print(f"bare WeasyPrint + pyHanko: {(time.perf_counter() - start) / runs * 1000:.0f} ms per document")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
