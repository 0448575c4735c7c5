"""ro-crate-metadata.json for a decision record: RO-Crate 1.2 with the Five Safes RO-Crate
profile's terms (https://w3id.org/5s-crate/0.4) where they fit.

Made only from the record's snapshot, like its PDF, so a record exports the same crate for
ever. People appear by name and affiliation, never by username: a login name identifies
nobody outside this instance (decision-record.json keeps the snapshot's usernames, because
it must stay byte for byte what was hashed at issue)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from rocrate.model import ContextEntity
from rocrate.rocrate import ROCrate

from .. import printed
from . import ASSESSMENT, EVIDENCE_DIR, FIVE_SAFES_PROFILE, MANIFEST, PDF, RO_CRATE_VERSION, SNAPSHOT, evidence_entry

SIGN_OFF = "https://w3id.org/shp#SignOff"  # the profile's Safe Haven Provenance term for a sign-off
COMPLETED = "http://schema.org/CompletedActionStatus"
FAILED = "http://schema.org/FailedActionStatus"
POTENTIAL = "http://schema.org/PotentialActionStatus"
LICENSE_ID = "#license"

# An assessment that did not pass is a failed check; one not decided yet is still potential.
_SIGN_OFF_STATUS = {"approved": COMPLETED, "approved_with_conditions": COMPLETED, "declined": FAILED}
_PANEL_STATUS = {"approve": COMPLETED, "approve_with_conditions": COMPLETED, "reject": FAILED}


def _ref(identifier: str) -> dict[str, str]:
    return {"@id": identifier}


def _text(condition: Any) -> str:
    return condition.get("text", "") if isinstance(condition, dict) else str(condition)


class _Graph:
    """Contextual entities keyed so that each person and organisation appears once."""

    def __init__(self, crate: ROCrate):
        self.crate = crate
        self.people: dict[tuple[str, str], str] = {}
        self.organisations: dict[str, str] = {}

    def add(self, identifier: str, properties: dict[str, Any]) -> dict[str, str]:
        self.crate.add(ContextEntity(self.crate, identifier, properties=properties))
        return _ref(identifier)

    def organisation(self, name: str, **properties: Any) -> dict[str, str]:
        if name not in self.organisations:
            identifier = f"#organisation-{len(self.organisations) + 1}"
            self.organisations[name] = identifier
            self.add(identifier, {"@type": "Organization", "name": name, **properties})
        return _ref(self.organisations[name])

    def person(self, person: Mapping[str, str], affiliation: str | None) -> dict[str, str]:
        key = (person["name"], affiliation or "")
        if key not in self.people:
            identifier = f"#person-{len(self.people) + 1}"
            self.people[key] = identifier
            properties: dict[str, Any] = {"@type": "Person", "name": person["name"]}
            if affiliation:
                properties["affiliation"] = self.organisation(affiliation)
            self.add(identifier, properties)
        return _ref(self.people[key])


def crate_metadata(snapshot: Mapping[str, Any], files: Mapping[str, bytes]) -> dict[str, Any]:
    """The metadata document for a record's snapshot and the crate's other files (path → bytes)."""
    crate = ROCrate(version=RO_CRATE_VERSION)
    graph = _Graph(crate)
    project, record = snapshot["project"], snapshot["record"]
    publisher = printed.public_url("/")
    root = crate.root_dataset
    root["name"] = f"{record['number']}: {project['title']}"
    root["description"] = project["summary"] or project["title"]
    root["identifier"] = record["number"]
    root["datePublished"] = record["issued_at"]
    root["conformsTo"] = _ref(FIVE_SAFES_PROFILE)
    root["license"] = _ref(LICENSE_ID)
    root["publisher"] = _ref(publisher)
    root["sourceOrganization"] = _ref("#project")
    root["url"] = printed.public_url(f"/records/{record['number']}/")

    graph.add(FIVE_SAFES_PROFILE, {"@type": "Profile", "name": "Five Safes RO-Crate profile", "version": "0.4"})
    name = printed.letterhead().name
    graph.add(publisher, {"@type": "Organization", "name": name, "url": publisher})
    graph.add(
        LICENSE_ID,
        {
            "@type": "CreativeWork",
            "name": "All rights reserved; shared for the purposes of TRE review",
            "description": (
                f"This decision record and its documents belong to {name} and the organisations named in it. "
                "They are not open data: they are shared only so that Trusted Research Environments can review "
                "the decision, and may not be published or reused for any other purpose."
            ),
        },
    )
    _project(graph, snapshot)
    _files(graph, snapshot, files)
    mentions = [_sign_off(graph, snapshot, i, s) for i, s in enumerate(snapshot.get("sign_offs") or [], start=1)]
    if snapshot.get("decision"):
        mentions.append(_panel_decision(graph, snapshot))
    if mentions:
        root["mentions"] = mentions
    return crate.metadata.generate()


def crate_metadata_bytes(snapshot: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes:
    return (json.dumps(crate_metadata(snapshot, files), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _project(graph: _Graph, snapshot: Mapping[str, Any]) -> None:
    project = snapshot["project"]
    coordinating = graph.organisation(project["coordinating_organisation"])
    custodians = [graph.organisation(c["name"]) for c in snapshot.get("custodians", [])]
    graph.add(
        "#project-identifier",
        {"@type": "PropertyValue", "name": printed.public_url("/"), "value": str(project["id"])},
    )
    properties: dict[str, Any] = {
        "@type": "Project",
        "name": project["title"],
        "description": project["purpose"],
        "identifier": _ref("#project-identifier"),
        "parentOrganization": coordinating,
        # The coordinating TRE is often a custodian too: each organisation once.
        "member": [_ref(i) for i in dict.fromkeys(m["@id"] for m in [coordinating, *custodians])],
        "startDate": project["start_date"],
        "endDate": project["end_date"],
    }
    if project.get("coordinator"):
        properties["contactPoint"] = graph.person(project["coordinator"], project["coordinating_organisation"])
    graph.add("#project", properties)


def _files(graph: _Graph, snapshot: Mapping[str, Any], files: Mapping[str, bytes]) -> None:
    number = snapshot["record"]["number"]
    described = {
        PDF: ("application/pdf", f"Decision record {number}, signed", "The signed PDF, as issued."),
        SNAPSHOT: (
            "application/json",
            f"Decision record {number}: its snapshot",
            "The record's immutable content as canonical JSON; its SHA-256 is the one printed in the record.",
        ),
        ASSESSMENT: (
            "application/json",
            f"Assessment behind {number}",
            "The assessment document and its evaluation result in PRIAM's exchange format.",
        ),
    }
    evidence = {evidence_entry(item): item for item in snapshot.get("evidence") or []}
    for path in sorted(files):
        data = files[path]
        if path in described:
            encoding, name, description = described[path]
        elif path.startswith(EVIDENCE_DIR) and path in evidence:
            item = evidence[path]
            encoding, name, description = item["content_type"], item["name"], _attached(item["attached_to"])
        else:
            encoding, name, description = "text/plain", path, "BagIt declaration."
        graph.crate.add_file(
            dest_path=path,
            properties={
                "name": name,
                "description": description,
                "encodingFormat": encoding,
                "contentSize": str(len(data)),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
    # Listed without size or hash: the manifest covers this metadata, so neither can name the other's.
    graph.crate.add_file(
        dest_path=MANIFEST,
        properties={
            "name": "SHA-512 manifest",
            "description": "BagIt-style payload manifest: the SHA-512 of every other file in this crate.",
            "encodingFormat": "text/plain",
        },
    )


def _attached(attached: Mapping[str, Any]) -> str:
    if "obligation" in attached:
        return f"Evidence for obligation {attached['obligation']}: {attached.get('text', '')}"
    whose = f" ({attached['custodian']})" if attached.get("custodian") else ""
    return f"Evidence for question {attached.get('question', '')}{whose}: {attached.get('text', '')}".rstrip(": ")


def _assessed() -> list[dict[str, str]]:
    return [_ref("./"), _ref("#project"), _ref(ASSESSMENT)]


def _conditions(graph: _Graph, prefix: str, conditions: list[Any]) -> list[dict[str, str]]:
    return [
        graph.add(f"{prefix}-condition-{i}", {"@type": "CreativeWork", "name": f"Condition {i}", "text": _text(c)})
        for i, c in enumerate(conditions, start=1)
    ]


def _sign_off(graph: _Graph, snapshot: Mapping[str, Any], index: int, sign_off: Mapping[str, Any]) -> dict[str, str]:
    identifier = f"#sign-off-{index}"
    custodian = sign_off["custodian"]
    panel = snapshot["review"]["panel"] if sign_off.get("by_panel") and snapshot.get("review") else None
    if sign_off.get("signed_by"):
        # The panel's chair signs for every custodian the panel decided for, as a panel member.
        agent = graph.person(sign_off["signed_by"], panel or custodian)
    elif panel:
        agent = graph.organisation(panel)
    else:
        # Automatic routes are decided by the custodian's published risk appetite, on its behalf.
        agent = graph.organisation(custodian)
    result: dict[str, Any] = {
        "@type": "CreativeWork",
        "name": f"{sign_off['status_label']} ({sign_off['route_label']})",
        "description": sign_off.get("reason") or sign_off.get("why") or sign_off["status_label"],
        "additionalProperty": [
            graph.add(f"{identifier}-route", {"@type": "PropertyValue", "name": "route", "value": sign_off["route"]}),
            graph.add(
                f"{identifier}-status", {"@type": "PropertyValue", "name": "status", "value": sign_off["status"]}
            ),
        ],
    }
    conditions = _conditions(graph, identifier, sign_off.get("conditions") or [])
    if conditions:
        result["hasPart"] = conditions
    properties: dict[str, Any] = {
        "@type": "AssessAction",
        "additionalType": _ref(SIGN_OFF),
        "name": f"Sign-off by {custodian}: {sign_off['status_label']}",
        "agent": agent,
        "object": _assessed(),
        "result": graph.add(f"{identifier}-result", result),
        "actionStatus": _ref(_SIGN_OFF_STATUS.get(sign_off["status"], POTENTIAL)),
    }
    if sign_off.get("signed_at"):
        properties["endTime"] = sign_off["signed_at"]
    return graph.add(identifier, properties)


def _panel_decision(graph: _Graph, snapshot: Mapping[str, Any]) -> dict[str, str]:
    decision, panel = snapshot["decision"], snapshot["review"]["panel"]
    graph.organisation(panel)
    result: dict[str, Any] = {
        "@type": "CreativeWork",
        "name": decision["outcome_label"],
        "description": decision.get("rationale") or decision["outcome_label"],
        "additionalProperty": graph.add(
            "#panel-decision-outcome", {"@type": "PropertyValue", "name": "outcome", "value": decision["outcome"]}
        ),
    }
    conditions = _conditions(graph, "#panel-decision", decision.get("conditions") or [])
    if conditions:
        result["hasPart"] = conditions
    if decision.get("dissent"):
        result["abstract"] = f"Dissent: {decision['dissent']}"
    properties: dict[str, Any] = {
        "@type": "AssessAction",
        "additionalType": _ref(SIGN_OFF),
        "name": f"Decision of the {panel}: {decision['outcome_label']}",
        "agent": graph.person(decision["decided_by"], panel)
        if decision.get("decided_by")
        else graph.organisation(panel),
        "object": _assessed(),
        "result": graph.add("#panel-decision-result", result),
        "actionStatus": _ref(_PANEL_STATUS.get(decision["outcome"], POTENTIAL)),
        "endTime": decision["decided_at"],
    }
    return graph.add("#panel-decision", properties)
