"""The rule builder beside the criteria draft: common rule shapes built in the browser, checked here.

The builder sends one rule as JSON; the engine checks it as a one-rule criteria set against the
draft's framework version, then once more appended to the draft as typed, so an id or source that
clashes with the draft's is named too. The answer is the rule's sentence, its YAML (what "Add to
draft" appends) and the problems, each naming the rule. The advanced editor stays the full language.
"""

import json

import yaml
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .. import engine
from ..api.parsers import TOO_DEEP, json_depth_exceeds
from ..engine.errors import ConditionError
from ..selectors.criteria import criteria_draft
from ..selectors.frameworks import engine_framework, framework_default
from .criteria import effect_words, managed_organisation_for

# The comparisons the builder offers for each question type, by the engine's operator names
# (a test checks each is in engine.OPERATOR_TABLE). `value` is the input the comparison takes:
# one option, several options, or an integer.
COMPARISONS = {
    "enum": [
        {"op": "eq", "label": "is", "value": "one"},
        {"op": "ne", "label": "is not", "value": "one"},
        {"op": "in", "label": "is one of", "value": "many"},
        {"op": "not_in", "label": "is none of", "value": "many"},
    ],
    "bool": [
        {"op": "eq", "label": "is", "value": "one"},
        {"op": "ne", "label": "is not", "value": "one"},
    ],
    "multi": [
        {"op": "contains", "label": "includes", "value": "one"},
        {"op": "intersects", "label": "includes any of", "value": "many"},
        {"op": "any_except", "label": "includes something other than", "value": "many"},
    ],
    "int": [
        {"op": "ge", "label": "≥ (at least)", "value": "number"},
        {"op": "le", "label": "≤ (at most)", "value": "number"},
        {"op": "gt", "label": "> (more than)", "value": "number"},
        {"op": "lt", "label": "< (less than)", "value": "number"},
        {"op": "eq", "label": "= (equals)", "value": "number"},
        {"op": "ne", "label": "≠ (differs from)", "value": "number"},
    ],
    # A safe's current tier, in phase 3 only: the engine's tier conditions are "at least" only.
    "tier": [{"op": "ge", "label": "is at least", "value": "tier"}],
}
TIER_PREFIX = "tier:"
_BINARY = {c["op"] for comparisons in COMPARISONS.values() for c in comparisons}


def builder_framework_version(organisation):
    """The framework version the builder's rules are checked against: the draft's, else the default."""
    draft = criteria_draft(organisation)
    return draft.framework_version if draft is not None else framework_default()


def builder_catalogue(organisation):
    """What the builder's script needs, for the page's JSON data island."""
    version = builder_framework_version(organisation)
    framework = engine_framework(version)
    return {
        "framework": version.spec,
        "questions": [
            {
                "id": q.id,
                "label": q.label,
                "text": q.text,
                "type": q.type,
                "scope": q.scope,
                "options": [{"value": v, "label": label} for v, label in q.options] if q.type != "int" else [],
                "min": q.min if q.type == "int" else None,
                "max": q.max if q.type == "int" else None,
            }
            for q in framework.questions
        ],
        "safes": [{"id": s, "label": framework.safe_labels[s]} for s in framework.safes],
        "tiers": [{"level": t["level"], "name": t["name"]} for t in framework.tiers],
        "comparisons": COMPARISONS,
    }


@login_required
@require_POST
def criteria_rule_check(request, slug):
    organisation = managed_organisation_for(request.user, slug)
    try:
        built = json.loads(request.body)
    except RecursionError:
        return JsonResponse({"error": TOO_DEEP}, status=400)
    except (UnicodeDecodeError, ValueError):
        built = None
    if json_depth_exceeds(built):
        return JsonResponse({"error": TOO_DEEP}, status=400)
    if not isinstance(built, dict):
        return JsonResponse({"error": "Send the rule as a JSON object."}, status=400)
    framework = engine_framework(builder_framework_version(organisation))
    draft_text = built.get("draft")
    if not isinstance(draft_text, str):
        draft = criteria_draft(organisation)
        draft_text = draft.text if draft is not None else ""
    return JsonResponse(rule_check(framework, organisation.slug, built, draft_text))


def rule_check(framework, set_id, built, draft_text):
    """{sentence, yaml, problems} for a rule from the builder."""
    rule, problems = built_rule(framework, built)
    item = _item(rule.get("id"))
    checked = engine.criteria_problems(framework, {"id": set_id, "version": "builder", "rules": [rule]})
    # An unfinished condition is already named; the engine's missing "when" would say it again.
    problems += [p for p in checked if not (problems and p.message == 'missing "when"')]
    if not problems:
        problems += _clashes_with_draft(framework, set_id, rule, draft_text, item)
    return {
        "sentence": sentence(framework, rule),
        "yaml": rule_yaml(rule),
        "problems": [p.as_dict() for p in problems],
    }


def built_rule(framework, built):
    """The rule in the criteria format, and the builder's own problems (incomplete conditions).
    Everything else is left as sent, for the engine to judge."""
    rule_id = built.get("id")
    item = _item(rule_id)
    problems = []
    clauses = built.get("clauses")
    if not isinstance(clauses, list) or not clauses:
        clauses = []
        problems.append(engine.DefinitionProblem(item, 0, "add at least one condition"))
    phase = built.get("phase")
    conditions = []
    for n, clause in enumerate(clauses, 1):
        condition, missing = _condition(framework, clause, phase)
        if missing:
            problems.append(engine.DefinitionProblem(item, 0, f"condition {n}: {missing}"))
        else:
            conditions.append(condition)
    rule = {"id": rule_id, "phase": phase}
    combine = built.get("combine", "all")
    if len(conditions) == 1:
        rule["when"] = conditions[0]
    elif conditions:
        rule["when"] = {"any" if combine == "any" else "all": conditions}
    effect = built.get("effect")
    if effect is not None:
        rule["effects"] = [effect]
    rule["justification"] = built.get("justification")
    source = built.get("source")
    if isinstance(source, dict):
        # An empty address means none: the engine refuses "" where it accepts no url at all.
        source = {k: v for k, v in source.items() if not (k == "url" and v in ("", None))}
    rule["sources"] = [source]
    return rule, problems


def _condition(framework, clause, phase):
    """(condition, None), or (None, what is missing) for a clause the author has not finished."""
    if not isinstance(clause, dict):
        return None, "choose a question, a comparison and a value"
    question, op, value = clause.get("question"), clause.get("op"), clause.get("value")
    if not question:
        return None, "choose a question"
    if op not in _BINARY:
        return None, "choose a comparison"
    if value is None or value == "" or value == []:
        return None, "give a value"
    if isinstance(question, str) and question.startswith(TIER_PREFIX):
        return {"tier": {"safe": question[len(TIER_PREFIX) :], "at_least": value}}, None
    condition = {op: [question, value]}
    q = framework.questions_by_id.get(question) if isinstance(question, str) else None
    if phase == 3 and q is not None and q.scope == "custodian":
        # A project-level rule sees custodians' answers only across them; the builder's one way.
        condition = {"any_custodian": condition}
    return condition, None


def _clashes_with_draft(framework, set_id, rule, draft_text, item):
    """The problems of the rule appended to the draft as typed: an id or source id it shares."""
    try:
        existing = yaml.safe_load(draft_text) if draft_text.strip() else []
    except (yaml.YAMLError, RecursionError):
        return []  # the editor names the draft's own YAML error when it is saved
    if existing is None:
        existing = []
    if not isinstance(existing, list):
        return [
            engine.DefinitionProblem(
                item, 0, "the draft is not a plain list of rules, so it cannot be added at its end: copy its YAML in"
            )
        ]
    index = len(existing)
    problems = engine.criteria_problems(framework, {"id": set_id, "version": "builder", "rules": [*existing, rule]})
    return [engine.DefinitionProblem(item, 0, p.message) for p in problems if p.index == index]


def _item(rule_id):
    return f"rule {rule_id}" if isinstance(rule_id, str) and rule_id.strip() else "the new rule"


def sentence(framework, rule):
    """The rule in words, as far as it is built: its condition (once it compiles) and its effect."""
    when = rule.get("when")
    if when is None or isinstance(rule.get("phase"), bool) or rule.get("phase") not in (1, 3):
        return ""
    context = "custodian" if rule["phase"] == 1 else "project"
    try:
        framework.condition_compiler().compile(when, context, allow_tier=rule["phase"] == 3)
    except ConditionError:
        return ""
    words = [_effect_words(framework, e) for e in rule.get("effects", [])]
    words = [w for w in words if w]
    text = f"If {engine.render_condition(framework, when)}"
    return f"{text}, this rule {' and '.join(words)}." if words else f"{text}, …"


def _effect_words(framework, effect):
    if effect in ("gap", "refer", "block"):
        effect = {effect: True}
    if not isinstance(effect, dict):
        return None
    if "raise" in effect:
        to = effect.get("to")
        valid = effect["raise"] in framework.safes and isinstance(to, int) and 1 <= to <= framework.max_tier
        return effect_words(effect, framework) if valid else None
    if effect in ({"gap": True}, {"gap": "blocking"}, {"refer": True}, {"block": True}):
        return effect_words(effect, framework)
    return None


class _Flow(dict):
    pass


class _FlowList(list):
    pass


class _RuleDumper(yaml.SafeDumper):
    """A rule's keys one a line, each value on its line in flow style, as the editor's example."""


_RuleDumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_RuleDumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def rule_yaml(rule):
    """The rule as one item of the draft's YAML list."""
    flowing = {k: _flow(v) for k, v in rule.items()}
    return yaml.dump([flowing], Dumper=_RuleDumper, sort_keys=False, allow_unicode=True, width=10_000)


def _flow(value):
    if isinstance(value, dict):
        return _Flow({k: _flow(v) for k, v in value.items()})
    if isinstance(value, list):
        return _FlowList(_flow(v) for v in value)
    return value
