"""Evidence: documents attached to an answer or an obligation, stored by their SHA-256.

A document's type is read from its content, never its name: a program renamed `letter.pdf` is
refused. Its SHA-256 is taken while it is read, once, and checked again before every download, so
a stored file changed behind PRIAM's back is refused rather than served (tamper evidence).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import tempfile
import zipfile
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from .. import limits, permissions
from ..errors import (
    EvidenceNotStored,
    EvidenceRejected,
    EvidenceTampered,
    EvidenceTooLarge,
    InvalidInput,
    NotFound,
    ProjectLocked,
)
from ..models import AuditAction, Evidence
from ..selectors.frameworks import engine_framework
from .audit import audit_record

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from ..models import CustodianAssessment, Obligation, Project, User

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024

PDF, PNG, JPEG, TEXT = "application/pdf", "image/png", "image/jpeg", "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ALLOWED_TYPES = {
    PDF: "PDF",
    PNG: "PNG image",
    JPEG: "JPEG image",
    TEXT: "plain text",
    DOCX: "Word document (DOCX)",
    XLSX: "Excel workbook (XLSX)",
    ODT: "OpenDocument text (ODT)",
}
ALLOWED_IN_WORDS = "PDF, PNG, JPEG, plain text, DOCX, XLSX or ODT"
# The main part an Office Open XML package declares in [Content_Types].xml; a macro-enabled
# document (docm, xlsm) declares another and is refused.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
# Plain text may hold tabs, line and page breaks; any other control character means it is not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def max_bytes() -> int:
    return int(getattr(settings, "PRIAM_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def evidence_upload(
    *,
    project: Project,
    user: User,
    uploaded_file: UploadedFile,
    obligation: Obligation | None = None,
    question: str = "",
    assessment: CustodianAssessment | None = None,
    description: str = "",
    request: HttpRequest | None = None,
) -> Evidence:
    """Store one document against a question of the project (project-wide, or a custodian's own
    with `assessment`) or against one of its obligations, with its audit event, in one transaction.

    Refused (nothing stored) when the user may not attach there, the target is not the project's,
    or the file is empty, too large or not one of the allowed types."""
    name = _display_name(uploaded_file)
    attached = _check_target(project, user, obligation, question, assessment)
    if len(description) > limits.NAME:
        raise InvalidInput(f"The description is longer than {limits.NAME} characters.")
    sha256, size, content_type = _inspect(uploaded_file, name)

    evidence = Evidence(
        project=project,
        obligation=obligation,
        question=question,
        assessment=assessment,
        name=name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        description=description.strip(),
        uploaded_by=user,
    )
    uploaded_file.seek(0)
    stored = None
    try:
        with transaction.atomic():
            # Saved through the storage API under evidence/<project>/<sha256>; a clash (the same
            # document twice) gets a suffix from the storage, never the uploader's name.
            try:
                evidence.file.save(name, uploaded_file, save=False)
            except OSError as error:
                # The storage, not the document: say so, keep nothing, and let them send it again.
                logger.error("Evidence for project %s could not be stored: %s", project.pk, error)
                raise EvidenceNotStored(
                    f"“{name}” could not be stored: the server could not save the file just now. "
                    "Nothing was kept; please try again in a moment (tell the administrator if it "
                    "keeps failing).",
                    name=name,
                ) from error
            stored = evidence.file.name
            evidence.save()
            audit_record(
                action=AuditAction.EVIDENCE_UPLOADED,
                actor=user,
                obj=evidence,
                project=project,
                organisation_id=assessment.organisation_id if assessment else None,
                request=request,
                data={
                    "name": name,
                    "sha256": sha256,
                    "size": size,
                    "content_type": content_type,
                    "attached_to": attached,
                },
            )
            if obligation is not None:
                from .obligations import obligation_evidence_submitted

                obligation_evidence_submitted(obligation=obligation, evidence=evidence, user=user, request=request)
    except BaseException:
        # No row, no event: the stored bytes go too. (Inside a caller's transaction that rolls
        # back later, an unreachable file may remain; nothing points to it.)
        if stored:
            default_storage.delete(stored)
        raise
    return evidence


def evidence_open(*, evidence: Evidence, user: User, request: HttpRequest | None = None) -> BinaryIO:
    """The stored document for download, audited; refused when it no longer matches its SHA-256.

    The bytes are copied while hashed and the copy is served, so what is checked is what is sent
    (a file changed between a check and a second read would otherwise slip through)."""
    copy = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (returned open: FileResponse closes it)
    digest = hashlib.sha256()
    try:
        with default_storage.open(evidence.file.name, "rb") as stored:
            for chunk in iter(lambda: stored.read(CHUNK), b""):
                digest.update(chunk)
                copy.write(chunk)
    except (FileNotFoundError, OSError):
        copy.close()
        _refuse_tampered(evidence, "is missing from storage")
    if digest.hexdigest() != evidence.sha256:
        copy.close()
        _refuse_tampered(evidence, f"has SHA-256 {digest.hexdigest()}, not {evidence.sha256} as uploaded")
    copy.seek(0)
    with transaction.atomic():
        audit_record(
            action=AuditAction.EVIDENCE_DOWNLOADED,
            actor=user,
            obj=evidence,
            project_id=evidence.project_id,
            request=request,
            data={"name": evidence.name, "sha256": evidence.sha256},
        )
    return copy


def _refuse_tampered(evidence: Evidence, what: str) -> None:
    logger.error(
        "Evidence %s (%s, project %s) %s: refused to serve it.",
        evidence.pk,
        evidence.file.name,
        evidence.project_id,
        what,
    )
    raise EvidenceTampered(
        f"“{evidence.name}” was changed or removed in storage since it was uploaded, so PRIAM will not serve it. "
        "Tell your administrator; the uploader can upload the document again."
    )


def _display_name(uploaded_file: UploadedFile) -> str:
    # Only the last path part, without control characters: it is shown and offered back on
    # download, never used as a path.
    raw = (uploaded_file.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", raw).strip() or "document"
    if len(name) > limits.NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (
            (stem[: limits.NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 10 else name[: limits.NAME]
        )
    return name


def _check_target(
    project: Project,
    user: User,
    obligation: Obligation | None,
    question: str,
    assessment: CustodianAssessment | None,
) -> dict[str, Any]:
    if obligation is not None:
        if question or assessment is not None:
            raise InvalidInput("Attach a document to a question or to an obligation, not both.")
        if obligation.project_id != project.pk:
            raise NotFound("No such obligation on this project.")
        if not permissions.can_upload_obligation_evidence(user, obligation):
            raise NotFound("No such obligation you can attach documents to.")
        return {"obligation": obligation.number, "text": obligation.text}
    if not question:
        raise InvalidInput("Say which question or obligation the document supports.")
    if assessment is not None and assessment.project_id != project.pk:
        raise NotFound("No such custodian assessment on this project.")
    found = engine_framework(project.framework_version).questions_by_id.get(question)
    if found is None:
        raise NotFound(f"No question {question} in {project.framework_version.spec}.")
    if found.scope != ("custodian" if assessment is not None else "project"):
        raise InvalidInput(
            f"Question {question} is answered by each custodian: attach to a custodian's assessment."
            if found.scope == "custodian"
            else f"Question {question} is a project-wide question: attach it without a custodian."
        )
    if not permissions.can_upload_answer_evidence(user, project, assessment):
        raise NotFound("No such question you can attach documents to.")
    if project.is_locked:
        # The answers are fixed while the panel reviews them or once decided: what supports them too.
        raise ProjectLocked(
            "The project's answers are fixed while the approval panel reviews them and once it is decided, "
            "and so are the documents supporting them."
        )
    return {"question": question, "custodian": assessment.organisation.name if assessment else None}


def _inspect(uploaded_file: UploadedFile, name: str) -> tuple[str, int, str]:
    """SHA-256, size and detected type, reading the file once in chunks; refusals name the file."""
    limit = max_bytes()
    too_large = EvidenceTooLarge(
        f"“{name}” is larger than the {filesizeformat(limit)} limit for a document.", name=name
    )
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise too_large
    digest = hashlib.sha256()
    size = 0
    head = b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_text = True
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK):
        size += len(chunk)
        if size > limit:  # the declared size is the client's word; the bytes are not
            raise too_large
        digest.update(chunk)
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        if is_text:
            try:
                is_text = not _CONTROL.search(decoder.decode(chunk))
            except UnicodeDecodeError:
                is_text = False
    if size == 0:
        raise EvidenceRejected(f"“{name}” is empty.", name=name)
    if is_text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_text = False
    content_type = _detect(head, uploaded_file, is_text)
    if content_type is None:
        raise EvidenceRejected(
            f"“{name}” is not a document PRIAM accepts (judged by its content, not its name): "
            f"upload a {ALLOWED_IN_WORDS} file.",
            name=name,
        )
    return digest.hexdigest(), size, content_type


def _detect(head: bytes, uploaded_file: UploadedFile, is_text: bool) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        uploaded_file.seek(0)
        return _office_type(uploaded_file)
    if is_text:
        return TEXT
    return None


def _office_type(uploaded_file: UploadedFile) -> str | None:
    """DOCX, XLSX or ODT from the package's own declaration of what it is; any other zip: None.

    Only the small declaration is read (at most 64 KiB of it), so a zip bomb is never expanded."""
    try:
        with zipfile.ZipFile(uploaded_file) as package:
            names = set(package.namelist())
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return None  # macros, whatever the declaration says
            if "mimetype" in names:
                with package.open("mimetype") as member:
                    declared = member.read(200).decode("ascii", "replace").strip()
                return ODT if declared == ODT else None
            if "[Content_Types].xml" in names:
                with package.open("[Content_Types].xml") as member:
                    types = member.read(64 * 1024).decode("utf-8", "replace")
                declared_main = set(re.findall(r'ContentType="([^"]+)"', types))
                found = {_OOXML_MAIN[t] for t in declared_main if t in _OOXML_MAIN}
                return found.pop() if len(found) == 1 else None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None
