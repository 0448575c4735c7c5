"""Is this PDF a decision record issued by this PRIAM? Used by /verify/, the API and verify_record."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..pdf.verify import MAX_UPLOAD_BYTES, MAX_UPLOAD_TEXT, TOO_LARGE, PdfVerification, verify_pdf
from ..selectors.records import record_by_pdf_sha256, record_successor


@dataclass(frozen=True)
class Check:
    """One check as the page and verify_record report it. passed is None when it did not run."""

    key: str
    label: str
    passed: bool | None
    detail: str = ""

    @property
    def answer(self) -> str:
        if self.passed is None:
            return "not checked"
        return ("yes" if self.passed else "no") + (f", {self.detail}" if self.detail else "")


CHANGED_BUT_OURS = (
    "It is signed with this PRIAM's certificate, so it is probably a copy of a genuine record "
    "that was altered afterwards: ask for the original, or download it again from PRIAM."
)


@dataclass(frozen=True)
class RecordVerification:
    pdf: PdfVerification
    record: object = None  # DecisionRecord issued here with exactly these bytes
    superseded_by: str | None = None
    problems: list = field(default_factory=list)

    @property
    def issued_here(self) -> bool:
        return self.record is not None

    @property
    def ok(self) -> bool:
        """Valid, whole-file signature by this PRIAM, and the very bytes it issued."""
        return self.pdf.ok and self.issued_here

    @property
    def checks(self) -> list[Check]:
        pdf = self.pdf
        signature_ran = pdf.signature_checked
        if self.record is not None:
            issued = f"{self.record.number}, SHA-256 {pdf.signed_sha256[:16]}…"
        else:
            issued = f"no record issued here has this file's SHA-256 {pdf.signed_sha256[:16]}…" if pdf.is_pdf else ""
        return [
            Check("is_pdf", "A PDF file", None if TOO_LARGE in pdf.problems else pdf.is_pdf),
            Check("signed", "Digitally signed", pdf.signed if pdf.readable else None),
            Check(
                "signature_valid",
                "Signature cryptographically valid (content unchanged since signing)",
                pdf.intact and pdf.valid if signature_ran else None,
            ),
            Check(
                "covers_whole_file", "Signature covers the whole file", pdf.covers_whole_file if signature_ran else None
            ),
            Check(
                "chains_to_roots",
                "Signing certificate chains to this PRIAM's trust roots",
                pdf.chains_to_roots,
                pdf.signer if pdf.chains_to_roots is not None else "",
            ),
            Check(
                "issued_record",
                "Matches a record issued by this PRIAM (number and SHA-256)",
                self.record is not None if pdf.is_pdf else None,
                issued,
            ),
        ]

    def summary(self) -> str:
        if self.ok:
            state = f"superseded by {self.superseded_by}" if self.superseded_by else "current"
            return f"Valid decision record {self.record.number}, issued by this PRIAM ({state})."
        return "Not a valid decision record issued by this PRIAM: " + " ".join(self.problems)


def record_verify(data: bytes) -> RecordVerification:
    pdf = verify_pdf(data)
    problems = list(pdf.problems)
    record = None
    superseded_by = None
    if pdf.is_pdf and pdf.signed_sha256:
        record = record_by_pdf_sha256(pdf.signed_sha256)
    if record is None and pdf.ok:
        problems.append("Its signature is valid, but this PRIAM did not issue this exact file.")
    elif pdf.chains_to_roots and not pdf.ok:
        problems.append(CHANGED_BUT_OURS)
    elif record is None and pdf.is_pdf and pdf.signed and not problems:
        problems.append("This PRIAM did not issue this file.")
    if record is not None:
        successor = record_successor(record)
        superseded_by = successor.number if successor else None
    return RecordVerification(pdf=pdf, record=record, superseded_by=superseded_by, problems=problems)


__all__ = ["MAX_UPLOAD_BYTES", "MAX_UPLOAD_TEXT", "TOO_LARGE", "Check", "RecordVerification", "record_verify"]
