"""PRIAM rules engine: the Five Safes framework as data, evaluated in pure Python.

No Django imports anywhere in this package; dependencies: standard library + PyYAML.

Public API::

    load_framework_dir(path) -> Framework
    load_framework_texts(texts: dict[str, str]) -> Framework
    validate_document(framework, doc) -> list[Problem]
    evaluate(framework, doc) -> dict           # raises DocumentInvalid
    canonical_json(obj) -> str
    render_condition(framework, condition) -> str
    Framework.show_if_dependencies(question) -> ShowIfDependencies
    Framework.show_if_spec(question) -> dict        # what a browser needs for live show-if

Question types live in :mod:`.qtypes` (one class each), condition operators in
``OPERATOR_TABLE`` (one entry each, holding its compiled test and its sentence).
"""

from typing import Any

from .canonical import canonical_json, texts_sha256
from .conditions import OPERATOR_TABLE, OPERATORS, render
from .documents import effective_answers, validate_document
from .errors import DocumentInvalid, FrameworkError, Problem
from .evaluation import answers_sha256, evaluate
from .framework import (Framework, Question, Rule, ShowIfDependencies, load_framework_dir,
                        load_framework_texts)
from .qtypes import QUESTION_TYPES, QuestionType


def render_condition(framework: Framework, condition: Any) -> str:
    """A readable sentence for ``condition`` using the framework's question and option labels."""
    return render(framework, condition)


__all__ = [
    "Framework", "FrameworkError", "Problem", "DocumentInvalid", "Question", "Rule",
    "load_framework_dir", "load_framework_texts", "validate_document", "evaluate",
    "canonical_json", "render_condition", "answers_sha256", "effective_answers", "texts_sha256",
    "OPERATORS", "OPERATOR_TABLE", "QUESTION_TYPES", "QuestionType", "ShowIfDependencies",
]
