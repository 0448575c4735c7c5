"""Framework loader: the real files load; every kind of bad file is rejected with a
one-line message naming the file, the rule/question id and the problem."""

from __future__ import annotations

import pytest
import yaml

from assessments.engine import FrameworkError, load_framework_dir, load_framework_texts


def write(tmp_path, texts):
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def mutate(texts, filename, fn):
    data = yaml.safe_load(texts[filename])
    fn(data)
    out = dict(texts)
    out[filename] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return out


def rule(data, rid):
    return next(r for r in data["rules"] if r["id"] == rid)


def question(data, qid):
    return next(q for q in data["questions"] if q["id"] == qid)


def load_bad(tmp_path, texts):
    with pytest.raises(FrameworkError) as info:
        load_framework_dir(write(tmp_path, texts))
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_real_framework_loads(fw):
    assert (fw.id, fw.version) == ("five-safes", "1")
    assert len(fw.questions) == 35 and len(fw.rules) == 44
    assert [q.id for q in fw.questions_for("custodian")] == [
        "PR3",
        "DA1",
        "DA2",
        "DA3",
        "DA4",
        "DA5",
        "DA6",
        "DA7",
        "DA8",
        "DA9",
    ]
    assert [q.id for q in fw.section("people")] == [f"PE{i}" for i in range(1, 8)]
    assert all(r.sentence for r in fw.rules)
    assert fw.question("DA7").required is False and fw.question("DA7").show_if
    assert fw.question("PE1").options[0] == ("accredited_safe_researcher", "accredited Safe Researcher")
    assert fw.question("SE6").option_values == ("no", "reviewed", "unrestricted")
    assert set(fw.sources) >= {"T1", "T2", "D2", "U1", "O1", "A1", "N1", "S1", "R1", "C1", "C2", "I1", "I2", "P1"}


def test_texts_and_dir_give_same_hash(fw, framework_texts):
    again = load_framework_texts(dict(reversed(list(framework_texts.items()))))
    assert again.sha256 == fw.sha256 and again.texts == fw.texts
    changed = dict(framework_texts)
    changed["rules.yaml"] += "\n# a comment\n"
    assert load_framework_texts(changed).sha256 != fw.sha256


def test_sha256_definition(fw, framework_texts):
    import hashlib

    h = hashlib.sha256()
    for name in sorted(framework_texts):
        h.update(name.encode() + b"\0" + framework_texts[name].encode() + b"\0")
    assert fw.sha256 == h.hexdigest()


def test_unknown_question(tmp_path, framework_texts):
    t = mutate(
        framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-01").update(when={"eq": ["DA99", "identifiable"]})
    )
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-01: unknown question "DA99"'


def test_unknown_option(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-12").update(when={"eq": ["DA9", "medium"]}))
    msg = load_bad(tmp_path, t)
    assert msg.startswith("rules.yaml: rule R-DA-12: ") and 'unknown option "medium"' in msg


def test_unknown_option_in_named_set(tmp_path, framework_texts):
    t = mutate(
        framework_texts,
        "rules.yaml",
        lambda d: rule(d, "R-DA-08").update(when={"count_in": {"question": "DA3", "set": "HIGH_QI", "at_least": 2}}),
    )
    msg = load_bad(tmp_path, t)
    assert msg.startswith("rules.yaml: rule R-DA-08: ") and "unknown option" in msg


@pytest.mark.parametrize(
    "when, needle",
    [
        ({"gt": ["PR6", "twelve"]}, "wrong value type"),
        ({"eq": ["PR6", True]}, "wrong value type"),
        ({"eq": ["DA5", "yes"]}, "wrong value type"),
        ({"contains": ["PE1", "none"]}, "contains needs a multi question"),
        ({"eq": ["DA3", "health"]}, "cannot be used on multi question DA3"),
        ({"lt": ["DA1", 3]}, "lt needs an int question"),
    ],
)
def test_wrong_type(tmp_path, framework_texts, when, needle):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-01").update(when=when))
    msg = load_bad(tmp_path, t)
    assert msg.startswith("rules.yaml: rule R-DA-01: ") and needle in msg


def test_unknown_operator(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-06").update(when={"equals": ["DA5", True]}))
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-06: unknown operator "equals"'


def test_unknown_effect(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-06").update(effects=["escalate"]))
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-06: unknown effect "escalate"'


def test_unknown_safe_in_effect(tmp_path, framework_texts):
    t = mutate(
        framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-06").update(effects=[{"raise": "dataz", "to": 4}])
    )
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-06: unknown safe "dataz"'


def test_duplicate_rule_id(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: d["rules"][1].update(id="R-DA-01"))
    assert load_bad(tmp_path, t) == "rules.yaml: rule R-DA-01: duplicate rule id"


def test_duplicate_question_id(tmp_path, framework_texts):
    t = mutate(framework_texts, "questions.yaml", lambda d: d["questions"][1].update(id="PE1"))
    assert load_bad(tmp_path, t) == "questions.yaml: question PE1: duplicate question id"


def test_tier_condition_in_phase_1(tmp_path, framework_texts):
    t = mutate(
        framework_texts,
        "rules.yaml",
        lambda d: rule(d, "R-DA-01").update(
            when={"all": [{"eq": ["DA1", "identifiable"]}, {"tier": {"safe": "data", "at_least": 2}}]}
        ),
    )
    msg = load_bad(tmp_path, t)
    assert msg == "rules.yaml: rule R-DA-01: tier conditions are only allowed in phase-3 rules"


def test_negated_tier_condition(tmp_path, framework_texts):
    t = mutate(
        framework_texts,
        "rules.yaml",
        lambda d: rule(d, "R-PE-04").update(when={"not": {"tier": {"safe": "overall", "at_least": 2}}}),
    )
    assert "may not be negated" in load_bad(tmp_path, t)


def test_bad_yaml(tmp_path, framework_texts):
    t = dict(framework_texts)
    t["rules.yaml"] = t["rules.yaml"] + "\n  - id: [unclosed\n"
    msg = load_bad(tmp_path, t)
    assert msg.startswith("rules.yaml: malformed YAML")


def test_missing_required_key(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-03").pop("justification"))
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-03: missing required key "justification"'
    t = mutate(framework_texts, "questions.yaml", lambda d: question(d, "DA2").pop("label"))
    assert load_bad(tmp_path, t) == 'questions.yaml: question DA2: missing required key "label"'


def test_unknown_source(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-03").update(sources=["T1", "Z9"]))
    assert load_bad(tmp_path, t) == 'rules.yaml: rule R-DA-03: unknown source "Z9"'


def test_custodian_question_in_project_rule(tmp_path, framework_texts):
    t = mutate(framework_texts, "rules.yaml", lambda d: rule(d, "R-PR-05").update(when={"eq": ["DA1", "identifiable"]}))
    msg = load_bad(tmp_path, t)
    assert msg.startswith("rules.yaml: rule R-PR-05: ") and "custodian-scope" in msg


def test_question_problems(tmp_path, framework_texts):
    t = mutate(framework_texts, "questions.yaml", lambda d: question(d, "PE1").update(unknown_as="nobody"))
    assert load_bad(tmp_path, t) == 'questions.yaml: question PE1: unknown_as: unknown option "nobody"'
    t = mutate(framework_texts, "questions.yaml", lambda d: question(d, "PE1").update(safe="peoplez"))
    assert load_bad(tmp_path, t) == 'questions.yaml: question PE1: unknown safe "peoplez"'
    t = mutate(
        framework_texts, "questions.yaml", lambda d: question(d, "DA7").update(show_if={"in": ["DA1", ["maybe"]]})
    )
    msg = load_bad(tmp_path, t)
    assert msg.startswith("questions.yaml: question DA7: show_if: ") and "maybe" in msg


def test_definition_problem(tmp_path, framework_texts):
    t = mutate(
        framework_texts, "framework.yaml", lambda d: d["definitions"]["linked"].update(when={"eq": ["PR7", "sideways"]})
    )
    msg = load_bad(tmp_path, t)
    assert msg.startswith("framework.yaml: definition linked: ") and "sideways" in msg


def test_missing_file_and_unexpected_file(framework_texts):
    t = dict(framework_texts)
    del t["questions.yaml"]
    with pytest.raises(FrameworkError, match=r"^questions\.yaml: missing file$"):
        load_framework_texts(t)
    t = dict(framework_texts, **{"extra.yaml": "a: 1"})
    with pytest.raises(FrameworkError, match=r"^extra\.yaml: unexpected file"):
        load_framework_texts(t)


def test_error_parts(tmp_path, framework_texts):
    t = mutate(
        framework_texts, "rules.yaml", lambda d: rule(d, "R-DA-01").update(when={"eq": ["DA99", "identifiable"]})
    )
    with pytest.raises(FrameworkError) as info:
        load_framework_texts(t)
    err = info.value
    assert (err.file, err.item, err.problem) == ("rules.yaml", "rule R-DA-01", 'unknown question "DA99"')
