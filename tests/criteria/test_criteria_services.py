"""Custodians' criteria and appetites: drafts keep what was written, publishing is checked, audited
and final, and a project is evaluated with every participating custodian's published versions."""

import json
from pathlib import Path

import pytest
import yaml

from assessments.engine.criteria import criteria_sha256
from assessments.errors import DefinitionInvalid
from assessments.models import AuditEvent, Organisation, User
from assessments.services.criteria import (
    appetite_draft_save,
    appetite_publish,
    criteria_draft_save,
    criteria_publish,
)

EXAMPLES = Path("fixtures/examples/criteria")

GP_01 = """
- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP records data access policy, section 3"}]
"""


@pytest.fixture
def gp(framework_v1):
    return Organisation.objects.create(name="GP records", slug="gp-records")


@pytest.fixture
def manager(db):
    return User.objects.create_user("gp-manager")


def test_an_invalid_draft_is_kept_as_written_and_cannot_be_published(gp, manager):
    text = GP_01.replace("DA8", "DA99") + GP_01.replace("GP-01", "GP-02").replace("phase: 1", "phase: 2")
    draft, problems = criteria_draft_save(organisation=gp, text=text, actor=manager)
    assert draft.text == text and draft.data is None
    saved = AuditEvent.objects.get(action="criteria.draft_saved")
    assert saved.data["valid"] is False and saved.organisation_id == gp.pk
    messages = [str(p) for p in problems]
    assert any("GP-01" in m and "DA99" in m for m in messages), messages
    assert any("GP-02" in m and "phase 2" in m for m in messages), messages
    with pytest.raises(DefinitionInvalid) as refused:
        criteria_publish(draft=draft, actor=manager)
    assert refused.value.errors() and all(e["item"] for e in refused.value.errors())
    draft.refresh_from_db()
    assert draft.is_draft and draft.number is None
    assert not AuditEvent.objects.filter(action="criteria.published").exists()


def test_a_rule_that_would_lower_a_tier_or_reuse_a_framework_id_is_refused(gp, manager):
    text = GP_01.replace("GP-01", "R-DA-02").replace("{raise: data, to: 4}", "{lower: data, to: 1}")
    _, problems = criteria_draft_save(organisation=gp, text=text, actor=manager)
    messages = " ".join(str(p) for p in problems)
    assert "R-DA-02" in messages and "stricter" in messages


def test_publishing_numbers_hashes_audits_and_freezes_the_version(gp, manager):
    draft, problems = criteria_draft_save(organisation=gp, text=GP_01, actor=manager, note="First set")
    assert problems == []
    published = criteria_publish(draft=draft, actor=manager)
    assert (published.number, published.status) == (1, "published")
    assert published.data["version"] == "1" and published.data["id"] == "gp-records"
    assert published.sha256 == criteria_sha256(published.data)
    event = AuditEvent.objects.get(action="criteria.published")
    assert event.data["sha256"] == published.sha256 and event.data["rules"] == ["GP-01"]
    assert event.organisation_id == gp.pk and event.actor_id == manager.pk
    published.text = "- changed"
    with pytest.raises(PermissionError):
        published.save()
    # The next draft starts afresh and publishes as version 2; version 1 stays readable.
    second, _ = criteria_draft_save(organisation=gp, text=GP_01.replace("1000000", "500000"), actor=manager)
    assert second.pk != published.pk
    assert criteria_publish(draft=second, actor=manager).number == 2
    published.refresh_from_db()
    assert published.text == GP_01


def test_an_appetite_publishes_with_its_sha256_and_refuses_less_scrutiny_for_more_risk(gp, manager):
    bad = {"routes": [{"up_to": 1, "route": "panel"}, {"up_to": 2, "route": "automatic"}], "otherwise": "decline"}
    draft, problems = appetite_draft_save(organisation=gp, data=bad, actor=manager)
    assert problems
    assert AuditEvent.objects.get(action="appetite.draft_saved").data["appetite"] == bad
    with pytest.raises(DefinitionInvalid):
        appetite_publish(draft=draft, actor=manager)
    good = {"routes": [{"up_to": 1, "route": "automatic"}], "otherwise": "panel", "safe_limits": {"data": 3}}
    draft, problems = appetite_draft_save(organisation=gp, data=good, actor=manager)
    assert problems == []
    published = appetite_publish(draft=draft, actor=manager)
    assert published.number == 1 and len(published.sha256) == 64
    assert AuditEvent.objects.get(action="appetite.published").data["sha256"] == published.sha256


def _assess_with_published_criteria(example, example_project, manager):
    """Publish the example's inline criteria and appetites as its custodians', then assess it."""
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


@pytest.mark.parametrize("example", ["E2-DA8-1200000", "E2-DA8-10000"])
def test_the_worked_example_through_the_services(example, example_project, manager):
    """Spec custodian-criteria section 5: published criteria and appetites change the routes."""
    expected = json.loads((EXAMPLES / f"{example}.expected.json").read_text())
    project = _assess_with_published_criteria(example, example_project, manager)
    result = project.evaluations.get().result
    for key in ("tiers", "overall", "outcome", "fired", "routes"):
        assert result[key] == expected[key], key
    assert [(c["custodian"], c["version"]) for c in result["criteria"]] == [("GP records", "1")]


def test_the_risk_profile_shows_each_custodians_route_and_whose_criteria_raised_a_tier(
    example_project, manager, client
):
    project = _assess_with_published_criteria("E2-DA8-1200000", example_project, manager)
    client.force_login(User.objects.get(username="auditor"))
    page = client.get(f"/projects/{project.pk}/risk/").content.decode()
    assert 'data-custodian="GP records" data-route="decline"' in page
    assert 'data-custodian="Met and pollution grid" data-route="panel"' in page
    assert "no risk appetite stated" in page  # Census and education
    assert "GP records&#x27; own criteria (v1)" in page
    assert "GP records data access policy, section 3" in page  # the custodian's own source
