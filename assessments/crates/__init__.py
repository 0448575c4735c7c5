"""Five Safes RO-Crates: a decision record packed as a zip another TRE (or PRIAM) can read.

The names below are a contract with the crate import: change them only with it."""

from __future__ import annotations

import re

from ..errors import PriamError

METADATA = "ro-crate-metadata.json"
PDF = "decision-record.pdf"
SNAPSHOT = "decision-record.json"
ASSESSMENT = "assessment.json"
EVIDENCE_DIR = "evidence/"
MANIFEST = "manifest-sha512.txt"
BAGIT = "bagit.txt"
BAGIT_TEXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

RO_CRATE_VERSION = "1.2"
RO_CRATE_SPEC = f"https://w3id.org/ro/crate/{RO_CRATE_VERSION}"
FIVE_SAFES_PROFILE = "https://w3id.org/5s-crate/0.4"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CrateUnavailable(PriamError):
    """The record cannot be exported yet, or not truthfully (a PDF not yet signed, a document
    missing from storage)."""

    kind, title = "crate", "Crate not available"


def evidence_entry(item: dict) -> str:
    """The zip path of one document the snapshot lists: its hash first, so two documents with
    the same name never clash, then its name reduced to characters safe in any file system."""
    name = _UNSAFE.sub("_", item["name"]).lstrip("._")[:100] or "document"
    return f"{EVIDENCE_DIR}{item['sha256'][:16]}-{name}"
