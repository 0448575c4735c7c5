"""fill_unanswered: a v1 document under v2 gains DA10 at either end; the input never changes."""

import copy
import json
from pathlib import Path

from assessments.engine import fill_unanswered, load_framework_dir, unanswered, validate_document

ROOT = Path(__file__).resolve().parents[2]
V2 = load_framework_dir(ROOT / "fixtures" / "frameworks" / "five-safes" / "v2")
E2 = json.loads((ROOT / "fixtures" / "examples" / "E2.json").read_text())


def test_each_end_fills_only_what_is_missing_and_leaves_the_input_alone():
    document = copy.deepcopy(E2)
    document["custodians"][0]["criteria"] = {"id": "gp", "version": "1", "framework": "five-safes@2", "rules": []}
    before = copy.deepcopy(document)
    lowest, missing = fill_unanswered(V2, document, "lowest")
    worst, _ = fill_unanswered(V2, document, "worst")
    assert document == before
    assert [(m.custodian, m.question) for m in missing] == [(c["name"], "DA10") for c in E2["custodians"]]
    assert {c["answers"]["DA10"] for c in lowest["custodians"]} == {"opportunistic"}
    assert {c["answers"]["DA10"] for c in worst["custodians"]} == {"sophisticated"}
    assert validate_document(V2, lowest) == [] and validate_document(V2, worst) == []
    # What is not an answer is shared, not copied.
    assert lowest["custodians"][0]["criteria"] is document["custodians"][0]["criteria"]


def test_a_complete_document_is_returned_as_it_is():
    document = json.loads((ROOT / "fixtures" / "examples" / "v2" / "E2.json").read_text())
    assert unanswered(V2, document) == []
    assert fill_unanswered(V2, document, "worst") == (document, [])


def test_a_malformed_document_keeps_its_problems():
    document = {"answers": "nope", "custodians": ["not a custodian", {"name": "A", "answers": {}}]}
    filled, missing = fill_unanswered(V2, document, "lowest")
    assert filled["answers"] == "nope" and filled["custodians"][0] == "not a custodian"
    assert all(m.custodian == "A" for m in missing)
    assert any("must be an object" in str(p) for p in validate_document(V2, filled))
