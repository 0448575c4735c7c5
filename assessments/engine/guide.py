"""A framework version's guide: the texts that explain it, kept beside it, outside its hash.

A version's questions and rules are immutable: decision records cite the SHA-256 of its
top-level ``*.yaml`` files (:func:`~assessments.engine.framework.load_framework_dir`).
Explanations can improve after a version is published, so they live in the version
folder's ``guide/guide.yaml``, a subfolder that hash never reads, and have a hash of
their own (:func:`guide_sha256`, over the guide's canonical JSON, as for criteria sets).

A guide belongs to the version whose folder holds it and is checked against that version's
questions, rules, sets and sources (a copy of the folder loaded as another version checks
it again there).  It holds (format: ``fixtures/frameworks/README.md``)::

    phases:   [{phase, label, description}]     1, 2 and 3, in plain words
    labels:   {sets, definitions, effects, scopes, control_status, overall}
    glossary: [{id, term, definition, source?, see_also?, aka?}]
    controls: [{id, safe, tier, text, in_place?, context?, rule?, confirmed_by?}]

``controls`` is the framework's table of required controls as data: each control belongs
to one safe and the lowest tier that requires it (a tier also requires every control of
the tiers below).  ``in_place`` is a condition in the framework's own language, compiled
with the framework's compiler, saying from the answers whether the control is in place;
a control the questionnaire does not ask about has none (the TRE or the process confirms
it).  ``context: custodian`` evaluates it for each custodian, on that custodian's answers
plus the project's; otherwise it is a project-level condition.  ``rule`` names the
framework rule(s) that turn the control's absence into a condition of approval.

:func:`controls_for` lists, for each safe, the controls a result's tier requires and
whether each is in place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from .canonical import canonical_json, sha256_hex
from .conditions import CUSTODIAN, PROJECT, READS_TIER, ConditionError, Env, Test, render
from .documents import normalise
from .errors import DocumentInvalid, framework_error
from .framework import _Loader

if TYPE_CHECKING:
    from .framework import Framework

__all__ = [
    "Guide",
    "GuideControl",
    "GuideTerm",
    "GUIDE_PATH",
    "load_guide",
    "load_guide_dir",
    "guide_sha256",
    "controls_for",
    "CONTROL_LEVELS",
]

# Where a version folder keeps its guide: in a subfolder, which the version's hash never reads.
GUIDE_PATH = os.path.join("guide", "guide.yaml")
_F = "guide/guide.yaml"  # how errors name the file

_TOP_KEYS = ("phases", "glossary", "controls")
_TOP_OPTIONAL = ("labels", "note", "approval")
_PHASES = (1, 2, 3)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The label sections a guide may hold, and the keys each accepts (None: names the framework
# defines, checked against it).
_LABEL_KEYS: dict[str, tuple[str, ...] | None] = {
    "sets": None,
    "definitions": None,
    "effects": ("raise", "gap", "blocking_gap", "block", "refer"),
    "scopes": (PROJECT, CUSTODIAN),
    "control_status": ("in_place", "missing", "not_asked"),
}
# Which tier a safe's controls are listed for: the overall tier (what the framework's rules
# test, "T ≥ 3") or the safe's own tier.
CONTROL_LEVELS = ("overall", "safe")


class GuideTerm:
    """One glossary entry.  ``source`` is ``{id?, title, url}`` (a framework source or one of
    the guide's own) or None."""

    __slots__ = ("id", "term", "definition", "source", "see_also", "aka")

    def __init__(
        self,
        id: str,
        term: str,
        definition: str,
        source: dict[str, Any] | None,
        see_also: tuple[str, ...],
        aka: tuple[str, ...],
    ) -> None:
        self.id = id
        self.term = term
        self.definition = definition
        self.source = source
        self.see_also = see_also
        self.aka = aka

    def __repr__(self) -> str:
        return f"<GuideTerm {self.id}>"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "term": self.term,
            "definition": self.definition,
            "source": self.source,
            "see_also": list(self.see_also),
            "aka": list(self.aka),
        }


class GuideControl:
    """One required control: its safe, the lowest tier that requires it, and, when the
    questionnaire can tell, the compiled condition that says it is in place."""

    __slots__ = (
        "id",
        "safe",
        "tier",
        "text",
        "in_place",
        "context",
        "test",
        "reads",
        "sentence",
        "rules",
        "confirmed_by",
    )

    id: str
    safe: str
    tier: int
    text: str
    in_place: Any  # the condition as written, or None: not asked
    context: str | None  # PROJECT or CUSTODIAN; None when not asked
    test: Test | None
    reads: frozenset[str]  # the question ids the condition reads
    sentence: str | None  # the condition in words
    rules: tuple[str, ...]
    confirmed_by: str | None

    def __repr__(self) -> str:
        return f"<GuideControl {self.id} {self.safe} {self.tier}>"


class Guide:
    """A validated guide for one framework version."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.text: str | None = None
        self.sha256 = ""
        self.framework = ""  # "id@version"
        self.framework_sha256 = ""  # the version it was compiled against
        self.phases: dict[int, dict[str, str]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.overall_label = "overall"
        self.glossary: list[GuideTerm] = []
        self.terms: dict[str, GuideTerm] = {}
        self.controls: list[GuideControl] = []
        self.controls_by_safe: dict[str, tuple[GuideControl, ...]] = {}
        # Longest approval, in months, from an overall tier up (none: the project's end).
        self.approval_months: dict[int, int] = {}
        self.approval_source: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<Guide {self.framework} {self.sha256[:12]}>"

    def phase_label(self, phase: int) -> str:
        return self.phases[phase]["label"]

    def term(self, term_id: str) -> GuideTerm | None:
        return self.terms.get(term_id)

    def glossary_sorted(self) -> list[GuideTerm]:
        """The glossary alphabetically, as a reader looks a term up."""
        return sorted(self.glossary, key=lambda t: (t.term.casefold(), t.id))

    def label(self, section: str, key: str, default: str | None = None) -> str:
        """A label of one section (``effects``, ``scopes``, ``control_status``, ...)."""
        return self.labels.get(section, {}).get(key, default if default is not None else key)

    def set_label(self, framework: Framework, name: str) -> str:
        """A named set in words: framework.yaml's label, else the guide's, else its name."""
        own = framework.sets[name]["label"]
        if own != name:
            return str(own)
        return self.labels.get("sets", {}).get(name, name)

    def definition_label(self, framework: Framework, name: str) -> str:
        own = framework.definitions[name].label
        return own or self.labels.get("definitions", {}).get(name, name)

    def status_text(self, in_place: bool | None) -> str:
        key = "not_asked" if in_place is None else ("in_place" if in_place else "missing")
        return self.label("control_status", key, {"in_place": "in place", "missing": "not in place"}.get(key, key))

    def approval_limit(self, tier: int) -> int | None:
        """The longest an approval at this overall tier may last, in months, or None.

        Limits are cumulative like controls: a tier has its own and every lower tier's."""
        found = [months for level, months in self.approval_months.items() if level <= tier]
        return min(found) if found else None

    def as_dict(self) -> dict[str, Any]:
        """The guide as given (what ``sha256`` is the hash of)."""
        return self.data


def guide_sha256(data: Mapping[str, Any]) -> str:
    """SHA-256 of a guide's canonical JSON: the same guide as YAML or as a dict hashes alike."""
    return sha256_hex(canonical_json(data))


def load_guide_dir(framework: Framework, path: str | os.PathLike[str]) -> Guide | None:
    """The guide in a version folder's ``guide/guide.yaml``, or None when it has none."""
    file = os.path.join(os.fspath(path), GUIDE_PATH)
    if not os.path.isfile(file):
        return None
    with open(file, encoding="utf-8") as fh:
        return load_guide(framework, fh.read())


def load_guide(framework: Framework, text_or_data: str | Mapping[str, Any]) -> Guide:
    """Validate a guide (YAML text or an already parsed mapping) against ``framework``.

    Raises :class:`FrameworkError` naming ``guide/guide.yaml``, the item (``control
    settings-3-no-download``, ``term tre``, ``phase 2``, ...) and the problem."""
    g = Guide()
    if isinstance(text_or_data, str):
        g.text = text_or_data
        try:
            data = yaml.load(text_or_data, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise framework_error(_F, None, f"malformed YAML{where}: {problem}") from None
    else:
        data = text_or_data
    if not isinstance(data, dict):
        raise framework_error(_F, None, "expected a mapping at the top level")
    _keys(data, None, _TOP_KEYS, _TOP_OPTIONAL)
    try:
        g.sha256 = guide_sha256(data)
    except (TypeError, ValueError) as exc:
        raise framework_error(_F, None, f"a guide holds plain text, numbers, lists and mappings only ({exc})") from None
    g.data = dict(data)
    g.framework = f"{framework.id}@{framework.version}"
    g.framework_sha256 = framework.sha256
    _load_phases(g, data["phases"])
    _load_labels(g, framework, data.get("labels") or {})
    _load_glossary(g, framework, data["glossary"])
    _load_controls(g, framework, data["controls"])
    _load_approval(g, framework, data.get("approval"))
    return g


# ---------------------------------------------------------------------- validation


def _keys(obj: Any, item: str | None, required: Sequence[str], optional: Sequence[str] = ()) -> None:
    if not isinstance(obj, dict):
        raise framework_error(_F, item, f"expected a mapping, got {type(obj).__name__}")
    for k in required:
        if k not in obj:
            raise framework_error(_F, item, f'missing required key "{k}"')
    extra = [k for k in obj if k not in required and k not in optional]
    if extra:
        raise framework_error(_F, item, f'unknown key "{extra[0]}"')


def _text(v: Any, item: str | None, key: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise framework_error(_F, item, f'"{key}" must be a non-empty string, got {v!r}')
    return v.strip()


def _list(v: Any, item: str | None, what: str) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise framework_error(_F, item, f'"{what}" must be a non-empty list')
    return v


def _load_phases(g: Guide, raw: Any) -> None:
    for entry in _list(raw, None, "phases"):
        n = entry.get("phase") if isinstance(entry, dict) else None
        item = f"phase {n}"
        _keys(entry, item, ("phase", "label"), ("description",))
        if n not in _PHASES or isinstance(n, bool) or n in g.phases:
            raise framework_error(_F, item, "phases are 1, 2 and 3, each listed once")
        g.phases[n] = {
            "label": _text(entry["label"], item, "label"),
            "description": _text(entry["description"], item, "description") if "description" in entry else "",
        }
    missing = [n for n in _PHASES if n not in g.phases]
    if missing:
        raise framework_error(_F, f"phase {missing[0]}", "missing: every phase needs a label")


def _load_labels(g: Guide, fw: Framework, raw: Any) -> None:
    _keys(raw, "labels", (), (*_LABEL_KEYS, "overall"))
    if "overall" in raw:
        g.overall_label = _text(raw["overall"], "labels", "overall")
    known: dict[str, Sequence[str]] = {"sets": tuple(fw.sets), "definitions": tuple(fw.definitions)}
    for section, allowed in _LABEL_KEYS.items():
        entries = raw.get(section) or {}
        item = f"labels {section}"
        if not isinstance(entries, dict):
            raise framework_error(_F, item, "expected a mapping of name to label")
        names = allowed if allowed is not None else known[section]
        out: dict[str, str] = {}
        for name, label in entries.items():
            if name not in names:
                raise framework_error(_F, item, f'unknown {section[:-1].replace("_", " ")} "{name}"')
            out[str(name)] = _text(label, f"{item} {name}", "label")
        g.labels[section] = out
    # Nothing a person reads may be an internal name: each set the framework leaves
    # unlabelled (its label defaults to its name) needs a label here.
    for name, s in fw.sets.items():
        if s["label"] == name and name not in g.labels["sets"]:
            raise framework_error(_F, "labels sets", f'set "{name}" has no label in framework.yaml: give it one here')


def _source(fw: Framework, raw: Any, item: str) -> dict[str, Any] | None:
    """A framework source id, or the guide's own ``{title, url?}``."""
    if raw is None:
        return None
    if isinstance(raw, str):
        s = fw.sources.get(raw)
        if s is None:
            raise framework_error(_F, item, f'unknown source "{raw}" (framework sources: {", ".join(fw.sources)})')
        return {"id": s["id"], "title": s["title"], "url": s.get("url")}
    _keys(raw, item, ("title",), ("url",))
    url = raw.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        raise framework_error(_F, item, f'source url must be an https:// address, got "{url}"')
    return {"id": None, "title": _text(raw["title"], item, "title"), "url": url}


def _load_glossary(g: Guide, fw: Framework, raw: Any) -> None:
    for i, entry in enumerate(_list(raw, None, "glossary")):
        tid = entry.get("id") if isinstance(entry, dict) else None
        item = f"term {tid}" if isinstance(tid, str) else f"term #{i + 1}"
        _keys(entry, item, ("id", "term", "definition"), ("source", "see_also", "aka"))
        if not isinstance(tid, str) or not _ID.match(tid):
            raise framework_error(_F, item, "a term id is lower-case words joined by hyphens, e.g. motivated-intruder")
        if tid in g.terms:
            raise framework_error(_F, item, "duplicate term id")
        see_also = entry.get("see_also") or []
        aka = entry.get("aka") or []
        if not isinstance(see_also, list) or not all(isinstance(x, str) for x in see_also):
            raise framework_error(_F, item, '"see_also" must be a list of term ids')
        if not isinstance(aka, list) or not all(isinstance(x, str) and x.strip() for x in aka):
            raise framework_error(_F, item, '"aka" must be a list of other names')
        term = GuideTerm(
            tid,
            _text(entry["term"], item, "term"),
            _text(entry["definition"], item, "definition"),
            _source(fw, entry.get("source"), item),
            tuple(see_also),
            tuple(aka),
        )
        g.glossary.append(term)
        g.terms[tid] = term
    for term in g.glossary:
        for other in term.see_also:
            if other not in g.terms or other == term.id:
                raise framework_error(_F, f"term {term.id}", f'see_also: unknown term "{other}"')


def _load_controls(g: Guide, fw: Framework, raw: Any) -> None:
    compiler = fw.condition_compiler()
    seen: set[str] = set()
    for i, entry in enumerate(_list(raw, None, "controls")):
        cid = entry.get("id") if isinstance(entry, dict) else None
        item = f"control {cid}" if isinstance(cid, str) else f"control #{i + 1}"
        _keys(entry, item, ("id", "safe", "tier", "text"), ("in_place", "context", "rule", "confirmed_by"))
        if not isinstance(cid, str) or not _ID.match(cid):
            raise framework_error(_F, item, "a control id is lower-case words joined by hyphens")
        if cid in seen:
            raise framework_error(_F, item, "duplicate control id")
        seen.add(cid)
        c = GuideControl()
        c.id = cid
        c.safe = entry["safe"]
        if c.safe not in fw.safes:
            raise framework_error(_F, item, f'unknown safe "{c.safe}" (safes: {", ".join(fw.safes)})')
        c.tier = entry["tier"]
        if not isinstance(c.tier, int) or isinstance(c.tier, bool) or not 1 <= c.tier <= fw.max_tier:
            raise framework_error(_F, item, f"tier must be an integer from 1 to {fw.max_tier}, got {c.tier!r}")
        c.text = _text(entry["text"], item, "text")
        rules = entry.get("rule")
        c.rules = tuple(rules) if isinstance(rules, list) else ((rules,) if rules is not None else ())
        for rid in c.rules:
            if not isinstance(rid, str) or rid not in fw.rules_by_id:
                raise framework_error(_F, item, f'unknown rule "{rid}"')
        c.in_place = entry.get("in_place")
        c.confirmed_by = None
        if c.in_place is None:
            if "context" in entry:
                raise framework_error(_F, item, "context is only for a control with an in_place condition")
            c.context, c.test, c.reads, c.sentence = None, None, frozenset(), None
            if "confirmed_by" in entry:
                c.confirmed_by = _text(entry["confirmed_by"], item, "confirmed_by")
        else:
            if "confirmed_by" in entry:
                raise framework_error(
                    _F, item, "confirmed_by is for controls the questionnaire does not ask about (no in_place)"
                )
            context = entry.get("context", PROJECT)
            if context not in (PROJECT, CUSTODIAN):
                raise framework_error(_F, item, f'unknown context "{context}" (expected project or custodian)')
            c.context = context
            try:
                c.test, deps = compiler.compile(c.in_place, context, allow_tier=False)
            except ConditionError as exc:
                raise framework_error(_F, item, f"in_place: {exc}") from None
            c.reads = frozenset(x for kind, x in deps if kind != READS_TIER)
            c.sentence = render(fw, c.in_place)
        g.controls.append(c)
    g.controls_by_safe = {s: tuple(c for c in g.controls if c.safe == s) for s in fw.safes}


def _load_approval(g: Guide, fw: Framework, raw: Any) -> None:
    if raw is None:
        return
    _keys(raw, "approval", ("longest",), ("source",))
    for entry in _list(raw["longest"], "approval", "longest"):
        _keys(entry, "approval", ("tier", "months"))
        tier, months = entry["tier"], entry["months"]
        if not isinstance(tier, int) or isinstance(tier, bool) or not 0 <= tier <= fw.max_tier:
            raise framework_error(_F, "approval", f"longest: tier must be 0 to {fw.max_tier}, got {tier!r}")
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise framework_error(_F, "approval", f"longest: tier {tier} needs a whole number of months, at least 1")
        g.approval_months[tier] = months
    if "source" in raw:
        g.approval_source = _source(fw, raw["source"], "approval")


# ---------------------------------------------------------------------- controls of a result


def controls_for(
    framework: Framework,
    guide: Guide,
    result: Mapping[str, Any],
    document: Any,
    *,
    level: str = "overall",
) -> list[dict[str, Any]]:
    """For each safe, the controls its tier requires (cumulative) and whether each is in place.

    ``level="overall"`` (the default) lists every safe's controls for the overall tier,
    as the framework's rules require them ("T ≥ 3": a tier-3 project needs accredited
    people and a TRE whatever its people and settings tiers); ``level="safe"`` uses each
    safe's own tier.  ``in_place`` is True or False from the document's effective answers
    (``unknown`` counts as its worst value), or None when the questionnaire does not ask;
    a custodian-level control is in place only if it is for every custodian, and
    ``lacking`` names those for which it is not.  ``rule_fired`` says whether a rule that
    turns the control's absence into a condition fired in ``result``."""
    if level not in CONTROL_LEVELS:
        raise ValueError(f"level must be one of {', '.join(CONTROL_LEVELS)}, got {level!r}")
    if guide.framework_sha256 != framework.sha256:
        raise ValueError(f"this guide was loaded for another framework version ({guide.framework})")
    result_sha = (result.get("framework") or {}).get("sha256")
    if result_sha is not None and result_sha != framework.sha256:
        raise ValueError("the result was evaluated under another framework version")
    problems, norm = normalise(framework, document)
    if problems or norm is None:
        raise DocumentInvalid(problems)
    custodians = [Env(answers) for answers in norm.custodians]
    project = Env(norm.project, custodians)
    unknown = {(a["custodian"], a["question"]) for a in norm.assumed_worst}
    fired = set(result.get("fired") or ())
    overall = int(result["overall"])
    out = []
    for safe in framework.safes:
        safe_tier = int(result["tiers"][safe])
        reached = overall if level == "overall" else safe_tier
        entries = [
            _control(c, project, custodians, norm.names, unknown, fired)
            for c in guide.controls_by_safe.get(safe, ())
            if c.tier <= reached
        ]
        out.append(
            {
                "safe": safe,
                "label": framework.safe_labels[safe],
                "tier": reached,
                "tier_name": framework.tier_name(reached),
                "safe_tier": safe_tier,
                "controls": entries,
                "in_place": sum(1 for e in entries if e["in_place"] is True),
                "missing": sum(1 for e in entries if e["in_place"] is False),
                "not_asked": sum(1 for e in entries if e["in_place"] is None),
            }
        )
    return out


def _control(
    c: GuideControl,
    project: Env,
    custodians: Sequence[Env],
    names: Sequence[str],
    unknown: set[tuple[str | None, str]],
    fired: set[str],
) -> dict[str, Any]:
    lacking: list[str] = []
    assumed: set[tuple[str | None, str]] = set()
    in_place: bool | None
    if c.test is None:
        in_place = None
    elif c.context == CUSTODIAN:
        for name, env in zip(names, custodians, strict=True):
            if not c.test(env):
                lacking.append(name)
                assumed |= {(who, q) for who, q in unknown if q in c.reads and who in (name, None)}
        in_place = not lacking
    else:
        in_place = bool(c.test(project))
        if not in_place:
            assumed = {(who, q) for who, q in unknown if q in c.reads}
    return {
        "id": c.id,
        "text": c.text,
        "tier": c.tier,
        "in_place": in_place,
        "context": c.context,
        "lacking": lacking,
        # the answers "unknown" that, counted as their worst, leave the control missing
        "assumed_worst": [
            {"custodian": who, "question": q} for who, q in sorted(assumed, key=lambda u: (u[0] or "", u[1]))
        ],
        "sentence": c.sentence,
        "rule": c.rules[0] if c.rules else None,
        "rules": list(c.rules),
        "rule_fired": any(r in fired for r in c.rules) if c.rules else None,
        "confirmed_by": c.confirmed_by,
    }
