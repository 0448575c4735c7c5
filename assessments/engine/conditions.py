"""The condition language: compiled to Python closures at load time, rendered as sentences.

Grammar (a condition is a YAML/JSON mapping with exactly one operator key)::

    cond :=
      {all: [cond, ...]}                 every condition holds (non-empty list)
      {any: [cond, ...]}                 at least one holds (non-empty list)
      {not: cond}                        negation (may not contain a tier condition)
      {eq: [Q, v]}  {ne: [Q, v]}         enum/bool/int question equals / differs from v
      {in: [Q, [v, ...]]}                enum/bool/int question is one of the values
      {not_in: [Q, [v, ...]]}            ... is none of the values
      {lt|le|gt|ge: [Q, n]}              int question compared with integer n
      {contains: [M, opt]}               multi answer includes opt
      {intersects: [M, SET]}             multi answer includes at least one option of SET
      {any_except: [M, [opt, ...]]}      multi answer includes an option outside the list
      {count_in: {question: M, set: SET, at_least: n}}
                                         at least n options of the multi answer are in SET
      {answered: Q}                      an (optional) question has an answer that is shown
      {ref: NAME}                        a named definition from framework.yaml
      {tier: {safe: S, at_least: n}}     S's current tier (or `overall` = max) ≥ n; phase 3 only
      {any_custodian: cond}              some custodian satisfies cond        (project context)
      {count_custodians: {at_least: n, where: SEL}}
                                         at least n custodians (satisfying SEL) (project context)

    Q    := question id (a string)
    M    := Q of a multi question, or {union: Q, over: SEL} (project context only):
            the union of that custodian-scope multi answer over the selected custodians
    SET  := a named set from framework.yaml (e.g. HIGH_QI) or a list of options
    SEL  := a custodian-context definition name, or an inline condition (custodian context);
            omitted = every custodian

Contexts: phase-1 rules and show_if of custodian questions are compiled in the
*custodian* context (that custodian's answers plus the project answers are
visible).  Phase-2/3 rules are compiled in the *project* context: project
answers are visible directly, custodian answers only through any_custodian,
count_custodians, union, or a project-context definition.  Values are checked
against the question at load time (unknown question, unknown option, wrong
value type, operator not applicable to the question type).

Values at evaluation time are *effective* values: ``unknown`` has already been
replaced by the question's ``unknown_as``.  An unanswered or hidden optional
question has no value: eq/in/lt/le/gt/ge/contains... are false on it, ne and
not_in are true; use ``answered`` to test for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .canonical import short_json
from .errors import ConditionError

if TYPE_CHECKING:
    from .framework import Framework, Question

__all__ = [
    "ConditionError",
    "Compiler",
    "Env",
    "CUSTODIAN",
    "PROJECT",
    "render",
    "OPERATORS",
    "OPERATOR_TABLE",
    "Operator",
    "Definition",
    "Test",
    "Deps",
    "READS_ANSWER",
    "READS_EVERY_CUSTODIAN",
    "READS_TIER",
]

CUSTODIAN = "custodian"
PROJECT = "project"

# The kinds of dependency a compiled condition records, as (kind, id) pairs.
READS_ANSWER = "q"  # a question read at the condition's own level
READS_EVERY_CUSTODIAN = "c"  # a custodian question read across all custodians
READS_TIER = "t"  # a safe's current tier (phase 3)

Deps = set[tuple[str, str]]

_NO_TIERS: Mapping[str, int] = {}


class Env:
    """What a compiled condition reads.

    ``answers``: effective answers visible in this context (question id -> value);
    ``custodians``: each custodian's Env (project context only);
    ``tiers``: safe -> current tier, plus ``overall`` (phase 3 only)."""

    __slots__ = ("answers", "custodians", "tiers")

    def __init__(
        self,
        answers: Mapping[str, Any],
        custodians: Sequence[Env] | None = None,
        tiers: Mapping[str, int] | None = None,
    ) -> None:
        self.answers = answers
        self.custodians: Sequence[Env] = custodians if custodians is not None else ()
        self.tiers: Mapping[str, int] = tiers if tiers is not None else _NO_TIERS


Test = Callable[[Env], bool]
MultiGetter = Callable[[Env], Any]  # an Env -> the set of options a multi operand holds


class Scope:
    """Where a condition is being compiled: its context and what it may contain."""

    __slots__ = ("context", "allow_tier", "negated", "across_custodians")

    def __init__(self, context: str, allow_tier: bool, negated: bool = False, across_custodians: bool = False) -> None:
        self.context = context
        self.allow_tier = allow_tier
        self.negated = negated
        # inside any_custodian, count_custodians or union: custodian questions are read
        # for every custodian, not at the condition's own level
        self.across_custodians = across_custodians

    def negate(self) -> Scope:
        return Scope(self.context, self.allow_tier, not self.negated, self.across_custodians)

    def each_custodian(self) -> Scope:
        return Scope(CUSTODIAN, self.allow_tier, self.negated, True)


class Definition:
    __slots__ = ("name", "context", "label", "group_label", "when", "test", "deps")

    def __init__(
        self, name: str, context: str, label: str, group_label: str | None, when: Any, test: Test, deps: Deps
    ) -> None:
        self.name = name
        self.context = context
        self.label = label
        self.group_label = group_label
        self.when = when
        self.test = test
        self.deps = deps


class Compiler:
    """Compiles conditions against a set of questions, named sets, safes and definitions.

    ``compile`` returns ``(test, deps)``: ``test(env) -> bool`` and ``deps``, a set of
    ``(READS_ANSWER, id)``, ``(READS_EVERY_CUSTODIAN, id)`` and ``(READS_TIER, safe)``."""

    def __init__(
        self, questions: dict[str, Question], sets: dict[str, dict[str, Any]], safes: Sequence[str], max_tier: int
    ) -> None:
        self.questions = questions
        self.sets = sets  # name -> {"label":..., "options": tuple}
        self.safes = tuple(safes)
        self.max_tier = max_tier
        self.definitions: dict[str, Definition] = {}

    # ------------------------------------------------------------------ public
    def compile(self, cond: Any, context: str, allow_tier: bool = False) -> tuple[Test, Deps]:
        deps: Deps = set()
        test = self.condition(cond, Scope(context, allow_tier), deps)
        return test, deps

    def add_definition(self, name: str, context: str, label: str, group_label: str | None, when: Any) -> None:
        test, deps = self.compile(when, context, False)
        self.definitions[name] = Definition(name, context, label, group_label, when, test, deps)

    # ------------------------------------------------------------------ helpers for operators
    def condition(self, cond: Any, scope: Scope, deps: Deps) -> Test:
        if not isinstance(cond, dict) or len(cond) != 1:
            raise ConditionError(f"a condition must be a mapping with exactly one operator, got {short_json(cond)}")
        ((op, arg),) = cond.items()
        entry = OPERATOR_TABLE.get(op) if isinstance(op, str) else None
        if entry is None:
            raise ConditionError(f'unknown operator "{op}"')
        return entry.compile(self, arg, scope, deps)

    def question(self, qid: Any, scope: Scope, deps: Deps, op: str) -> Question:
        if not isinstance(qid, str):
            raise ConditionError(f"{op}: expected a question id, got {short_json(qid)}")
        q = self.questions.get(qid)
        if q is None:
            raise ConditionError(f'unknown question "{qid}"')
        if scope.context == PROJECT and q.scope == CUSTODIAN:
            raise ConditionError(
                f'{op}: question "{qid}" is custodian-scope; in a project-level (phase 2/3) '
                f"condition use any_custodian, count_custodians or {{union: {qid}}}"
            )
        across = scope.across_custodians and q.scope == CUSTODIAN
        deps.add((READS_EVERY_CUSTODIAN if across else READS_ANSWER, qid))
        return q

    def pair(self, arg: Any, op: str) -> tuple[Any, Any]:
        if not isinstance(arg, list) or len(arg) != 2:
            raise ConditionError(f"{op}: expected a list [question, value], got {short_json(arg)}")
        return arg[0], arg[1]

    def integer(self, v: Any, op: str, what: str = "at_least", minimum: int = 0) -> int:
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            raise ConditionError(f"{op}: {what} must be an integer ≥ {minimum}, got {short_json(v)}")
        return v

    def selection(self, sel: Any, scope: Scope, deps: Deps, op: str) -> Test | None:
        """Custodian selection: None (all), a custodian-context definition name, or a condition."""
        if sel is None:
            return None
        if isinstance(sel, str):
            d = self.definitions.get(sel)
            if d is None:
                raise ConditionError(f'{op}: unknown definition "{sel}"')
            if d.context != CUSTODIAN:
                raise ConditionError(f'{op}: definition "{sel}" is not a custodian-context definition')
            self.add_definition_deps(d, True, deps)
            return d.test
        return self.condition(sel, scope.each_custodian(), deps)

    def add_definition_deps(self, d: Definition, across_custodians: bool, deps: Deps) -> None:
        for kind, x in d.deps:
            if kind == READS_ANSWER and across_custodians and self.questions[x].scope == CUSTODIAN:
                deps.add((READS_EVERY_CUSTODIAN, x))
            else:
                deps.add((kind, x))

    def multi_operand(self, ref: Any, scope: Scope, deps: Deps, op: str) -> tuple[Question, MultiGetter]:
        """The question and a getter for a multi operand (a question id or a union)."""
        if isinstance(ref, dict):
            return self._union(ref, scope, deps, op)
        q = self.question(ref, scope, deps, op)
        if q.type != "multi":
            raise ConditionError(f"{op} needs a multi question; {q.id} is {q.type}")
        qid = q.id
        return q, (lambda e: e.answers.get(qid) or ())

    def _union(self, ref: dict[Any, Any], scope: Scope, deps: Deps, op: str) -> tuple[Question, MultiGetter]:
        if set(ref) - {"union", "over"} or "union" not in ref:
            raise ConditionError(
                f"{op}: a union operand is {{union: QUESTION, over: SELECTION}}, got {short_json(ref)}"
            )
        if scope.context != PROJECT:
            raise ConditionError(f"{op}: union is only available in project-level (phase 2/3) conditions")
        qid = ref["union"]
        q = self.questions.get(qid) if isinstance(qid, str) else None
        if q is None:
            raise ConditionError(f'unknown question "{qid}"')
        if q.type != "multi":
            raise ConditionError(f"{op}: union needs a multi question; {qid} is {q.type}")
        if q.scope != CUSTODIAN:
            raise ConditionError(f"{op}: union needs a custodian-scope question; {qid} is project-scope")
        deps.add((READS_EVERY_CUSTODIAN, q.id))
        sel = self.selection(ref.get("over"), scope, deps, op)
        return q, _union_getter(q.id, sel)

    def options(self, q: Question, opts: Any, op: str) -> frozenset[str]:
        """A set operand: a named set or a list of options, each an option of q."""
        if isinstance(opts, str):
            s = self.sets.get(opts)
            if s is None:
                raise ConditionError(f'{op}: unknown set "{opts}"')
            opts = list(s["options"])
        if not isinstance(opts, list) or not opts:
            raise ConditionError(f"{op}: expected a set name or a non-empty list of options, got {short_json(opts)}")
        for o in opts:
            if not isinstance(o, str):
                raise ConditionError(
                    f"{op}: wrong value type for {q.id} (multi): expected an option name, got {short_json(o)}"
                )
            if o not in q.option_set:
                raise ConditionError(f'{op}: unknown option "{o}" for {q.id} (options: {", ".join(q.option_values)})')
        return frozenset(opts)


def _union_getter(qid: str, sel: Test | None) -> MultiGetter:
    if sel is None:

        def union_all(e: Env) -> set[str]:
            s: set[str] = set()
            for c in e.custodians:
                v = c.answers.get(qid)
                if v:
                    s |= v
            return s

        return union_all

    def union_selected(e: Env) -> set[str]:
        s: set[str] = set()
        for c in e.custodians:
            if sel(c):
                v = c.answers.get(qid)
                if v:
                    s |= v
        return s

    return union_selected


# ---------------------------------------------------------------------- sentences


def _join(items: Sequence[str], conj: str = "or") -> str:
    items = list(items)
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


class Sentences:
    """Turns conditions into sentences using a framework's labels."""

    def __init__(self, fw: Framework) -> None:
        self.questions = fw.questions_by_id
        self.sets = fw.sets
        self.definitions = fw.definitions

    def sentence(self, cond: dict[str, Any], parent: str) -> str:
        ((op, arg),) = cond.items()
        entry = OPERATOR_TABLE.get(op)
        if entry is None:
            raise ConditionError(f'unknown operator "{op}"')
        return entry.sentence(self, arg, parent)

    def operand(self, ref: Any) -> tuple[Question, str]:
        """A multi operand's question and how it reads."""
        if isinstance(ref, dict):
            q = self.questions[ref["union"]]
            over = ref.get("over")
            if over is None:
                group = "all custodians"
            elif isinstance(over, str):
                d = self.definitions[over]
                group = d.group_label or f"custodians for which {d.label}"
            else:
                group = f"custodians for which {self.sentence(over, 'top')}"
            return q, f"{q.label} (combined over {group})"
        q = self.questions[ref]
        return q, q.label

    def option_set(self, q: Question, s: Any) -> str:
        if isinstance(s, str):
            labels = ", ".join(q.option_label(o) for o in self.sets[s]["options"])
            # The set's label, never its id: sentences are what people read (issue 14).
            return f"{self.sets[s].get('label') or s} ({labels})"
        return _join([q.option_label(o) for o in s], "or")


def render(fw: Framework, cond: Any) -> str:
    """A readable sentence for a condition, using question and option labels."""
    return Sentences(fw).sentence(cond, "top")


# ---------------------------------------------------------------------- operators


class Operator:
    """One operator of the condition language: its compiled test and its sentence."""

    name = ""

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        raise NotImplementedError

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        raise NotImplementedError


class _All(Operator):
    name = "all"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        tests = _conditions(c, arg, scope, deps, "all")
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            a, b = tests
            return lambda e: a(e) and b(e)

        # Explicit loops here and below: compiled conditions are the evaluation's hot path,
        # and all()/any() over a generator is about 1.7 times slower on a few tests.
        def every(e: Env) -> bool:
            for t in tests:  # noqa: SIM110
                if not t(e):
                    return False
            return True

        return every

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return _joined(s, arg, parent, self.name, " and ")


class _Any(Operator):
    name = "any"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        tests = _conditions(c, arg, scope, deps, "any")
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            a, b = tests
            return lambda e: a(e) or b(e)

        def some(e: Env) -> bool:
            for t in tests:  # noqa: SIM110
                if t(e):
                    return True
            return False

        return some

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return _joined(s, arg, parent, self.name, " or ")


def _conditions(c: Compiler, arg: Any, scope: Scope, deps: Deps, op: str) -> tuple[Test, ...]:
    if not isinstance(arg, list) or not arg:
        raise ConditionError(f"{op}: expected a non-empty list of conditions, got {short_json(arg)}")
    return tuple(c.condition(x, scope, deps) for x in arg)


def _joined(s: Sentences, arg: Any, parent: str, op: str, word: str) -> str:
    parts = [s.sentence(x, op) for x in arg]
    if len(parts) == 1:
        return parts[0]
    text = word.join(parts)
    return f"({text})" if parent in ("all", "any", "not") else text


class _Not(Operator):
    name = "not"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        g = c.condition(arg, scope.negate(), deps)
        return lambda e: not g(e)

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return f"it is not the case that {s.sentence(arg, 'not')}"


class _Equality(Operator):
    """eq and ne: how each type compares lives with the type."""

    def __init__(self, name: str, negate: bool) -> None:
        self.name = name
        self.negate = negate

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        qid, v = c.pair(arg, self.name)
        q = c.question(qid, scope, deps, self.name)
        q.kind.check_condition_value(q, v, self.name)
        return q.kind.differs(qid, v) if self.negate else q.kind.equals(qid, v)

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q = s.questions[arg[0]]
        return q.kind.equality_sentence(q, arg[1], self.negate)


class _Membership(Operator):
    """in and not_in."""

    def __init__(self, name: str, negate: bool) -> None:
        self.name = name
        self.negate = negate

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        op = self.name
        qid, vs = c.pair(arg, op)
        q = c.question(qid, scope, deps, op)
        if not isinstance(vs, list) or not vs:
            raise ConditionError(f"{op}: expected a non-empty list of values, got {short_json(vs)}")
        for v in vs:
            q.kind.check_condition_value(q, v, op)
        return q.kind.none_of(qid, vs) if self.negate else q.kind.one_of(qid, vs)

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q = s.questions[arg[0]]
        labels = [q.option_label(v) for v in arg[1]]
        if not self.negate:
            return f"{q.label} is {_join(labels, 'or')}"
        if len(labels) == 1:
            return f"{q.label} is not {labels[0]}"
        if len(labels) == 2:
            return f"{q.label} is neither {labels[0]} nor {labels[1]}"
        return f"{q.label} is none of {_join(labels, 'and')}"


def _less_than(qid: str, n: int) -> Test:
    def test(e: Env) -> bool:
        v = e.answers.get(qid)
        return v is not None and v < n

    return test


def _at_most(qid: str, n: int) -> Test:
    def test(e: Env) -> bool:
        v = e.answers.get(qid)
        return v is not None and v <= n

    return test


def _more_than(qid: str, n: int) -> Test:
    def test(e: Env) -> bool:
        v = e.answers.get(qid)
        return v is not None and v > n

    return test


def _at_least(qid: str, n: int) -> Test:
    def test(e: Env) -> bool:
        v = e.answers.get(qid)
        return v is not None and v >= n

    return test


class _Comparison(Operator):
    """lt, le, gt, ge on int questions."""

    def __init__(self, name: str, make: Callable[[str, int], Test], words: str) -> None:
        self.name = name
        self.make = make
        self.words = words

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        op = self.name
        qid, n = c.pair(arg, op)
        q = c.question(qid, scope, deps, op)
        if q.type != "int":
            raise ConditionError(f"{op} needs an int question; {q.id} is {q.type}")
        if not isinstance(n, int) or isinstance(n, bool):
            raise ConditionError(f"{op}: wrong value type for {q.id} (int): expected an integer, got {short_json(n)}")
        return self.make(qid, n)

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return f"{s.questions[arg[0]].label} is {self.words} {arg[1]}"


class _Contains(Operator):
    name = "contains"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        ref, opt = c.pair(arg, self.name)
        q, get = c.multi_operand(ref, scope, deps, self.name)
        (option,) = c.options(q, [opt], self.name)
        return lambda e: option in get(e)

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q, label = s.operand(arg[0])
        return f"{label} include {q.option_label(arg[1])}"


class _Intersects(Operator):
    name = "intersects"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        ref, opts = c.pair(arg, self.name)
        q, get = c.multi_operand(ref, scope, deps, self.name)
        chosen = c.options(q, opts, self.name)
        return lambda e: not chosen.isdisjoint(get(e))

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q, label = s.operand(arg[0])
        return f"{label} include at least one of {s.option_set(q, arg[1])}"


class _AnyExcept(Operator):
    name = "any_except"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        ref, opts = c.pair(arg, self.name)
        q, get = c.multi_operand(ref, scope, deps, self.name)
        excepted = c.options(q, opts, self.name)

        def test(e: Env) -> bool:
            for o in get(e):  # noqa: SIM110
                if o not in excepted:
                    return True
            return False

        return test

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q, label = s.operand(arg[0])
        others = _join([q.option_label(o) for o in arg[1]], "or")
        return f"{label} include at least one option other than {others}"


class _CountIn(Operator):
    name = "count_in"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        if not isinstance(arg, dict) or set(arg) != {"question", "set", "at_least"}:
            raise ConditionError(f"count_in: expected {{question: Q, set: SET, at_least: n}}, got {short_json(arg)}")
        q, get = c.multi_operand(arg["question"], scope, deps, self.name)
        chosen = c.options(q, arg["set"], self.name)
        n = c.integer(arg["at_least"], self.name)
        return lambda e: len(chosen.intersection(get(e))) >= n

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        q, label = s.operand(arg["question"])
        return f"at least {arg['at_least']} of {label} are in {s.option_set(q, arg['set'])}"


class _Answered(Operator):
    name = "answered"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        qid = c.question(arg, scope, deps, self.name).id
        return lambda e: e.answers.get(qid) is not None

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return f"{s.questions[arg].label} is answered"


class _Ref(Operator):
    name = "ref"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        d = c.definitions.get(arg) if isinstance(arg, str) else None
        if d is None:
            raise ConditionError(f'ref: unknown definition "{arg}"')
        if d.context != scope.context:
            if d.context == CUSTODIAN:
                raise ConditionError(
                    f'ref: definition "{arg}" is a custodian-context '
                    f"definition; use it through any_custodian, "
                    f"count_custodians or union"
                )
            raise ConditionError(f'ref: definition "{arg}" is a project-context definition and cannot be used here')
        c.add_definition_deps(d, scope.across_custodians, deps)
        return d.test

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return s.definitions[arg].label


class _Tier(Operator):
    name = "tier"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        if not scope.allow_tier:
            raise ConditionError("tier conditions are only allowed in phase-3 rules")
        if scope.negated:
            raise ConditionError("tier conditions may not be negated (phase 3 only ratchets up)")
        if not isinstance(arg, dict) or set(arg) != {"safe", "at_least"}:
            raise ConditionError(f"tier: expected {{safe: S, at_least: n}}, got {short_json(arg)}")
        safe = arg["safe"]
        if safe != "overall" and safe not in c.safes:
            raise ConditionError(f'tier: unknown safe "{safe}"')
        n = c.integer(arg["at_least"], "tier")
        if n > c.max_tier:
            raise ConditionError(f"tier: at_least {n} is above the highest tier {c.max_tier}")
        deps.add((READS_TIER, safe))
        return lambda e: e.tiers[safe] >= n

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return f"the {arg['safe']} tier is at least {arg['at_least']}"


class _AnyCustodian(Operator):
    name = "any_custodian"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        if scope.context != PROJECT:
            raise ConditionError("any_custodian is only available in project-level (phase 2/3) conditions")
        g = c.condition(arg, scope.each_custodian(), deps)

        def test(e: Env) -> bool:
            for custodian in e.custodians:  # noqa: SIM110
                if g(custodian):
                    return True
            return False

        return test

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        return f"for at least one custodian, {s.sentence(arg, 'top')}"


class _CountCustodians(Operator):
    name = "count_custodians"

    def compile(self, c: Compiler, arg: Any, scope: Scope, deps: Deps) -> Test:
        if scope.context != PROJECT:
            raise ConditionError("count_custodians is only available in project-level (phase 2/3) conditions")
        if not isinstance(arg, dict) or "at_least" not in arg or set(arg) - {"at_least", "where"}:
            raise ConditionError(f"count_custodians: expected {{at_least: n, where: SELECTION}}, got {short_json(arg)}")
        n = c.integer(arg["at_least"], self.name)
        sel = c.selection(arg.get("where"), scope, deps, self.name)
        if sel is None:
            return lambda e: len(e.custodians) >= n

        def test(e: Env) -> bool:
            k = 0
            for custodian in e.custodians:
                if sel(custodian):
                    k += 1
                    if k >= n:
                        return True
            return n <= 0

        return test

    def sentence(self, s: Sentences, arg: Any, parent: str) -> str:
        n = arg["at_least"]
        noun = "custodian" if n == 1 else "custodians"
        where = arg.get("where")
        if where is None:
            return f"there are at least {n} {noun}"
        if isinstance(where, str):
            d = s.definitions[where]
            if d.group_label:
                return f"there are at least {n} {d.group_label}"
            return f"there are at least {n} {noun} for which {d.label}"
        return f"there are at least {n} {noun} for which {s.sentence(where, 'top')}"


OPERATOR_TABLE: dict[str, Operator] = {
    op.name: op
    for op in (
        _All(),
        _Any(),
        _Not(),
        _Equality("eq", False),
        _Equality("ne", True),
        _Membership("in", False),
        _Membership("not_in", True),
        _Comparison("lt", _less_than, "less than"),
        _Comparison("le", _at_most, "at most"),
        _Comparison("gt", _more_than, "more than"),
        _Comparison("ge", _at_least, "at least"),
        _Contains(),
        _Intersects(),
        _AnyExcept(),
        _CountIn(),
        _Answered(),
        _Ref(),
        _Tier(),
        _AnyCustodian(),
        _CountCustodians(),
    )
}

OPERATORS = tuple(OPERATOR_TABLE)
