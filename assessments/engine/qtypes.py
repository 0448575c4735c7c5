"""Question types: everything the engine does differently for enum, bool, multi and int.

Each type is one class: how its keys load from questions.yaml, how a raw answer is
checked and made effective, which values a condition may compare it with and how,
how an equality reads as a sentence, and which answer is already the least risky.
A question holds its type object as ``question.kind``; ``question.type`` stays the name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .canonical import short_json
from .errors import ConditionError, framework_error

if TYPE_CHECKING:
    from .conditions import Test
    from .framework import Question

__all__ = ["QuestionType", "EnumType", "BoolType", "MultiType", "IntType", "QUESTION_TYPES", "Checker"]

# raw answer -> (problem message or None, effective value, whether it was "unknown")
Checker = Callable[[Any], "tuple[str | None, Any, bool]"]

_FILE = "questions.yaml"


class QuestionType:
    """The behaviour shared by every type; subclasses override what differs."""

    name = ""
    has_unknown = True

    # ------------------------------------------------------------------ loading
    def load(self, q: Question, raw: dict[str, Any], item: str) -> None:
        """Set the type-specific attributes of ``q`` from its questions.yaml entry."""
        raise NotImplementedError

    # ------------------------------------------------------------------ answers
    def make_checker(self, q: Question) -> Checker:
        """A function ``raw -> (message|None, effective value, was_unknown)`` for ``q``."""
        raise NotImplementedError

    def is_lowest_risk(self, q: Question, answer: Any) -> bool:
        """Whether an answer (as given) is already the question's least risky one."""
        if answer is None or answer == "unknown":
            return False
        return bool(answer == q.option_values[0])  # options are listed lowest risk first

    def worst_answer(self, q: Question) -> Any:
        """What ``unknown`` is assessed as, in the exchange format."""
        return q.unknown_as

    def lowest_answer(self, q: Question) -> Any:
        """The least risky answer, or None when the type has no floor to name."""
        return q.option_values[0] if q.option_values else None

    # ------------------------------------------------------------------ conditions
    def check_condition_value(self, q: Question, value: Any, op: str) -> None:
        """Refuse a value that an eq/ne/in/not_in condition cannot compare ``q`` with."""
        raise NotImplementedError

    def equals(self, qid: str, value: Any) -> Test:
        return lambda e: e.answers.get(qid) == value

    def differs(self, qid: str, value: Any) -> Test:
        return lambda e: e.answers.get(qid) != value

    def one_of(self, qid: str, values: list[Any]) -> Test:
        allowed = frozenset(values)
        return lambda e: e.answers.get(qid) in allowed

    def none_of(self, qid: str, values: list[Any]) -> Test:
        allowed = frozenset(values)
        return lambda e: e.answers.get(qid) not in allowed

    def equality_sentence(self, q: Question, value: Any, negate: bool) -> str:
        return f"{q.label} is {'not ' if negate else ''}{q.option_label(value)}"


class _OptionType(QuestionType):
    """Types answered by choosing options (enum, bool, multi): options and unknown_as."""

    def load(self, q: Question, raw: dict[str, Any], item: str) -> None:
        for k in ("min", "max", "riskier"):
            if k in raw:
                raise framework_error(_FILE, item, f'"{k}" is only allowed on an int question')
        for k in ("options", "unknown_as"):
            if k not in raw:
                raise framework_error(_FILE, item, f'missing required key "{k}"')
        opts = raw["options"]
        if not isinstance(opts, list) or not opts:
            raise framework_error(_FILE, item, "options must be a non-empty list")
        q.options = []
        for o in opts:
            if not isinstance(o, dict) or set(o) != {"value", "label"}:
                raise framework_error(_FILE, item, f"each option must be {{value, label}}, got {o!r}")
            v = o["value"]
            self.check_option_value(v, item)
            if v == "unknown":
                raise framework_error(_FILE, item, '"unknown" is reserved and cannot be an option')
            if any(v is x or (type(v) is type(x) and v == x) for x, _ in q.options):
                raise framework_error(_FILE, item, f"duplicate option {v!r}")
            label = o["label"]
            if not isinstance(label, str) or not label.strip():
                raise framework_error(_FILE, item, f'"label" must be a non-empty string, got {label!r}')
            q.options.append((v, label))
        q.option_values = tuple(v for v, _ in q.options)
        q.option_set = frozenset(q.option_values)
        q.option_labels = dict(q.options)
        self.check_options(q, item)
        q.unknown_as = self.load_unknown_as(q, raw["unknown_as"], item)

    def check_option_value(self, v: Any, item: str) -> None:
        if not isinstance(v, str) or not v:
            raise framework_error(
                _FILE, item, f"option values must be strings, got {v!r} (quote YAML words such as no/yes/on/off)"
            )

    def check_options(self, q: Question, item: str) -> None:
        pass

    def load_unknown_as(self, q: Question, ua: Any, item: str) -> Any:
        if not isinstance(ua, str) or ua not in q.option_set:
            raise framework_error(_FILE, item, f'unknown_as: unknown option "{ua}"')
        return ua

    def allowed_text(self, q: Question) -> str:
        allowed = ", ".join(str(v).lower() if isinstance(v, bool) else v for v in q.option_values)
        return f'{allowed} or "unknown"'


class EnumType(_OptionType):
    name = "enum"

    def make_checker(self, q: Question) -> Checker:
        allowed = self.allowed_text(q)
        worst = q.unknown_as
        opts = q.option_set

        def check(v: Any) -> tuple[str | None, Any, bool]:
            if v.__class__ is str:
                if v in opts:
                    return None, v, False
                if v == "unknown":
                    return None, worst, True
                return f'"{v}" is not an option; allowed: {allowed}', None, False
            return (f"expected one of the options (a string), got {short_json(v)}; allowed: {allowed}"), None, False

        return check

    def check_condition_value(self, q: Question, value: Any, op: str) -> None:
        if not isinstance(value, str):
            raise ConditionError(
                f"{op}: wrong value type for {q.id} (enum): expected an option name, got {short_json(value)}"
            )
        if value not in q.option_set:
            raise ConditionError(f'{op}: unknown option "{value}" for {q.id} (options: {", ".join(q.option_values)})')


class BoolType(_OptionType):
    name = "bool"

    def check_option_value(self, v: Any, item: str) -> None:
        if not isinstance(v, bool):
            raise framework_error(_FILE, item, f"bool option values must be true/false, got {v!r}")

    def check_options(self, q: Question, item: str) -> None:
        if len(q.options) != 2 or set(q.option_values) != {True, False}:
            raise framework_error(_FILE, item, "a bool question has exactly the options true and false")

    def load_unknown_as(self, q: Question, ua: Any, item: str) -> Any:
        if not isinstance(ua, bool):
            raise framework_error(_FILE, item, f"unknown_as must be true or false, got {ua!r}")
        return ua

    def make_checker(self, q: Question) -> Checker:
        worst = q.unknown_as

        def check(v: Any) -> tuple[str | None, Any, bool]:
            if v is True or v is False:
                return None, v, False
            if v == "unknown":
                return None, worst, True
            return f'expected true, false or "unknown", got {short_json(v)}', None, False

        return check

    def check_condition_value(self, q: Question, value: Any, op: str) -> None:
        if not isinstance(value, bool):
            raise ConditionError(
                f"{op}: wrong value type for {q.id} (bool): expected true or false, got {short_json(value)}"
            )

    # Bools compare by identity so that 1 and 0 never pass for true and false.
    def equals(self, qid: str, value: Any) -> Test:
        if value:
            return lambda e: e.answers.get(qid) is True
        return lambda e: e.answers.get(qid) is False

    def differs(self, qid: str, value: Any) -> Test:
        if value:
            return lambda e: e.answers.get(qid) is not True
        return lambda e: e.answers.get(qid) is not False

    def one_of(self, qid: str, values: list[Any]) -> Test:
        vs = tuple(values)
        return lambda e: any(e.answers.get(qid) is v for v in vs)

    def none_of(self, qid: str, values: list[Any]) -> Test:
        vs = tuple(values)
        return lambda e: not any(e.answers.get(qid) is v for v in vs)

    def equality_sentence(self, q: Question, value: Any, negate: bool) -> str:
        # "Access from outside the UK: yes" reads better than "… is yes".
        return f"{q.label}: {q.option_label(not value if negate else value)}"


class MultiType(_OptionType):
    name = "multi"

    def load_unknown_as(self, q: Question, ua: Any, item: str) -> Any:
        if not isinstance(ua, list) or not ua or any(not isinstance(x, str) or x not in q.option_set for x in ua):
            raise framework_error(_FILE, item, f"unknown_as must be a non-empty list of options, got {ua!r}")
        if "none" in ua and len(ua) > 1:
            raise framework_error(_FILE, item, 'unknown_as cannot combine "none" with other options')
        return frozenset(ua)

    def worst_answer(self, q: Question) -> Any:
        return [v for v in q.option_values if v in q.unknown_as]

    def is_lowest_risk(self, q: Question, answer: Any) -> bool:
        if answer is None or answer == "unknown":
            return False
        # a multi answer's options are not ranked; only "none" is the floor
        return bool(answer == ["none"] and "none" in q.option_set)

    def lowest_answer(self, q: Question) -> Any:
        return ["none"] if "none" in q.option_set else None

    def make_checker(self, q: Question) -> Checker:
        allowed = self.allowed_text(q)
        worst = q.unknown_as
        opts = q.option_set
        has_none = "none" in opts

        def check(v: Any) -> tuple[str | None, Any, bool]:
            if v.__class__ is list:
                if not v:
                    hint = ' (choose "none" explicitly)' if has_none else ""
                    return f"empty list: choose at least one option{hint}", None, False
                for o in v:
                    if o.__class__ is not str:
                        return (f'expected a list of options or "unknown", got {short_json(v)}', None, False)
                    if o not in opts:
                        if o == "unknown":
                            return ('"unknown" must be the whole answer, not an item of the list', None, False)
                        return f'"{o}" is not an option; allowed: {allowed}', None, False
                s = frozenset(v)
                if len(s) != len(v):
                    dup = next(o for o in v if v.count(o) > 1)
                    return f'"{dup}" is listed more than once', None, False
                if has_none and "none" in s and len(s) > 1:
                    return '"none" cannot be combined with other options', None, False
                return None, s, False
            if v == "unknown":
                return None, worst, True
            return f'expected a list of options or "unknown", got {short_json(v)}', None, False

        return check

    def check_condition_value(self, q: Question, value: Any, op: str) -> None:
        raise ConditionError(
            f"{op} cannot be used on multi question {q.id}; use contains, intersects, any_except or count_in"
        )


class IntType(QuestionType):
    name = "int"
    has_unknown = False

    def load(self, q: Question, raw: dict[str, Any], item: str) -> None:
        for k in ("options", "unknown_as"):
            if k in raw:
                raise framework_error(_FILE, item, f'"{k}" is not allowed on an int question')
        for k in ("min", "max"):
            v = raw.get(k)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise framework_error(_FILE, item, f'"{k}" must be an integer, got {v!r}')
        q.min, q.max = raw.get("min"), raw.get("max")
        if q.min is not None and q.max is not None and q.min > q.max:
            raise framework_error(_FILE, item, "min is greater than max")
        if q.riskier not in (None, "higher", "lower"):
            raise framework_error(_FILE, item, '"riskier" must be higher or lower')
        q.options, q.option_values, q.option_set, q.option_labels = [], (), frozenset(), {}
        q.unknown_as = None

    def is_lowest_risk(self, q: Question, answer: Any) -> bool:
        return False

    def lowest_answer(self, q: Question) -> Any:
        return {"higher": q.min, "lower": q.max}.get(q.riskier or "")

    def make_checker(self, q: Question) -> Checker:
        lo, hi, desc = q.min, q.max, self.describe(q)

        def check(v: Any) -> tuple[str | None, Any, bool]:
            if v.__class__ is int:  # bool is excluded: its class is bool
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    return f"{v} is out of range: expected {desc}", None, False
                return None, v, False
            return f"expected {desc}, got {short_json(v)}", None, False

        return check

    def describe(self, q: Question) -> str:
        if q.min is not None and q.max is not None:
            return f"an integer from {q.min} to {q.max}"
        if q.min is not None:
            return f"an integer ≥ {q.min}"
        if q.max is not None:
            return f"an integer ≤ {q.max}"
        return "an integer"

    def check_condition_value(self, q: Question, value: Any, op: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConditionError(
                f"{op}: wrong value type for {q.id} (int): expected an integer, got {short_json(value)}"
            )


def _by_name(types: Iterable[QuestionType]) -> dict[str, QuestionType]:
    return {t.name: t for t in types}


QUESTION_TYPES: dict[str, QuestionType] = _by_name((EnumType(), BoolType(), MultiType(), IntType()))
