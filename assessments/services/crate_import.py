"""Receiving another PRIAM's decision record as a Five Safes RO-Crate (issue 17, part 3).

The crate's manifest is not signed, so on its own it proves only that the zip was not damaged
in transit: anyone can recompute it. What ties the crate to its sender is the signed PDF. Its
signature must be valid, cover the whole file and come from a trusted peer's certificate; its
signed metadata carries the SHA-256 of the record's snapshot (the "priam-snapshot-sha256:"
keyword, written by templates/records/record_pdf.html); decision-record.json must hash to that
value, and assessment.json and the evidence files must match the snapshot. So every file the
import keeps is covered, through the snapshot, by the peer's signature.

Each check refuses with a sentence for the person importing (CrateRefused), first failure first.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import posixpath
import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from .. import engine
from ..crates import ASSESSMENT as ASSESSMENT_JSON
from ..crates import BAGIT, MANIFEST, METADATA, PDF
from ..crates import SNAPSHOT as RECORD_JSON
from ..crates.manifest import manifest_parse
from ..errors import PriamError
from ..models import AuditAction, ReceivedAssessment, TrustedPeer
from .audit import audit_record

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Project, User

logger = logging.getLogger(__name__)

MAX_CRATE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_FILES = 1000
MAX_RATIO = 200  # a record's JSON compresses well, a zip bomb far better

REQUIRED = (METADATA, PDF, RECORD_JSON, ASSESSMENT_JSON, MANIFEST)
# BagIt's declaration says nothing the import relies on, so it may be left out of the manifest.
UNLISTED_ALLOWED = {MANIFEST, BAGIT}
KEYWORD = "priam-snapshot-sha256:"


class CrateRefused(PriamError):
    """The crate was not imported; the message says why."""

    status = 422
    kind = "crate-refused"
    title = "The crate was refused"


class AlreadyReceived(CrateRefused):
    status = 409
    kind = "crate-already-received"
    title = "This record was already received"


@dataclass(frozen=True)
class _Checked:
    peer: TrustedPeer
    signer: str
    snapshot: dict[str, Any]
    snapshot_sha256: str
    assessment: dict[str, Any]
    pdf: bytes
    evidence: list[dict[str, Any]]


def _read_zip(data: bytes) -> dict[str, bytes]:
    """The zip's files by name, refusing anything that could hurt whoever unpacks it."""
    if len(data) > MAX_CRATE_BYTES:
        raise CrateRefused(f"The crate is larger than {MAX_CRATE_BYTES // (1024 * 1024)} MB.")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise CrateRefused("This is not a zip file, so it is not an RO-Crate from PRIAM.") from None
    if len(infos) > MAX_FILES:
        raise CrateRefused(f"The crate holds more than {MAX_FILES} files.")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        normal = posixpath.normpath(name)
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or "\x00" in name
            or (len(name) > 1 and name[1] == ":")
            or normal != name
            or normal.startswith("..")
        ):
            raise CrateRefused(f"The crate holds a file with an unsafe path: {name!r}.")
        if name in files:
            raise CrateRefused(f"The crate holds two files named {name!r}.")
        budget = MAX_UNCOMPRESSED_BYTES - total
        try:
            with archive.open(info) as member:
                # Read at most the budget plus one byte: the header's sizes are the sender's word.
                content = member.read(budget + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
            raise CrateRefused(f"The file {name!r} in the crate cannot be read ({exc}).") from None
        total += len(content)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise CrateRefused(
                f"The crate unpacks to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB, so it is refused."
            )
        if len(content) > 1024 * 1024 and len(content) > MAX_RATIO * max(info.compress_size, 1):
            raise CrateRefused(f"The file {name!r} is compressed suspiciously well (a zip bomb?), so it is refused.")
        files[name] = content
    return files


def _check_manifest(files: dict[str, bytes]) -> None:
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise CrateRefused(f"The crate lacks {', '.join(missing)}, so it is not a PRIAM decision-record crate.")
    try:
        listed = manifest_parse(files[MANIFEST].decode("utf-8"))
    except UnicodeDecodeError:
        raise CrateRefused(f"{MANIFEST} is not UTF-8 text.") from None
    except ValueError as error:
        raise CrateRefused(f"{MANIFEST} is not a manifest the export writes. {error}") from None
    unlisted = sorted(set(files) - set(listed) - UNLISTED_ALLOWED)
    if unlisted:
        raise CrateRefused(f"The crate holds files its manifest does not list: {', '.join(unlisted)}.")
    absent = sorted(set(listed) - set(files))
    if absent:
        raise CrateRefused(f"The manifest lists files the crate does not hold: {', '.join(absent)}.")
    for path, digest in listed.items():
        if hashlib.sha512(files[path]).hexdigest() != digest:
            raise CrateRefused(f"The file {path} was changed: its SHA-512 does not match the manifest.")


def _peer_roots(peer: TrustedPeer) -> list:
    from pyhanko.keys import load_certs_from_pemder_data

    return list(load_certs_from_pemder_data(peer.certificate_pem.encode("ascii")))


def _signed_snapshot_sha256(pdf: bytes) -> str | None:
    """The snapshot SHA-256 the signed PDF's metadata carries, or None."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        keywords = str(reader.trailer["/Info"].get("/Keywords", ""))
    except Exception as exc:
        logger.info("crate_import: no metadata in the PDF: %s: %s", type(exc).__name__, exc)
        return None
    for word in keywords.replace(",", " ").split():
        if word.startswith(KEYWORD):
            return word[len(KEYWORD) :].lower()
    return None


def _check_signature(pdf: bytes) -> tuple[TrustedPeer, str]:
    from ..pdf.verify import NOT_OURS, NOT_OURS_CERTIFICATE, verify_pdf

    peers = list(TrustedPeer.objects.filter(active=True).order_by("pk"))
    if not peers:
        raise CrateRefused("No trusted peer is configured, so no crate can be accepted.")
    verification = None
    for peer in peers:
        try:
            roots = _peer_roots(peer)
        except Exception:
            logger.warning("crate_import: the certificate of trusted peer %s cannot be read", peer.name)
            continue
        verification = verify_pdf(pdf, roots=roots)
        if verification.ok:
            return peer, verification.signer
        if verification.chains_to_roots:
            break  # this peer's certificate: what is wrong is the signature, said below
    # verify_pdf speaks of "this PRIAM"; here the question is whether a peer signed it.
    problems = [p for p in (verification.problems if verification else []) if p not in (NOT_OURS, NOT_OURS_CERTIFICATE)]
    if problems:
        raise CrateRefused(f"The signed PDF is not accepted: {problems[0]}")
    signer = verification.signer if verification is not None else ""
    raise CrateRefused(
        f"The PDF was signed by {signer or 'an unknown signer'}, whose certificate is neither a trusted "
        "peer's nor issued by one, so the crate is refused."
    )


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CrateRefused(f"{name} is not valid JSON.") from None


def _check(data: bytes) -> _Checked:
    files = _read_zip(data)
    _check_manifest(files)
    pdf = files[PDF]
    peer, signer = _check_signature(pdf)
    signed_sha256 = _signed_snapshot_sha256(pdf)
    if not signed_sha256:
        raise CrateRefused(
            "The signed PDF does not carry its record's snapshot SHA-256, so decision-record.json cannot be "
            "tied to the signature (it was issued by a PRIAM too old to export crates)."
        )
    snapshot = _json(files, RECORD_JSON)
    if not isinstance(snapshot, dict):
        raise CrateRefused(f"{RECORD_JSON} is not a decision record.")
    snapshot_sha256 = hashlib.sha256(engine.canonical_json(snapshot).encode("utf-8")).hexdigest()
    if snapshot_sha256 != signed_sha256:
        raise CrateRefused(
            f"{RECORD_JSON} is not the record that was signed: its SHA-256 is {snapshot_sha256}, "
            f"the signed PDF names {signed_sha256}."
        )
    assessment = _json(files, ASSESSMENT_JSON)
    result = (snapshot.get("evaluation") or {}).get("result")
    if assessment != {"document": snapshot.get("document"), "result": result}:
        raise CrateRefused(f"{ASSESSMENT_JSON} differs from the assessment in the signed record.")
    signed_evidence = {e.get("sha256") for e in snapshot.get("evidence") or [] if isinstance(e, dict)}
    evidence = []
    for path in sorted(p for p in files if p.startswith("evidence/")):
        sha256 = hashlib.sha256(files[path]).hexdigest()
        prefix = path[len("evidence/") :].split("-", 1)[0]
        if sha256 not in signed_evidence or not sha256.startswith(prefix.lower()):
            raise CrateRefused(f"The evidence file {path} is not one the signed record names.")
        evidence.append({"path": path, "sha256": sha256, "size": len(files[path])})
    number = (snapshot.get("record") or {}).get("number")
    if not isinstance(number, str) or not number:
        raise CrateRefused(f"{RECORD_JSON} has no record number.")
    return _Checked(peer, signer, snapshot, snapshot_sha256, assessment, pdf, evidence)


def crate_import(*, data: bytes, by: User | None, request: HttpRequest | None = None) -> ReceivedAssessment:
    """Verify a crate (see the module doc) and keep its record as received from the trusted peer
    that signed it. Raises CrateRefused with the reason; AlreadyReceived when that peer's record
    is here already (so importing twice changes nothing)."""
    checked = _check(data)
    number = checked.snapshot["record"]["number"]
    peer = checked.peer
    if ReceivedAssessment.objects.filter(peer=peer, record_number=number).exists():
        raise AlreadyReceived(f"Record {number} from {peer.name} was already received; nothing changed.")
    crate_sha256 = hashlib.sha256(data).hexdigest()
    try:
        with transaction.atomic():
            received = ReceivedAssessment.objects.create(
                peer=peer,
                record_number=number,
                issued_at=str(checked.snapshot["record"].get("issued_at") or ""),
                crate_sha256=crate_sha256,
                snapshot_sha256=checked.snapshot_sha256,
                snapshot=checked.snapshot,
                document=checked.assessment["document"],
                result=checked.assessment["result"],
                pdf=checked.pdf,
                signer=checked.signer,
                evidence=checked.evidence,
                received_by=by,
            )
            audit_record(
                action=AuditAction.CRATE_RECEIVED,
                actor=by,
                obj=received,
                request=request,
                data={
                    "peer": peer.name,
                    "peer_url": peer.base_url,
                    "record_number": number,
                    "crate_sha256": crate_sha256,
                    "snapshot_sha256": checked.snapshot_sha256,
                    "signer": checked.signer,
                },
            )
    except IntegrityError:
        # Imported at the same moment by someone else: the same answer as importing it twice.
        raise AlreadyReceived(f"Record {number} from {peer.name} was already received; nothing changed.") from None
    return received


def peer_certificate_check(certificate_pem: str) -> None:
    """Refuse text that holds no certificate: a peer nobody could match would fail every import."""
    from pyhanko.keys import load_certs_from_pemder_data

    try:
        certs = list(load_certs_from_pemder_data(certificate_pem.encode("ascii")))
    except Exception:
        certs = []
    if not certs:
        raise PriamError("That is not a PEM certificate.")


def peer_trust(*, name: str, base_url: str, certificate_pem: str, by: User | None = None) -> TrustedPeer:
    """Add a trusted peer, or replace the URL and certificate of the one with that name (operators'
    command; administrators use the admin)."""
    peer_certificate_check(certificate_pem)
    with transaction.atomic():
        peer = TrustedPeer.objects.select_for_update().filter(name=name).first()
        before = peer_snapshot(peer) if peer else None
        if peer is None:
            peer = TrustedPeer.objects.create(
                name=name, base_url=base_url, certificate_pem=certificate_pem, added_by=by
            )
        else:
            peer.base_url, peer.certificate_pem, peer.active = base_url, certificate_pem, True
            peer.save()
        after = peer_snapshot(peer)
        audit_record(
            action=AuditAction.PEER_UPDATED if before else AuditAction.PEER_CREATED,
            actor=by,
            obj=peer,
            data={"before": before, "after": after} if before else {"after": after},
        )
    return peer


def peer_snapshot(peer: TrustedPeer) -> dict[str, Any]:
    return {
        "name": peer.name,
        "base_url": peer.base_url,
        "active": peer.active,
        "certificate_sha256": hashlib.sha256(peer.certificate_pem.strip().encode("ascii")).hexdigest(),
    }


def project_start_from_received(
    *, received: ReceivedAssessment, actor: User, request: HttpRequest | None = None
) -> Project:
    """Open a local project from a received assessment: its details and project-scope answers are
    copied; custodians of the same name here get a blank assessment, since the peer's sign-offs
    speak for the peer's custodians, not ours."""
    from ..models import FrameworkVersion, Organisation
    from ..permissions import coordinator_organisations
    from ..selectors.frameworks import framework_version_get
    from .answers import answers_replace
    from .projects import project_create

    snapshot = received.snapshot
    details = snapshot.get("project") or {}
    names = sorted({c.get("name") for c in snapshot.get("custodians") or [] if isinstance(c, dict)} - {None})
    custodians = list(Organisation.objects.filter(name__in=names))
    if not custodians:
        raise PriamError(
            f"None of its custodians ({', '.join(names) or 'none named'}) is an organisation here, "
            "so a local assessment cannot be started from it."
        )
    organisations = coordinator_organisations(actor)
    if not organisations:
        raise PriamError("Only a coordinator can open a project.")
    spec = (received.result or {}).get("framework") or {}
    version = FrameworkVersion.objects.filter(framework_id=spec.get("id"), version=spec.get("version")).first()
    if version is None:
        version = framework_version_get(spec.get("id") or None)
    with transaction.atomic():
        project = project_create(
            actor=actor,
            coordinating_organisation=organisations[0],
            custodians=custodians,
            framework_version=version,
            request=request,
            title=str(details.get("title", "")),
            summary=str(details.get("summary", "")),
            lead_researcher=str(details.get("lead_researcher", "")),
            lead_organisation=str(details.get("lead_organisation", "")),
            purpose=str(details.get("purpose", "")),
            public_benefit=str(details.get("public_benefit", "")),
            start_date=datetime.date.fromisoformat(details["start_date"]),
            end_date=datetime.date.fromisoformat(details["end_date"]),
        )
        answers = (received.document or {}).get("answers") or {}
        answers_replace(project=project, answers=answers, matches_etag=lambda etag: True, actor=actor, request=request)
        audit_record(
            action=AuditAction.PROJECT_CREATED_FROM_RECEIVED,
            actor=actor,
            obj=project,
            project=project,
            organisation=organisations[0],
            request=request,
            data={
                "received_assessment": received.pk,
                "peer": received.peer.name,
                "peer_url": received.peer.base_url,
                "record_number": received.record_number,
                "snapshot_sha256": received.snapshot_sha256,
                "custodians": sorted(org.name for org in custodians),
                "custodians_not_here": sorted(set(names) - {org.name for org in custodians}),
            },
        )
    return project
