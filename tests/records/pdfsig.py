"""Run Poppler's pdfsig the way a reader who trusts this PRIAM's CA would."""

import subprocess


def nss_trusting(ca_pem, directory):
    """An NSS certificate database that trusts the given CA, for pdfsig -nssdir."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "priam-ca", "-t", "C,C,C", "-i", str(ca_pem)], check=True
    )
    return directory


def pdfsig(path, nssdir):
    # pdfsig exits 0 even on a digest mismatch, so its words are what count.
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nssdir}", str(path)], capture_output=True)
    return result.stdout.decode("utf-8", "replace")


def pdfsig_accepts(path, nssdir):
    out = pdfsig(path, nssdir)
    return "Signature is Valid." in out and "Total document signed" in out and "Certificate is Trusted." in out
