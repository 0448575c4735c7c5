"""PRIAM rules engine: the Five Safes framework as data, evaluated in pure Python.

No Django imports anywhere in this package; dependencies: standard library + PyYAML.

Public API::

    load_framework_dir(path) -> Framework
    load_framework_texts(texts: dict[str, str]) -> Framework
    validate_document(framework, doc) -> list[Problem]   # criteria and appetites included
    evaluate(framework, doc, *, criteria=None, appetites=None) -> dict  # raises DocumentInvalid
    canonical_json(obj) -> str
    render_condition(framework, condition) -> str
    Framework.show_if_dependencies(question) -> ShowIfDependencies
    Framework.show_if_spec(question) -> dict        # what a browser needs for live show-if

Custodians' criteria and risk appetite (custodian-criteria spec)::

    compile_criteria(framework, dict_or_yaml_text) -> Criteria   # raises CriteriaInvalid
    criteria_problems(framework, dict_or_yaml_text) -> list[DefinitionProblem]
    cached_criteria(framework, dict) -> Criteria       # LRU keyed by the set's SHA-256
    compile_appetite(framework, dict) -> Appetite      # raises AppetiteInvalid
    appetite_problems(framework, dict) -> list[DefinitionProblem]
    DEFAULT_APPETITE                                   # {"routes": [], "otherwise": "panel"}
    route_for(appetite, tiers, outcome) -> RouteDecision   # .route, .step, .as_dict(framework)
    describe_appetite(framework, appetite) -> str
    evaluate_by_criteria(framework, doc, *, criteria=None, appetites=None) -> dict

A version's guide (guide/guide.yaml, outside its hash: phases in words, labels, glossary,
required controls)::

    load_guide(framework, yaml_text_or_dict) -> Guide   # raises FrameworkError naming the item
    load_guide_dir(framework, version_folder) -> Guide | None
    guide_sha256(dict) -> str
    controls_for(framework, guide, result, doc, *, level="overall") -> list  # per safe, in place?

A newer framework version's new questions, before anyone answers them::

    unanswered(framework, doc) -> list[Unanswered]     # required questions without an answer
    fill_unanswered(framework, doc, "lowest"|"worst") -> (doc, list[Unanswered])

What would change the result (re-evaluating less risky answers, one or two at a time)::

    counterfactuals(framework, doc, *, result=None, max_changes=2, criteria=None, appetites=None) -> dict
    apply_changes(doc, suggestion["changes"]) -> doc   # a copy with a suggestion made

``evaluate``'s ``criteria``/``appetites`` map custodian names to compiled objects (compile
once, evaluate many); a document's custodians may carry ``criteria`` and ``appetite`` inline.

Question types live in :mod:`.qtypes` (one class each), condition operators in
``OPERATOR_TABLE`` (one entry each, holding its compiled test and its sentence).
"""

from typing import Any

from .appetite import (
    DEFAULT_APPETITE,
    ROUTES,
    Appetite,
    RouteDecision,
    appetite_problems,
    cached_appetite,
    compile_appetite,
    describe_appetite,
    route_for,
    route_rank,
)
from .bounds import Unanswered, fill_unanswered, unanswered
from .canonical import canonical_json, texts_sha256
from .comparison import evaluate_by_criteria
from .conditions import OPERATOR_TABLE, OPERATORS, render
from .counterfactuals import apply_changes, counterfactuals
from .criteria import Criteria, cached_criteria, compile_criteria, criteria_problems
from .documents import effective_answers, validate_document
from .errors import AppetiteInvalid, CriteriaInvalid, DefinitionProblem, DocumentInvalid, FrameworkError, Problem
from .evaluation import answers_sha256, evaluate
from .framework import Framework, Question, Rule, ShowIfDependencies, load_framework_dir, load_framework_texts
from .guide import Guide, controls_for, guide_sha256, load_guide, load_guide_dir
from .qtypes import QUESTION_TYPES, QuestionType


def render_condition(framework: Framework, condition: Any) -> str:
    """A readable sentence for ``condition`` using the framework's question and option labels."""
    return render(framework, condition)


__all__ = [
    "Framework",
    "FrameworkError",
    "Problem",
    "DocumentInvalid",
    "Question",
    "Rule",
    "load_framework_dir",
    "load_framework_texts",
    "validate_document",
    "evaluate",
    "canonical_json",
    "render_condition",
    "answers_sha256",
    "effective_answers",
    "texts_sha256",
    "OPERATORS",
    "OPERATOR_TABLE",
    "QUESTION_TYPES",
    "QuestionType",
    "ShowIfDependencies",
    "Criteria",
    "CriteriaInvalid",
    "DefinitionProblem",
    "compile_criteria",
    "criteria_problems",
    "cached_criteria",
    "Appetite",
    "AppetiteInvalid",
    "RouteDecision",
    "ROUTES",
    "DEFAULT_APPETITE",
    "compile_appetite",
    "appetite_problems",
    "cached_appetite",
    "route_for",
    "route_rank",
    "describe_appetite",
    "evaluate_by_criteria",
    "Unanswered",
    "unanswered",
    "fill_unanswered",
    "Guide",
    "load_guide",
    "load_guide_dir",
    "guide_sha256",
    "controls_for",
    "counterfactuals",
    "apply_changes",
]
