"""Framework model and loader: reads framework.yaml, questions.yaml and rules.yaml.

Everything is validated at load time and every condition is compiled to a
closure (see :mod:`assessments.engine.conditions`).  ``Framework.sha256`` is the
SHA-256 over the definition files: for each file name in sorted order,
``name + NUL + content + NUL`` (UTF-8), so the same texts always give the same
hash regardless of dict order.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .canonical import texts_sha256
from .conditions import (
    CUSTODIAN,
    PROJECT,
    READS_ANSWER,
    READS_EVERY_CUSTODIAN,
    READS_TIER,
    Compiler,
    ConditionError,
    Definition,
    Deps,
    Env,
    Test,
    render,
)
from .errors import FrameworkError, framework_error
from .qtypes import QUESTION_TYPES, Checker, QuestionType

__all__ = ["Framework", "Question", "Rule", "ShowIfDependencies", "load_framework_dir", "load_framework_texts", "FILES"]

FILES = ("framework.yaml", "questions.yaml", "rules.yaml")
TYPES = tuple(QUESTION_TYPES)
SCOPES = (PROJECT, CUSTODIAN)
OUTCOME_TESTS = ("block", "blocking_gap", "refer", "gap")

_Loader: Any
try:  # the C loader is much faster; same results
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class Question:
    """One question. ``options`` is a list of ``(value, label)`` pairs, lowest risk first;
    ``kind`` is its type's behaviour (:mod:`assessments.engine.qtypes`)."""

    __slots__ = (
        "id",
        "scope",
        "safe",
        "text",
        "label",
        "help",
        "type",
        "kind",
        "options",
        "option_values",
        "option_set",
        "option_labels",
        "unknown_as",
        "min",
        "max",
        "required",
        "show_if",
        "riskier",
        "show_if_fn",
        "show_if_reads",
        "check",
        "index",
    )

    id: str
    scope: str
    safe: str
    text: str
    label: str
    help: str
    type: str
    kind: QuestionType
    options: list[tuple[Any, str]]
    option_values: tuple[Any, ...]
    option_set: frozenset[Any]
    option_labels: dict[Any, str]
    unknown_as: Any
    min: int | None
    max: int | None
    required: bool
    show_if: Any
    riskier: str | None
    show_if_fn: Test | None
    show_if_reads: frozenset[str]  # the question ids the show-if condition reads
    check: Checker
    index: int

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.type} {self.scope}>"

    @property
    def has_unknown(self) -> bool:
        return self.kind.has_unknown

    @property
    def worst_answer(self) -> Any:
        """What ``unknown`` is assessed as, in the exchange format (multi: a list in option
        order)."""
        return self.kind.worst_answer(self)

    def option_label(self, value: Any) -> str:
        return self.option_labels.get(value, str(value))

    def is_lowest_risk(self, answer: Any) -> bool:
        """Whether an answer (as given) is already this question's least risky one."""
        return self.kind.is_lowest_risk(self, answer)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "safe": self.safe,
            "text": self.text,
            "label": self.label,
            "help": self.help,
            "type": self.type,
            "options": [list(o) for o in self.options],
            "unknown_as": (
                sorted(self.unknown_as, key=self.option_values.index)
                if isinstance(self.unknown_as, frozenset)
                else self.unknown_as
            ),
            "min": self.min,
            "max": self.max,
            "required": self.required,
            "show_if": self.show_if,
        }


class Rule:
    """One rule. ``effects`` is the normalised list of effect dicts:
    ``{"raise": safe, "to": n}``, ``{"gap": True}``, ``{"gap": "blocking"}``,
    ``{"block": True}``, ``{"refer": True}``."""

    __slots__ = (
        "id",
        "phase",
        "condition",
        "effects",
        "justification",
        "sources",
        "sentence",
        "test",
        "deps",
        "question_deps",
        "tier_deps",
        "raises",
        "gap",
        "block",
        "refer",
        "index",
    )

    id: str
    phase: int
    condition: Any
    effects: list[dict[str, Any]]
    justification: str
    sources: tuple[str, ...]
    sentence: str
    test: Test
    deps: Deps
    question_deps: tuple[tuple[str, str], ...]  # (READS_ANSWER | READS_EVERY_CUSTODIAN, id)
    tier_deps: tuple[str, ...]
    raises: tuple[tuple[str, int], ...]
    gap: str | None  # None, "gap" or "blocking"
    block: bool
    refer: bool
    index: int

    def __repr__(self) -> str:
        return f"<Rule {self.id} phase {self.phase}>"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phase": self.phase,
            "when": self.condition,
            "effects": self.effects,
            "justification": self.justification,
            "sources": list(self.sources),
            "sentence": self.sentence,
        }


class ShowIfDependencies:
    """What a question's show-if condition reads, for code that re-evaluates it elsewhere
    (the questionnaire's script): the question ids, and what ``unknown`` stands for in
    each enum question among them."""

    __slots__ = ("questions", "unknown_as")

    def __init__(self, questions: frozenset[str], unknown_as: dict[str, Any]) -> None:
        self.questions = questions
        self.unknown_as = unknown_as

    def __repr__(self) -> str:
        return f"ShowIfDependencies({sorted(self.questions)!r}, {self.unknown_as!r})"


class Framework:
    """A loaded, validated framework version."""

    def __init__(self) -> None:
        self.id: str = ""
        self.version: str = ""
        self.title: str = ""
        self.sha256: str = ""
        self.texts: dict[str, str] = {}
        self.safes: list[str] = []
        self.safe_labels: dict[str, str] = {}
        self.tiers: list[dict[str, Any]] = []
        self.max_tier: int = 0
        self.sets: dict[str, dict[str, Any]] = {}
        self.definitions: dict[str, Definition] = {}
        self.outcomes: list[dict[str, Any]] = []
        self.sources: dict[str, dict[str, Any]] = {}
        self.questions: list[Question] = []
        self.questions_by_id: dict[str, Question] = {}
        self.rules: list[Rule] = []
        self.rules_by_id: dict[str, Rule] = {}
        # Set by _prepare once everything is loaded: what evaluation reads again and again.
        self.project_questions: tuple[Question, ...] = ()
        self.custodian_questions: tuple[Question, ...] = ()
        self.project_show_if: tuple[Question, ...] = ()  # project questions with a show_if
        self.custodian_show_if: tuple[Question, ...] = ()  # custodian questions with a show_if
        self.rules_by_phase: dict[int, tuple[Rule, ...]] = {1: (), 2: (), 3: ()}
        # phase-3 rules that raise a tier: those that read no tier run once, the others
        # run to a fixpoint
        self.phase3_fixed_raisers: tuple[Rule, ...] = ()
        self.phase3_tier_raisers: tuple[Rule, ...] = ()

    def __repr__(self) -> str:
        return f"<Framework {self.id} v{self.version} {self.sha256[:12]}>"

    # helpers for form generators -------------------------------------------
    def questions_for(self, scope: str) -> list[Question]:
        """Questions of one scope (``project`` or ``custodian``) in framework order."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        return [q for q in self.questions if q.scope == scope]

    def section(self, safe: str, scope: str | None = None) -> list[Question]:
        """Questions of one safe (optionally of one scope) in framework order."""
        if safe not in self.safe_labels:
            raise ValueError(f"unknown safe {safe!r}")
        return [q for q in self.questions if q.safe == safe and (scope is None or q.scope == scope)]

    def question(self, qid: str) -> Question:
        return self.questions_by_id[qid]

    def rule(self, rid: str) -> Rule:
        return self.rules_by_id[rid]

    def tier_name(self, level: int) -> str:
        name: str = self.tiers[level]["name"]
        return name

    def render_condition(self, condition: Any) -> str:
        return render(self, condition)

    def condition_compiler(self) -> Compiler:
        """A compiler for further conditions in this framework's terms (custodians' criteria):
        its questions, named sets, safes, tiers and definitions."""
        compiler = Compiler(self.questions_by_id, self.sets, self.safes, self.max_tier)
        compiler.definitions = self.definitions
        return compiler

    def is_visible(self, question: Question, answers: dict[str, Any]) -> bool:
        """Whether a question is shown given *effective* answers (see show_if)."""
        if question.show_if_fn is None:
            return True
        return bool(question.show_if_fn(Env(answers, [], None)))

    def show_if_dependencies(self, question: Question) -> ShowIfDependencies:
        """The questions ``question``'s show_if reads and, for each enum one, the option
        ``unknown`` stands for (empty for a question without show_if)."""
        reads = question.show_if_reads
        unknown_as = {
            qid: self.questions_by_id[qid].unknown_as
            for qid in sorted(reads)
            if self.questions_by_id[qid].type == "enum"
        }
        return ShowIfDependencies(reads, unknown_as)

    def show_if_spec(self, question: Question) -> dict[str, Any]:
        """The show-if condition plus what ``unknown`` means for the enum questions it reads:
        what a browser needs to show or hide ``question`` live."""
        return {"when": question.show_if, "unknown_as": self.show_if_dependencies(question).unknown_as}


# ---------------------------------------------------------------------- loading


def load_framework_dir(path: str | os.PathLike[str]) -> Framework:
    """Load every ``*.yaml`` file of a framework directory."""
    path = os.fspath(path)
    texts: dict[str, str] = {}
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise FrameworkError(f"{path}: cannot read framework directory: {exc.strerror}", file=path) from None
    for name in names:
        if name.endswith(".yaml"):
            with open(os.path.join(path, name), encoding="utf-8") as fh:
                texts[name] = fh.read()
    return load_framework_texts(texts)


_err = framework_error


def _keys(obj: Any, file: str, item: str | None, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    if not isinstance(obj, dict):
        raise _err(file, item, f"expected a mapping, got {type(obj).__name__}")
    for k in required:
        if k not in obj:
            raise _err(file, item, f'missing required key "{k}"')
    extra = [k for k in obj if k not in required and k not in optional]
    if extra:
        raise _err(file, item, f'unknown key "{extra[0]}"')


def _str(v: Any, file: str, item: str | None, key: str, allow_empty: bool = False) -> str:
    if not isinstance(v, str) or (not allow_empty and not v.strip()):
        raise _err(file, item, f'"{key}" must be a non-empty string, got {v!r}')
    return v


def load_framework_texts(texts: dict[str, str]) -> Framework:
    """Build a Framework from ``{filename: content}``; same validation as the directory loader."""
    if not isinstance(texts, dict):
        raise FrameworkError("framework texts must be a dict of file name -> content")
    for name in texts:
        if name not in FILES:
            raise _err(name, None, f"unexpected file (expected {', '.join(FILES)})")
        if not isinstance(texts[name], str):
            raise _err(name, None, "content must be text")
    for name in FILES:
        if name not in texts:
            raise _err(name, None, "missing file")
    data: dict[str, dict[str, Any]] = {}
    for name in FILES:
        try:
            doc = yaml.load(texts[name], Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise _err(name, None, f"malformed YAML{where}: {problem}") from None
        if not isinstance(doc, dict):
            raise _err(name, None, "expected a mapping at the top level")
        data[name] = doc

    fw = Framework()
    fw.texts = dict(texts)
    fw.sha256 = texts_sha256(texts)
    _load_header(fw, data["framework.yaml"])
    compiler = Compiler({}, fw.sets, fw.safes, fw.max_tier)
    _load_questions(fw, data["questions.yaml"], compiler)
    _load_definitions(fw, data["framework.yaml"], compiler)
    _compile_show_if(fw, compiler)
    _load_rules(fw, data["rules.yaml"], compiler)
    _prepare(fw)
    return fw


def _load_header(fw: Framework, d: dict[str, Any]) -> None:
    F = "framework.yaml"
    _keys(d, F, None, ("id", "version", "safes", "tiers", "outcomes", "sources"), ("title", "sets", "definitions"))
    fw.id = _str(d["id"], F, None, "id")
    if not isinstance(d["version"], str):
        raise _err(F, None, f'"version" must be a string (quote it), got {d["version"]!r}')
    fw.version = _str(d["version"], F, None, "version")
    fw.title = d.get("title") or fw.id
    if not isinstance(d["safes"], list) or not d["safes"]:
        raise _err(F, None, '"safes" must be a non-empty list')
    for s in d["safes"]:
        _keys(s, F, "safes", ("id", "label"))
        sid = _str(s["id"], F, "safes", "id")
        if sid in fw.safe_labels or sid == "overall":
            raise _err(F, f"safe {sid}", "duplicate or reserved safe id")
        fw.safes.append(sid)
        fw.safe_labels[sid] = _str(s["label"], F, f"safe {sid}", "label")
    if not isinstance(d["tiers"], list) or not d["tiers"]:
        raise _err(F, None, '"tiers" must be a non-empty list')
    for i, t in enumerate(d["tiers"]):
        _keys(t, F, f"tier {i}", ("level", "name"), ("meaning",))
        if t["level"] != i or isinstance(t["level"], bool):
            raise _err(F, f"tier {i}", f"tiers must be listed 0, 1, 2, ... in order, got {t['level']!r}")
        fw.tiers.append({"level": i, "name": _str(t["name"], F, f"tier {i}", "name"), "meaning": t.get("meaning", "")})
    fw.max_tier = len(fw.tiers) - 1
    sets = d.get("sets") or {}
    if not isinstance(sets, dict):
        raise _err(F, None, '"sets" must be a mapping')
    for name, s in sets.items():
        _keys(s, F, f"set {name}", ("options",), ("label",))
        if not isinstance(s["options"], list) or not s["options"] or not all(isinstance(o, str) for o in s["options"]):
            raise _err(F, f"set {name}", "options must be a non-empty list of option names")
        fw.sets[name] = {"label": s.get("label", name), "options": tuple(s["options"])}
    if not isinstance(d["sources"], dict) or not d["sources"]:
        raise _err(F, None, '"sources" must be a non-empty mapping')
    for sid, s in d["sources"].items():
        _keys(s, F, f"source {sid}", ("title",), ("url",))
        fw.sources[str(sid)] = {
            "id": str(sid),
            "title": _str(s["title"], F, f"source {sid}", "title"),
            "url": s.get("url"),
        }
    outs = d["outcomes"]
    if not isinstance(outs, list) or not outs:
        raise _err(F, None, '"outcomes" must be a non-empty list')
    seen: set[str] = set()
    for i, o in enumerate(outs):
        _keys(o, F, f"outcome #{i + 1}", ("id",), ("label", "if_any"))
        oid = _str(o["id"], F, f"outcome #{i + 1}", "id")
        item = f"outcome {oid}"
        if oid in seen:
            raise _err(F, item, "duplicate outcome id")
        seen.add(oid)
        tests = o.get("if_any")
        if tests is None:
            if i != len(outs) - 1:
                raise _err(F, item, "only the last outcome may omit if_any")
            parsed: list[tuple[str, str | None, int | None]] | None = None
        else:
            if not isinstance(tests, list) or not tests:
                raise _err(F, item, "if_any must be a non-empty list")
            parsed = []
            for t in tests:
                if isinstance(t, str) and t in OUTCOME_TESTS:
                    parsed.append((t, None, None))
                elif isinstance(t, dict) and set(t) == {"tier"} and isinstance(t["tier"], dict):
                    safe = t["tier"].get("safe")
                    n = t["tier"].get("at_least")
                    if safe != "overall" and safe not in fw.safes:
                        raise _err(F, item, f'unknown safe "{safe}"')
                    if not isinstance(n, int) or isinstance(n, bool):
                        raise _err(F, item, "tier at_least must be an integer")
                    parsed.append(("tier", safe, n))
                else:
                    raise _err(
                        F,
                        item,
                        f"unknown outcome test {t!r} (expected one of {', '.join(OUTCOME_TESTS)} or {{tier: ...}})",
                    )
        if i == len(outs) - 1 and tests is not None:
            raise _err(F, item, "the last outcome must have no if_any (the default)")
        fw.outcomes.append({"id": oid, "label": o.get("label", oid), "tests": parsed})


def _load_questions(fw: Framework, d: dict[str, Any], compiler: Compiler) -> None:
    F = "questions.yaml"
    _keys(d, F, None, ("questions",))
    qs = d["questions"]
    if not isinstance(qs, list) or not qs:
        raise _err(F, None, '"questions" must be a non-empty list')
    for i, raw in enumerate(qs):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise _err(F, f"question #{i + 1}", 'missing required key "id"')
        qid = raw["id"]
        item = f"question {qid}"
        if qid in fw.questions_by_id:
            raise _err(F, item, "duplicate question id")
        _keys(
            raw,
            F,
            item,
            ("id", "scope", "safe", "text", "label", "type"),
            ("help", "options", "unknown_as", "min", "max", "required", "show_if", "riskier"),
        )
        q = Question()
        q.id = qid
        q.index = i
        q.scope = raw["scope"]
        if q.scope not in SCOPES:
            raise _err(F, item, f'unknown scope "{q.scope}" (expected project or custodian)')
        q.safe = raw["safe"]
        if q.safe not in fw.safes:
            raise _err(F, item, f'unknown safe "{q.safe}"')
        q.text = _str(raw["text"], F, item, "text")
        q.label = _str(raw["label"], F, item, "label")
        q.help = raw.get("help") or ""
        q.type = raw["type"]
        kind = QUESTION_TYPES.get(q.type) if isinstance(q.type, str) else None
        if kind is None:
            raise _err(F, item, f'unknown type "{q.type}" (expected {", ".join(TYPES)})')
        q.kind = kind
        q.required = raw.get("required", True)
        if not isinstance(q.required, bool):
            raise _err(F, item, '"required" must be true or false')
        q.show_if = raw.get("show_if")
        q.show_if_fn = None
        q.show_if_reads = frozenset()
        q.riskier = raw.get("riskier")
        q.min = q.max = None
        kind.load(q, raw, item)
        fw.questions.append(q)
        fw.questions_by_id[qid] = q
    compiler.questions.update(fw.questions_by_id)


def _load_definitions(fw: Framework, d: dict[str, Any], compiler: Compiler) -> None:
    F = "framework.yaml"
    defs = d.get("definitions") or {}
    if not isinstance(defs, dict):
        raise _err(F, None, '"definitions" must be a mapping')
    for name, raw in defs.items():
        item = f"definition {name}"
        _keys(raw, F, item, ("context", "label", "when"), ("group_label",))
        if raw["context"] not in SCOPES:
            raise _err(F, item, f'unknown context "{raw["context"]}" (expected project or custodian)')
        try:
            compiler.add_definition(
                str(name), raw["context"], _str(raw["label"], F, item, "label"), raw.get("group_label"), raw["when"]
            )
        except ConditionError as exc:
            raise _err(F, item, str(exc)) from None
    fw.definitions = compiler.definitions


def _compile_show_if(fw: Framework, compiler: Compiler) -> None:
    for q in fw.questions:
        if q.show_if is None:
            continue
        if q.required:
            raise _err(
                "questions.yaml", f"question {q.id}", "a question with show_if must be optional (required: false)"
            )
        try:
            fn, deps = compiler.compile(q.show_if, q.scope, False)
        except ConditionError as exc:
            raise _err("questions.yaml", f"question {q.id}", f"show_if: {exc}") from None
        if (READS_ANSWER, q.id) in deps:
            raise _err("questions.yaml", f"question {q.id}", "show_if refers to the question itself")
        q.show_if_fn = fn
        q.show_if_reads = frozenset(x for kind, x in deps if kind != READS_TIER)


_EFFECT_WORDS = ("block", "refer")


def _parse_effect(e: Any, fw: Framework, F: str, item: str | None) -> dict[str, Any]:
    if isinstance(e, str):
        if e in _EFFECT_WORDS:
            return {e: True}
        raise _err(F, item, f'unknown effect "{e}"')
    if isinstance(e, dict):
        if "raise" in e:
            if set(e) != {"raise", "to"}:
                raise _err(F, item, f"a raise effect is {{raise: SAFE, to: N}}, got {e!r}")
            safe, to = e["raise"], e["to"]
            if safe not in fw.safes:
                raise _err(F, item, f'unknown safe "{safe}"')
            if not isinstance(to, int) or isinstance(to, bool) or not 1 <= to <= fw.max_tier:
                raise _err(F, item, f"raise to must be an integer from 1 to {fw.max_tier}, got {to!r}")
            return {"raise": safe, "to": to}
        if set(e) == {"gap"}:
            if e["gap"] is True:
                return {"gap": True}
            if e["gap"] == "blocking":
                return {"gap": "blocking"}
            raise _err(F, item, f"gap must be true or blocking, got {e['gap']!r}")
        if len(e) == 1:
            ((k, v),) = e.items()
            if k in _EFFECT_WORDS and v is True:
                return {k: True}
            raise _err(F, item, f'unknown effect "{k}"')
    raise _err(F, item, f"unknown effect {e!r}")


def _load_rules(fw: Framework, d: dict[str, Any], compiler: Compiler) -> None:
    F = "rules.yaml"
    _keys(d, F, None, ("rules",))
    rules = d["rules"]
    if not isinstance(rules, list) or not rules:
        raise _err(F, None, '"rules" must be a non-empty list')
    for i, raw in enumerate(rules):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise _err(F, f"rule #{i + 1}", 'missing required key "id"')
        rid = raw["id"]
        item = f"rule {rid}"
        if rid in fw.rules_by_id:
            raise _err(F, item, "duplicate rule id")
        _keys(raw, F, item, ("id", "phase", "when", "effects", "justification", "sources"))
        r = Rule()
        r.id = rid
        r.index = i
        r.phase = raw["phase"]
        if r.phase not in (1, 2, 3) or isinstance(r.phase, bool):
            raise _err(F, item, f"phase must be 1, 2 or 3, got {r.phase!r}")
        r.condition = raw["when"]
        try:
            r.test, r.deps = compiler.compile(
                r.condition, CUSTODIAN if r.phase == 1 else PROJECT, allow_tier=(r.phase == 3)
            )
        except ConditionError as exc:
            raise _err(F, item, str(exc)) from None
        if not isinstance(raw["effects"], list) or not raw["effects"]:
            raise _err(F, item, "effects must be a non-empty list")
        r.effects = [_parse_effect(e, fw, F, item) for e in raw["effects"]]
        r.raises = tuple((e["raise"], e["to"]) for e in r.effects if "raise" in e)
        gaps = [e["gap"] for e in r.effects if "gap" in e]
        r.gap = None if not gaps else ("blocking" if "blocking" in gaps else "gap")
        r.block = any("block" in e for e in r.effects)
        r.refer = any("refer" in e for e in r.effects)
        r.justification = _str(raw["justification"], F, item, "justification")
        srcs = raw["sources"]
        if not isinstance(srcs, list) or not srcs:
            raise _err(F, item, "sources must be a non-empty list of source ids")
        for s in srcs:
            if s not in fw.sources:
                raise _err(F, item, f'unknown source "{s}"')
        r.sources = tuple(srcs)
        order = fw.questions_by_id
        r.question_deps = tuple(
            sorted(
                ((k, x) for k, x in r.deps if k in (READS_ANSWER, READS_EVERY_CUSTODIAN)),
                key=lambda t: (order[t[1]].index, t[0]),
            )
        )
        r.tier_deps = tuple(sorted(x for k, x in r.deps if k == READS_TIER))
        try:
            r.sentence = render(fw, r.condition)
        except Exception as exc:  # pragma: no cover - compile already validated
            raise _err(F, item, f"cannot render condition: {exc}") from None
        fw.rules.append(r)
        fw.rules_by_id[rid] = r


def _prepare(fw: Framework) -> None:
    """Precompute what evaluation needs."""
    for q in fw.questions:
        q.check = q.kind.make_checker(q)
    fw.project_questions = tuple(q for q in fw.questions if q.scope == PROJECT)
    fw.custodian_questions = tuple(q for q in fw.questions if q.scope == CUSTODIAN)
    fw.project_show_if = tuple(q for q in fw.project_questions if q.show_if_fn is not None)
    fw.custodian_show_if = tuple(q for q in fw.custodian_questions if q.show_if_fn is not None)
    fw.rules_by_phase = {p: tuple(r for r in fw.rules if r.phase == p) for p in (1, 2, 3)}
    raisers = tuple(r for r in fw.rules_by_phase[3] if r.raises)
    fw.phase3_fixed_raisers = tuple(r for r in raisers if not r.tier_deps)
    fw.phase3_tier_raisers = tuple(r for r in raisers if r.tier_deps)
