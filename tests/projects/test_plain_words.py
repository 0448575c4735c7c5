"""No internal identifier where a person reads (issue 14 item 1): the risk profile and the
decision record PDF say sets, phases, outcomes and sources in words. Rule and question ids may
stay as small references (R-DA-02, DA1); named sets (HIGH_QI), snake_case values
(aggregate_only), phase numbers, spec section references and bare source codes may not."""

import re
import subprocess
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

FORBIDDEN = {
    "a named set or definition id": re.compile(r"\b[A-Z]{2,}_[A-Z_]+\b"),
    "a snake_case value": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a phase number": re.compile(r"\bphase \d\b", re.IGNORECASE),
    "a reference to the spec": re.compile(r"\bspec(ification)? (principle|section)\b", re.IGNORECASE),
}


def _visible_text(html):
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def _problems(text, framework_sources):
    found = [f"{what}: {m.group(0)!r}" for what, pattern in FORBIDDEN.items() for m in pattern.finditer(text)]
    # A source code is never shown alone: always with its title beside it.
    for code, source in framework_sources.items():
        for m in re.finditer(rf"\b{re.escape(code)}\b", text):
            if source["title"][:20] not in text[m.end() : m.end() + 200]:
                found.append(f"a bare source code: {code!r} near {text[max(0, m.start() - 40) : m.end() + 40]!r}")
    return found


@pytest.mark.parametrize("example", ["E1", "E2", "E4b"])
def test_the_risk_profile_reads_in_plain_words(example_project, auditor, client, example):
    from assessments.selectors.frameworks import engine_framework

    project = example_project(example)
    client.force_login(auditor)
    text = _visible_text(client.get(f"/projects/{project.pk}/risk/").content.decode())
    sources = engine_framework(project.framework_version).sources
    assert _problems(text, sources) == []


def test_the_decision_record_pdf_reads_in_plain_words(assessed_project, issue_record, tmp_path):
    from assessments.selectors.frameworks import engine_framework

    record = issue_record(assessed_project)
    path = tmp_path / "record.pdf"
    path.write_bytes(bytes(record.pdf.data))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", " ", text)
    # Hashes and the certificate fingerprint are the record's own references, not words.
    text = re.sub(r"\b[0-9a-f]{16,}\b", " ", text)
    # The fingerprint is printed in pairs ("3A D2 …"): a random pair can look like a source code.
    text = re.sub(r"\b(?:[0-9A-F]{2}[ :]){15,}[0-9A-F]{2}\b", " ", text)
    assert _problems(text, engine_framework(assessed_project.framework_version).sources) == []


def test_the_check_finds_each_kind_of_identifier():
    sources = {"T1": {"title": "Alan Turing Institute Data Safe Haven"}}
    found = _problems("in HIGH_QI; aggregate_only; Phase 3; spec principle 4; Sources: T1.", sources)
    assert len(found) == 5
    assert _problems("Sources: T1 (Alan Turing Institute Data Safe Haven, tiers)", sources) == []
