"""Where custodians disagree: the risk profile sets each safe's tier under the framework alone
beside its tier under each custodian's criteria alone, marks the differences in words as well as
colour, and names the criteria rules behind each (custodian-criteria spec, section 1)."""

import copy
import json
import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Organisation, User
from assessments.risk_profile import criteria_comparison
from assessments.selectors.frameworks import engine_framework
from assessments.services.criteria import (
    appetite_draft_save,
    appetite_publish,
    criteria_draft_save,
    criteria_publish,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path("fixtures/examples/criteria")


@pytest.fixture
def manager(db):
    return User.objects.create_user("gp-manager")


def _assess_with_published_criteria(example, example_project, manager):
    """As in test_criteria_services: publish the example's inline criteria and appetites as its
    custodians', then assess it through the services."""
    document = json.loads((EXAMPLES / f"{example}.json").read_text())
    for custodian in document["custodians"]:
        organisation = Organisation.objects.create(
            name=custodian["name"], slug=custodian["name"].lower().replace(" ", "-")
        )
        if "criteria" in custodian:
            text = yaml.safe_dump(custodian["criteria"]["rules"])
            draft, problems = criteria_draft_save(organisation=organisation, text=text, actor=manager)
            assert problems == []
            criteria_publish(draft=draft, actor=manager)
        if "appetite" in custodian:
            draft, _ = appetite_draft_save(organisation=organisation, data=custodian["appetite"], actor=manager)
            appetite_publish(draft=draft, actor=manager)
    return example_project(f"criteria/{example}")


def _text(html):
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
    return re.sub(r" ([.,:;)”])", r"\1", text)


def _section(page):
    start = page.index('aria-labelledby="disagree-heading"')
    return page[start : page.index('aria-labelledby="tiers-heading"', start)]


def _row(section, row_id):
    match = re.search(rf'<tr data-row="{row_id}">(.*?)</tr>', section, re.S)
    assert match, row_id
    return match.group(1)


def _risk_page(client, project):
    client.force_login(User.objects.get(username="auditor"))
    response = client.get(f"/projects/{project.pk}/risk/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_gp_records_criteria_raise_data_beside_the_framework(example_project, manager, client):
    project = _assess_with_published_criteria("E2-DA8-1200000", example_project, manager)
    section = _section(_risk_page(client, project))
    assert '<th scope="col">GP records&#x27; criteria' in section

    data = _row(section, "data")
    assert _text(data) == "Data 3 High 4 Very high Differs from the framework alone (3 High)"
    assert 'class="criteria-differs" data-differs' in data
    # the difference is said in words, for whoever cannot see the tint
    assert '<strong class="marker-differs">Differs<span class="visually-hidden">' in data
    assert "Differs" in _text(_row(section, "overall"))
    assert _text(_row(section, "outcome")).startswith("Recommended outcome Approve Refer to the panel Differs")
    for safe in ("people", "projects", "settings", "outputs"):
        assert "data-differs" not in _row(section, safe), safe

    (rules,) = re.findall(
        r'<section [^>]*class="criteria-differences[^"]*" data-custodian="GP records">(.*?)</section>', section, re.S
    )
    data_item = re.search(r'<li data-row="data">(.*?)</ul>', rules, re.S).group(1)
    text = _text(data_item)
    assert text.startswith("Data: 3 High under the framework alone, 4 Very high under GP records' criteria")
    assert 'data-rule="GP-01"' in data_item
    assert "GP-01 – GP records' criteria: when" in text
    assert "Records of a million or more patients are very high risk for us" in text
    assert "GP records data access policy, section 3" in text
    outcome_item = _text(re.search(r'<li data-row="outcome">(.*?)</li>', rules, re.S).group(1))
    assert outcome_item == (
        "Recommended outcome: Approve under the framework alone, Refer to the panel under GP records' criteria, "
        "following the tiers above."
    )


def test_a_project_without_criteria_has_no_comparison(example_project, client):
    page = _risk_page(client, example_project("E2"))
    assert "disagree-heading" not in page and "criteria-compare" not in page


def test_the_comparison_costs_no_query(example_project, manager, client):
    with_criteria = _assess_with_published_criteria("E2-DA8-1200000", example_project, manager)
    without = example_project("E2")
    _risk_page(client, without)  # warm caches (framework build, session)
    counts = []
    for project in (without, with_criteria):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/projects/{project.pk}/risk/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_agreement_and_an_outcome_that_differs_without_a_tier(framework_v1):
    framework = engine_framework(framework_v1)
    document = json.loads((EXAMPLES / "E2-DA8-10000.json").read_text())
    assert (
        criteria_comparison(
            framework,
            {
                **document,
                "custodians": [{k: v for k, v in c.items() if k != "criteria"} for c in document["custodians"]],
            },
        )
        is None
    )

    # GP-01 does not fire at 10,000 patients: GP records' criteria agree with the framework
    out = criteria_comparison(framework, copy.deepcopy(document))
    (gp,) = out["custodians"]
    assert out["agree"] and gp["differences"] == []
    assert not any(cell["differs"] for row in out["rows"] for cell in row["cells"])

    # A criterion that only adds a condition changes the outcome, and says which rule did
    census = document["custodians"][2]
    census["criteria"] = {
        "id": "census",
        "version": "2",
        "rules": [
            {
                "id": "CE-01",
                "phase": 3,
                "when": {"tier": {"safe": "data", "at_least": 3}},
                "effects": [{"gap": True}],
                "justification": "Linked census data needs our sign-off",
                "sources": [{"id": "CE-POL", "title": "Census policy", "url": "https://example.org/ce"}],
            }
        ],
    }
    cited = {}
    out = criteria_comparison(framework, document, cited)
    gp, ce = out["custodians"]
    assert (ce["custodian"], ce["criteria"]["version"]) == ("Census and education", "2")
    (difference,) = ce["differences"]
    assert (difference["id"], difference["framework_text"], difference["criteria_text"]) == (
        "outcome",
        "Approve",
        "Approve with conditions",
    )
    assert [r["id"] for r in difference["rules"]] == ["CE-01"]
    assert cited["CE-POL"]["url"] == "https://example.org/ce"
    outcome = next(row for row in out["rows"] if row["id"] == "outcome")
    assert [cell["differs"] for cell in outcome["cells"]] == [False, True]
    assert not out["agree"]
