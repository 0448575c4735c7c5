"""What would change the result (issue 14 item 3) on the risk profile's data: the engine's
counterfactuals as sentences and in the API, checked on the worked example E2 against the spec."""

import json
from pathlib import Path

import pytest

from assessments.counterfactual_text import approvable_sentences, safe_sentences
from assessments.engine import load_framework_dir
from assessments.engine.counterfactuals import counterfactuals
from tests.api.test_api import api

ROOT = Path(__file__).resolve().parents[2]
V1 = load_framework_dir(ROOT / "fixtures/frameworks/five-safes/v1")
V2 = load_framework_dir(ROOT / "fixtures/frameworks/five-safes/v2")


def test_e2_reads_as_which_answer_would_lower_which_safe():
    document = json.loads((ROOT / "fixtures/examples/E2.json").read_text())
    rows = {r["safe"]: r for r in safe_sentences(counterfactuals(V1, document))}
    # Data 3 comes from GP records' pseudonymised health records (R-DA-02); aggregate tables
    # instead leave Census's pseudonymised records at 2 (R-DA-03).
    assert rows["data"]["sentences"] == [
        "If GP records answered “aggregate only” instead of “pseudonymised” to identifiability, "
        "Data would fall from tier 3 to 2 (overall tier 2, approve)."
    ]
    assert rows["outputs"]["sentences"] == [
        "If the project answered “not expected” instead of “expected” to small-area or rare-outcome "
        "outputs, Outputs would fall from tier 2 to 0 (overall tier 3, approve)."
    ]
    assert approvable_sentences(counterfactuals(V1, document)) == []


def test_a_not_approvable_project_says_what_would_make_it_approvable():
    document = json.loads((ROOT / "fixtures/examples/v2/E4-sophisticated.json").read_text())
    sentences = approvable_sentences(counterfactuals(V2, document))
    # Consequence "low" removes both R-DA-11 and R-DA-14, so data falls to 2 and the licensed
    # download is no longer a blocking gap (R-SE-01 needs tier 3).
    assert (
        "If Survey archive answered “low” instead of “high” to consequence of disclosure, the outcome "
        "would be “approve” (overall tier 2)."
    ) in sentences


@pytest.mark.django_db
def test_the_api_returns_the_counterfactuals_the_page_shows(example_project, auditor, client):
    project = example_project("E2")
    client.force_login(auditor)
    html = client.get(f"/projects/{project.pk}/risk/").content.decode()
    assert "Data would fall from tier 3 to 2" in html
    body = api("coordinator").get(f"/api/v1/projects/{project.pk}/risk-profile/").json()
    suggestion = body["what_would_change"]["safes"][0]["suggestions"][0]
    assert (suggestion["changes"][0]["question"], suggestion["new_tier"]) == ("DA1", 2)
