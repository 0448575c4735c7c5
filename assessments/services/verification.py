"""Is this PDF a decision record issued by this PRIAM? Used by /verify/, the API and verify_record."""

from dataclasses import dataclass, field

from ..models import DecisionRecord
from ..pdf.verify import MAX_UPLOAD_BYTES, PdfVerification, verify_pdf
from ..selectors_records import record_by_pdf_sha256


@dataclass(frozen=True)
class RecordVerification:
    pdf: PdfVerification
    record: object = None  # DecisionRecord issued here with exactly these bytes
    superseded_by: str | None = None
    problems: list = field(default_factory=list)

    @property
    def issued_here(self):
        return self.record is not None

    @property
    def ok(self):
        """Valid, whole-file signature by this PRIAM, and the very bytes it issued."""
        return self.pdf.ok and self.issued_here

    def summary(self):
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
    elif record is None and pdf.is_pdf and pdf.signed and not problems:
        problems.append("This PRIAM did not issue this file.")
    if record is not None:
        superseded_by = (
            DecisionRecord.objects.filter(supersedes=record).values_list("number", flat=True).first()
        )
    return RecordVerification(pdf=pdf, record=record, superseded_by=superseded_by, problems=problems)


__all__ = ["MAX_UPLOAD_BYTES", "RecordVerification", "record_verify"]
