"""Custodians' own criteria (custodian-criteria spec, section 1).

A criteria set is ``{"id": ..., "version": "...", "rules": [...]}``, optionally with
``"framework": "ID@VERSION"``, the framework version it targets (default: the one it is
compiled against).  Its rules have the framework's rule format (``id``, ``phase``,
``when``, ``effects``, ``justification``, ``sources``) within the spec's limits: phase 1
(this custodian's answers and the project's, never another custodian's) or phase 3 (the
project, in the same fixpoint as the framework's phase-3 rules); effects that can only
make an assessment stricter; sources are the custodian's own ``{id, title, url?}``.

Compile once, evaluate many: :func:`compile_criteria` validates a set and compiles its
conditions with the framework's own compiler, so its rules are
:class:`~assessments.engine.framework.Rule` objects with a ``sentence`` like the
framework's.  ``Criteria.sha256`` is the SHA-256 of the set's canonical JSON (the set as
given, so YAML text and the same set as a dict hash alike).  :func:`cached_criteria`
compiles through a small LRU keyed by that hash, for sets that arrive inline in documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from .cache import LRU
from .canonical import canonical_json, sha256_hex, short_json
from .conditions import (
    CUSTODIAN,
    PROJECT,
    READS_ANSWER,
    READS_EVERY_CUSTODIAN,
    READS_TIER,
    Compiler,
    ConditionError,
    render,
)
from .errors import CriteriaInvalid, DefinitionProblem, FrameworkError
from .framework import Rule, _Loader, _parse_effect

if TYPE_CHECKING:
    from .framework import Framework

__all__ = [
    "Criteria",
    "CriteriaRule",
    "compile_criteria",
    "criteria_problems",
    "cached_criteria",
    "criteria_sha256",
    "CRITERIA_PHASES",
]

CRITERIA_PHASES = (1, 3)
_SET_KEYS = ("id", "version", "rules")
_RULE_KEYS = ("id", "phase", "when", "effects", "justification", "sources")
# Operators that look across custodians: a phase-1 rule must not see another custodian.
_ACROSS_CUSTODIANS = ("any_custodian", "count_custodians", "union")
_STRICTER_ONLY = (
    "criteria can only make an assessment stricter: {raise: SAFE, to: N}, {gap: true}, {gap: blocking}, refer or block"
)
# Effect names someone might reach for to relax an assessment; refused with a clear reason.
_LOWERING_WORDS = ("lower", "cancel", "unless", "override", "remove", "waive", "set", "skip", "approve", "allow")


class CriteriaRule(Rule):
    """A criteria rule.  ``sources`` holds the custodian's source ids (as a framework rule's
    holds framework source ids) and ``source_details`` the ``{id, title, url}`` of each."""

    __slots__ = ("source_details",)

    source_details: tuple[dict[str, Any], ...]


class Criteria:
    """A validated, compiled criteria set, ready to be evaluated any number of times.

    ``compiled`` is false for a set that targets another framework version: only its
    envelope was checked, it has no rules here, and evaluation reports it as ignored."""

    __slots__ = (
        "id",
        "version",
        "sha256",
        "framework_id",
        "framework_version",
        "data",
        "compiled",
        "rules",
        "phase1",
        "phase3",
        "phase3_fixed_raisers",
        "phase3_tier_raisers",
        "sources",
        "ref",
    )

    def __init__(
        self,
        data: dict[str, Any],
        sha256: str,
        framework_id: str,
        framework_version: str,
        rules: tuple[CriteriaRule, ...],
        compiled: bool,
    ) -> None:
        self.data = data
        self.id: str = data["id"]
        self.version: str = data["version"]
        self.sha256 = sha256
        self.framework_id = framework_id
        self.framework_version = framework_version
        self.compiled = compiled
        self.rules = rules
        # Split once here, the way evaluation reads them, so evaluating stays cheap.
        self.phase1 = tuple(r for r in rules if r.phase == 1)
        self.phase3 = tuple(r for r in rules if r.phase == 3)
        raisers = tuple(r for r in self.phase3 if r.raises)
        self.phase3_fixed_raisers = tuple(r for r in raisers if not r.tier_deps)
        self.phase3_tier_raisers = tuple(r for r in raisers if r.tier_deps)
        self.sources: dict[str, dict[str, Any]] = {}
        for r in rules:
            for s in r.source_details:
                self.sources.setdefault(s["id"], s)
        self.ref = {"id": self.id, "version": self.version, "sha256": sha256}

    def __repr__(self) -> str:
        return f"<Criteria {self.id} v{self.version} {self.sha256[:12]}>"

    @property
    def framework(self) -> str:
        return f"{self.framework_id}@{self.framework_version}"

    def applies_to(self, fw: Framework) -> bool:
        """Whether this set targets ``fw``'s framework version (otherwise it is not used)."""
        return self.compiled and (fw.id, fw.version) == (self.framework_id, self.framework_version)

    def as_dict(self) -> dict[str, Any]:
        """The set as given (what ``sha256`` is the hash of)."""
        return self.data


def criteria_sha256(data: Any) -> str:
    """The SHA-256 of a criteria set's canonical JSON (raises TypeError/ValueError if the set
    holds values JSON cannot represent)."""
    return sha256_hex(canonical_json(data))


def criteria_problems(fw: Framework, source: Mapping[str, Any] | str) -> list[DefinitionProblem]:
    """Every problem of a criteria set (a mapping, or YAML/JSON text) for ``fw``."""
    return _build(fw, source)[0]


def compile_criteria(fw: Framework, source: Mapping[str, Any] | str) -> Criteria:
    """Validate and compile a criteria set (a mapping, or YAML/JSON text); raises
    :class:`CriteriaInvalid` listing every problem."""
    problems, criteria = _build(fw, source)
    if problems or criteria is None:
        raise CriteriaInvalid(problems)
    return criteria


_cache: LRU[Criteria] = LRU(256)


def cached_criteria(fw: Framework, data: Mapping[str, Any]) -> Criteria:
    """:func:`compile_criteria` through an LRU keyed by (framework SHA-256, set SHA-256): the
    same inline set, in document after document, is compiled once."""
    try:
        key = (fw.sha256, criteria_sha256(data))
    except (TypeError, ValueError):
        return compile_criteria(fw, data)  # not JSON: compiling reports why
    criteria = _cache.get(key)
    if criteria is None:
        criteria = compile_criteria(fw, data)
        _cache.put(key, criteria)
    return criteria


# ---------------------------------------------------------------------- building


def _parse(source: Mapping[str, Any] | str, problems: list[DefinitionProblem]) -> Any:
    if not isinstance(source, str):
        return source
    try:
        return yaml.load(source, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(DefinitionProblem(None, None, f"malformed YAML{where}: {problem}"))
        return None


def _build(fw: Framework, source: Mapping[str, Any] | str) -> tuple[list[DefinitionProblem], Criteria | None]:
    problems: list[DefinitionProblem] = []
    data = _parse(source, problems)
    if problems:
        return problems, None
    if not isinstance(data, Mapping):
        return [
            DefinitionProblem(
                None, None, f"a criteria set is a mapping with id, version and rules, got {short_json(data)}"
            )
        ], None
    data = dict(data)
    _check_envelope(data, problems)
    target = _target(fw, data, problems)
    here = target == (fw.id, fw.version)
    rules: tuple[CriteriaRule, ...] = ()
    if here and isinstance(data.get("rules"), list):
        rules = _RuleChecker(fw).rules(data["rules"], problems)
    if problems or target is None:
        return problems, None
    try:
        text = canonical_json(data)
    except (TypeError, ValueError) as exc:
        return [DefinitionProblem(None, None, f"not representable as JSON: {exc}")], None
    data = json.loads(text)  # a copy: the caller's may change later
    sha = sha256_hex(text)
    # A set for another framework version is not checked here (its questions may not
    # exist): it is reported as ignored, and checked where it is used.
    return [], Criteria(data, sha, target[0], target[1], rules, compiled=here)


def _check_envelope(data: dict[str, Any], problems: list[DefinitionProblem]) -> None:
    for k in _SET_KEYS:
        if k not in data:
            problems.append(DefinitionProblem(None, None, f'missing "{k}"'))
    for k in data:
        if k not in _SET_KEYS and k != "framework":
            problems.append(DefinitionProblem(None, None, f'unknown key "{k}"'))
    if "id" in data and not _text(data["id"]):
        problems.append(DefinitionProblem(None, None, f'"id" must be a non-empty string, got {short_json(data["id"])}'))
    if "version" in data and not _text(data["version"]):
        problems.append(
            DefinitionProblem(
                None, None, f'"version" must be a non-empty string (quote it), got {short_json(data["version"])}'
            )
        )
    if "rules" in data and not isinstance(data["rules"], list):
        problems.append(DefinitionProblem(None, None, f'"rules" must be a list, got {short_json(data["rules"])}'))


def _target(fw: Framework, data: dict[str, Any], problems: list[DefinitionProblem]) -> tuple[str, str] | None:
    spec = data.get("framework")
    if spec is None:
        return fw.id, fw.version
    if isinstance(spec, str) and spec.count("@") == 1:
        fid, version = spec.split("@")
        if fid and version:
            return fid, version
    problems.append(
        DefinitionProblem(
            None, None, f'"framework" must be "ID@VERSION" (e.g. "{fw.id}@{fw.version}"), got {short_json(spec)}'
        )
    )
    return None


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


class _RuleChecker:
    """Checks and compiles the rules of one set, collecting every problem."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        self.compiler: Compiler = fw.condition_compiler()
        self.seen: dict[str, int] = {}  # rule id -> position
        self.sources: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (first rule, source)

    def rules(self, raws: list[Any], problems: list[DefinitionProblem]) -> tuple[CriteriaRule, ...]:
        out = []
        for i, raw in enumerate(raws):
            rule = self.rule(raw, i, problems)
            if rule is not None:
                out.append(rule)
        return tuple(out)

    def rule(self, raw: Any, i: int, problems: list[DefinitionProblem]) -> CriteriaRule | None:
        rid = raw.get("id") if isinstance(raw, dict) else None
        item = f"rule {rid}" if _text(rid) else f"rule #{i + 1}"
        if not isinstance(raw, dict):
            problems.append(
                DefinitionProblem(item, i, f"a rule is a mapping with {', '.join(_RULE_KEYS)}, got {short_json(raw)}")
            )
            return None
        found: list[str] = []
        found.extend(f'missing "{k}"' for k in _RULE_KEYS if k not in raw)
        found.extend(f'unknown key "{k}"' for k in raw if k not in _RULE_KEYS)
        r = CriteriaRule()
        r.index = i
        r.id = self._id(rid, i, found) if "id" in raw else ""
        phase = self._phase(raw["phase"], found) if "phase" in raw else None
        if "when" in raw and phase is not None:
            self._condition(r, raw["when"], phase, found)
        if "effects" in raw:
            self._effects(r, raw["effects"], found)
        if "justification" in raw:
            if _text(raw["justification"]):
                r.justification = raw["justification"]
            else:
                found.append(
                    f"missing justification: it must be a non-empty string, got {short_json(raw['justification'])}"
                )
        if "sources" in raw:
            self._sources(r, raw["sources"], item, found)
        problems.extend(DefinitionProblem(item, i, m) for m in found)
        return None if found else r

    def _id(self, rid: Any, i: int, found: list[str]) -> str:
        if not _text(rid):
            found.append(f'"id" must be a non-empty string, got {short_json(rid)}')
            return ""
        if rid in self.fw.rules_by_id:
            found.append(
                f'id "{rid}" is the id of a framework rule; criteria rule ids must differ from the framework\'s'
            )
        elif rid in self.seen:
            found.append(f"duplicate rule id (also rule #{self.seen[rid] + 1})")
        else:
            self.seen[rid] = i
        return str(rid)

    @staticmethod
    def _phase(phase: Any, found: list[str]) -> int | None:
        if phase == 2 and not isinstance(phase, bool):
            found.append(
                "phase 2 is not allowed in criteria (it combines custodians); use "
                "phase 1 for this custodian's data or phase 3 for the project"
            )
            return None
        if phase not in CRITERIA_PHASES or isinstance(phase, bool):
            found.append(f"phase must be 1 or 3, got {short_json(phase)}")
            return None
        return int(phase)

    def _condition(self, r: CriteriaRule, when: Any, phase: int, found: list[str]) -> None:
        r.phase = phase
        r.condition = when
        if phase == 1:
            across = _reads_every_custodian(self.fw, when)
            if across is not None:
                found.append(
                    f"when: {across} reads every custodian's answers; a phase-1 "
                    f"criteria rule sees only its own custodian's answers and the "
                    f"project answers (look across custodians in phase 3)"
                )
                return
        try:
            r.test, r.deps = self.compiler.compile(when, CUSTODIAN if phase == 1 else PROJECT, allow_tier=(phase == 3))
        except ConditionError as exc:
            found.append(f"when: {exc}")
            return
        if phase == 1 and any(kind == READS_EVERY_CUSTODIAN for kind, _ in r.deps):
            # The compiler refuses these in the custodian context; kept as the last word.
            found.append("when: a phase-1 criteria rule may not read other custodians' answers")
            return
        order = self.fw.questions_by_id
        r.question_deps = tuple(
            sorted(
                ((k, x) for k, x in r.deps if k in (READS_ANSWER, READS_EVERY_CUSTODIAN)),
                key=lambda t: (order[t[1]].index, t[0]),
            )
        )
        r.tier_deps = tuple(sorted(x for k, x in r.deps if k == READS_TIER))
        r.sentence = render(self.fw, when)

    def _effects(self, r: CriteriaRule, effects: Any, found: list[str]) -> None:
        if not isinstance(effects, list) or not effects:
            found.append(f"effects must be a non-empty list; {_STRICTER_ONLY}")
            return
        parsed = []
        for e in effects:
            word = _lowering_word(e)
            if word is not None:
                found.append(f'effect "{word}" could lower a tier or cancel a framework rule; {_STRICTER_ONLY}')
                continue
            try:
                parsed.append(_parse_effect(e, self.fw, "criteria", None))
            except FrameworkError as exc:
                hint = f"; {_STRICTER_ONLY}" if exc.problem.startswith("unknown effect") else ""
                found.append(exc.problem + hint)
        r.effects = parsed
        r.raises = tuple((e["raise"], e["to"]) for e in parsed if "raise" in e)
        gaps = [e["gap"] for e in parsed if "gap" in e]
        r.gap = None if not gaps else ("blocking" if "blocking" in gaps else "gap")
        r.block = any("block" in e for e in parsed)
        r.refer = any("refer" in e for e in parsed)

    def _sources(self, r: CriteriaRule, sources: Any, item: str, found: list[str]) -> None:
        if not isinstance(sources, list) or not sources:
            found.append(f"sources must be a non-empty list of {{id, title, url?}}, got {short_json(sources)}")
            return
        details: list[dict[str, Any]] = []
        for n, s in enumerate(sources, 1):
            problem = _source_problem(s)
            if problem is not None:
                found.append(f"sources #{n}: {problem}")
                continue
            source = {"id": s["id"], "title": s["title"], "url": s.get("url")}
            if any(d["id"] == source["id"] for d in details):
                found.append(f'sources #{n}: source "{source["id"]}" is listed twice')
                continue
            first = self.sources.setdefault(source["id"], (item, source))
            if first[1] != source:
                found.append(f'sources #{n}: source "{source["id"]}" differs from the one of the same id in {first[0]}')
                continue
            details.append(source)
        r.sources = tuple(d["id"] for d in details)
        r.source_details = tuple(details)


def _source_problem(s: Any) -> str | None:
    if not isinstance(s, dict):
        return f"a source is {{id, title, url?}}, got {short_json(s)}"
    extra = [k for k in s if k not in ("id", "title", "url")]
    if extra:
        return f'unknown key "{extra[0]}" (a source is {{id, title, url?}})'
    for k in ("id", "title"):
        if not _text(s.get(k)):
            return f'"{k}" must be a non-empty string, got {short_json(s.get(k))}'
    url = s.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        return f'"url" must be an http(s) address, got {short_json(url)}'
    return None


def _lowering_word(e: Any) -> str | None:
    if isinstance(e, str):
        return e if e in _LOWERING_WORDS else None
    if isinstance(e, dict):
        for k in e:
            if k in _LOWERING_WORDS:
                return str(k)
    return None


def _reads_every_custodian(fw: Framework, cond: Any) -> str | None:
    """The first part of ``cond`` that reads every custodian's answers, named for a message."""
    if isinstance(cond, dict):
        for k, v in cond.items():
            if k in _ACROSS_CUSTODIANS:
                return f'"{k}"'
            if k == "ref" and isinstance(v, str):
                d = fw.definitions.get(v)
                if d is not None and d.context == PROJECT:
                    return f'the definition "{v}"'
            found = _reads_every_custodian(fw, v)
            if found is not None:
                return found
    elif isinstance(cond, list):
        for v in cond:
            found = _reads_every_custodian(fw, v)
            if found is not None:
                return found
    return None
