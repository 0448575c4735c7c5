"""PDF decision records: rendering (WeasyPrint), signing and verification (pyHanko).

This package knows nothing about panels or records: it turns HTML into a PDF,
signs a PDF with the instance's key, and checks that a PDF was signed by it.
Names are imported lazily so that, say, ``init_signing`` does not load WeasyPrint.
"""

import importlib

_EXPORTS = {
    "render_pdf": "assessments.pdf.render",
    "sign_pdf": "assessments.pdf.signing",
    "SigningNotConfigured": "assessments.pdf.signing",
    "verify_pdf": "assessments.pdf.verify",
    "PdfVerification": "assessments.pdf.verify",
    "MAX_UPLOAD_BYTES": "assessments.pdf.verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
