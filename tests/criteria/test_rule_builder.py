"""The rule builder's check: one rule as JSON in, its sentence, YAML and problems (each naming the
rule) out, from the engine against the draft's framework version; criteria managers only, CSRF-checked."""

import json

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from assessments import engine
from assessments.models import Membership, Organisation
from assessments.services.criteria import criteria_draft_save
from assessments.views.criteria_builder import COMPARISONS

pytestmark = pytest.mark.django_db

GP = "test-gp-builder"
GP_01 = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP data access policy, section 3"}]
"""


@pytest.fixture
def gp(demo, framework_v1):
    return Organisation.objects.create(name="Test GP Builder", slug=GP)


@pytest.fixture
def manager(gp, django_user_model):
    user = django_user_model.objects.create_user("builder-manager")
    Membership.objects.create(user=user, organisation=gp, manages_criteria=True)
    return user


@pytest.fixture
def member(gp, django_user_model):
    user = django_user_model.objects.create_user("builder-member")
    Membership.objects.create(user=user, organisation=gp)
    return user


def _rule(**changes):
    rule = {
        "id": "GP-02",
        "phase": 1,
        "combine": "all",
        "clauses": [
            {"question": "DA1", "op": "eq", "value": "identifiable"},
            {"question": "DA8", "op": "ge", "value": 1000},
        ],
        "effect": {"raise": "data", "to": 3},
        "justification": "Identifiable records in number are high risk for us",
        "source": {"id": "GP-DAP-4", "title": "GP data access policy, section 4", "url": ""},
    }
    rule.update(changes)
    return rule


def _check(client, rule, slug=GP):
    return client.post(
        reverse("criteria_rule_check", args=[slug]), data=json.dumps(rule), content_type="application/json"
    )


def _problems(client, **changes):
    response = _check(client, _rule(**changes))
    assert response.status_code == 200
    return [p["text"] for p in response.json()["problems"]]


def test_a_valid_rule_comes_back_as_a_sentence_and_yaml_the_draft_accepts(login, gp, manager):
    client = login(manager)
    response = _check(client, _rule(draft=GP_01))
    assert response.status_code == 200
    answer = response.json()
    assert answer["problems"] == []
    assert answer["sentence"] == (
        "If Identifiability is identifiable and Number of individuals is at least 1000, "
        "this rule raises the data tier to at least 3 (High)."
    )
    assert yaml.safe_load(answer["yaml"]) == [
        {
            "id": "GP-02",
            "phase": 1,
            "when": {"all": [{"eq": ["DA1", "identifiable"]}, {"ge": ["DA8", 1000]}]},
            "effects": [{"raise": "data", "to": 3}],
            "justification": "Identifiable records in number are high risk for us",
            "sources": [{"id": "GP-DAP-4", "title": "GP data access policy, section 4"}],
        }
    ]
    # What "Add to draft" does: the YAML goes at the end of the draft, which saves without problems.
    _, problems = criteria_draft_save(organisation=gp, text=GP_01 + answer["yaml"], actor=manager)
    assert problems == []


def test_one_condition_any_combination_and_every_builder_effect(login, gp, manager):
    client = login(manager)
    for effect, words in [
        ({"gap": True}, "adds a condition to the approval"),
        ({"gap": "blocking"}, "adds a blocking condition"),
        ("refer", "refers the project to the approval panel"),
        ("block", "blocks approval"),
    ]:
        answer = _check(client, _rule(effect=effect, combine="any")).json()
        assert answer["problems"] == [], effect
        assert words in answer["sentence"] and " or " in answer["sentence"]
        assert yaml.safe_load(answer["yaml"])[0]["effects"] == [effect]
    single = _check(client, _rule(clauses=[{"question": "DA3", "op": "intersects", "value": ["genetic"]}])).json()
    assert yaml.safe_load(single["yaml"])[0]["when"] == {"intersects": ["DA3", ["genetic"]]}


def test_phase_3_reads_custodians_answers_across_them_and_can_test_tiers(login, gp, manager):
    answer = _check(
        login(manager),
        _rule(
            phase=3,
            clauses=[
                {"question": "DA5", "op": "eq", "value": True},
                {"question": "tier:data", "op": "ge", "value": 3},
                {"question": "PR5", "op": "eq", "value": False},
            ],
            effect={"gap": True},
        ),
    ).json()
    assert answer["problems"] == []
    assert yaml.safe_load(answer["yaml"])[0]["when"] == {
        "all": [
            {"any_custodian": {"eq": ["DA5", True]}},
            {"tier": {"safe": "data", "at_least": 3}},
            {"eq": ["PR5", False]},
        ]
    }
    assert "for at least one custodian" in answer["sentence"]
    assert "the data tier is at least 3" in answer["sentence"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"clauses": [{"question": "XX9", "op": "eq", "value": "a"}]}, 'rule GP-02: when: unknown question "XX9"'),
        ({"clauses": [{"question": "DA8", "op": "ge", "value": "lots"}]}, "wrong value type for DA8 (int)"),
        ({"clauses": [{"question": "DA5", "op": "eq", "value": "yes"}]}, "wrong value type for DA5 (bool)"),
        ({"clauses": [{"question": "DA1", "op": "eq", "value": "nonsense"}]}, 'unknown option "nonsense" for DA1'),
        ({"phase": 2}, "rule GP-02: phase 2 is not allowed in criteria"),
        ({"id": "R-DA-01"}, 'rule R-DA-01: id "R-DA-01" is the id of a framework rule'),
        ({"id": "GP-01", "draft": GP_01}, "rule GP-01: duplicate rule id (also rule #1)"),
        ({"effect": {"lower": "data", "to": 1}}, 'rule GP-02: effect "lower" could lower a tier'),
        ({"effect": {"raise": "data", "to": 9}}, "raise to must be an integer from 1 to"),
        ({"clauses": [{"question": "DA1", "op": "eq", "value": None}]}, "rule GP-02: condition 1: give a value"),
        ({"clauses": []}, "rule GP-02: add at least one condition"),
        ({"justification": ""}, "rule GP-02: missing justification"),
        ({"source": {"id": "S", "title": "T", "url": "ftp://x"}}, '"url" must be an http(s) address'),
        ({"id": ""}, '"id" must be a non-empty string'),
    ],
)
def test_each_kind_of_problem_is_named_with_the_rule(login, gp, manager, changes, expected):
    problems = _problems(login(manager), **changes)
    assert any(expected in p for p in problems), problems


def test_a_source_that_differs_from_the_drafts_source_of_the_same_id_is_named(login, gp, manager):
    source = {"id": "GP-DAP-3", "title": "Another title"}
    problems = _problems(login(manager), source=source, draft=GP_01)
    assert any('source "GP-DAP-3" differs' in p for p in problems), problems


def test_without_the_draft_in_the_request_the_saved_draft_is_checked_for_clashes(login, gp, manager):
    criteria_draft_save(organisation=gp, text=GP_01, actor=manager)
    assert any("duplicate rule id" in p for p in _problems(login(manager), id="GP-01"))


def test_an_unfinished_condition_is_named_once_and_still_no_sentence(login, gp, manager):
    answer = _check(login(manager), _rule(clauses=[{"question": "", "op": "", "value": None}])).json()
    texts = [p["text"] for p in answer["problems"]]
    assert "rule GP-02: condition 1: choose a question" in texts
    assert not any('missing "when"' in t for t in texts)
    assert answer["sentence"] == ""


def test_the_comparisons_offered_are_the_engines_operators_for_every_question_type():
    assert set(COMPARISONS) == set(engine.QUESTION_TYPES) | {"tier"}
    for comparisons in COMPARISONS.values():
        for comparison in comparisons:
            assert comparison["op"] in engine.OPERATOR_TABLE


@pytest.mark.parametrize("who", ["member", "genomics", "outsider", "auditor"])
def test_only_the_organisations_criteria_managers_reach_it(request, login, gp, manager, who):
    user = request.getfixturevalue(who)
    assert _check(login(user), _rule()).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_and_get_is_refused(client, login, gp, manager):
    response = _check(client, _rule())
    assert response.status_code == 302 and "/login" in response["Location"]
    assert login(manager).get(reverse("criteria_rule_check", args=[GP])).status_code == 405


def test_it_refuses_a_body_that_is_not_a_json_object(login, gp, manager):
    url = reverse("criteria_rule_check", args=[GP])
    client = login(manager)
    assert client.post(url, data="not json", content_type="application/json").status_code == 400
    assert client.post(url, data="[1]", content_type="application/json").status_code == 400
    deep = json.dumps(_rule(clauses=[{"question": "DA1", "op": "in", "value": [[["x"]]]}]))
    assert client.post(url, data=deep, content_type="application/json").status_code == 200
    too_deep = '{"clauses": ' + "[" * 3000 + "]" * 3000 + "}"
    assert client.post(url, data=too_deep, content_type="application/json").status_code == 400


def test_it_is_csrf_protected(gp, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    url = reverse("criteria_rule_check", args=[GP])
    body = json.dumps(_rule())
    assert client.post(url, data=body, content_type="application/json").status_code == 403
    client.get(reverse("criteria_edit", args=[GP]))  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = client.post(url, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_the_editor_carries_the_builder_hidden_until_its_script_runs(login, gp, manager):
    response = login(manager).get(reverse("criteria_edit", args=[GP]))
    html = response.content.decode()
    assert '<section id="rule-builder"' in html and " hidden" in html.split('<section id="rule-builder"')[1][:200]
    assert reverse("criteria_rule_check", args=[GP]) in html
    assert "js/rule_builder.js" in html
    catalogue = json.loads(html.split('id="rule-builder-catalogue" type="application/json">')[1].split("</script>")[0])
    assert {q["id"] for q in catalogue["questions"]} >= {"DA1", "DA8", "PR5"}
    assert catalogue["comparisons"] == COMPARISONS
    assert next(q for q in catalogue["questions"] if q["id"] == "DA5")["options"][0]["value"] in (True, False)
