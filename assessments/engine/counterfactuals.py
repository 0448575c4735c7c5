"""What would change the result: the smallest changes of answers that lower a safe's tier, and
for a ``refer`` or ``not_approvable`` outcome, those that make the project approvable.

Nothing here knows a rule. Every suggestion comes from re-running the engine's own phases on
the document with one answer (or two) replaced by a less risky one, and keeping the changes
that help. Which answers are worth trying comes from what the compiled conditions record they
read (``Rule.question_deps``, plus each question's ``show_if_reads``), and, for a rule that
reads a tier, from the rules that raised that tier.

Less risky means: an enum or bool option listed before the current one (options are listed
lowest risk first; ``unknown`` counts as the question's worst answer); a multi answer with one
option removed, or ``["none"]``; an int question that declares ``riskier``, moved just past
the nearest thresholds (at most three) that the rules compare it with, on the less risky
side and within its limits. A change is never suggested if the changed question would then be
hidden by its ``show_if`` (its answer would be ignored); answers are only replaced, never
removed, so every required answer stays.

How the search is bounded:

* Targets: each safe above tier 0, and (for an outcome that is not approvable) approvability.
  A target lists the firings that must all stop: the rules that raised the safe to its tier,
  or those behind each test of an outcome that is not approvable.
* Single changes: only answers that could stop *every* such firing. A firing whose answers
  are all untouched still fires, unless it reads a tier that could fall, which is checked the
  same way, recursively. Each answer has at most its number of options (or three thresholds)
  to try.
* Pairs: only with ``max_changes=2`` and only for a target that no single change reaches,
  over the answers the target's firings (and the firings that raised the tiers they read)
  read, with the same test applied to the pair. A firing that reads no tier depends only on
  the answers it reads, so if just one change of a pair touches them, the pair stops it only
  if that change alone did: pairs failing that are not run.
* At most ``max_evaluations`` (default 150) runs in all, shared by every target; the same
  change set is never run twice. A target cut short by the budget says so
  (``complete: false``).

Each run reuses the document's already checked answers: only the show-if step of
normalisation and the three phases run again (40–150 µs for three custodians on the
development machine, depending on how many rules fire). Random documents of 1 to 10
custodians needed at most 86 runs (median 8–13), so the budget is rarely reached and caps the
worst case near 150 × 150 µs ≈ 25 ms, half the 50 ms target (``bench/counterfactuals.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .additions import custodian_additions
from .appetite import DEFAULT_APPETITE, route_for
from .conditions import READS_EVERY_CUSTODIAN
from .documents import Normalised, _level_answers, _normalised, normalise
from .errors import DocumentInvalid, Problem
from .evaluation import Firing, Run, answers_sha256, run_phases

if TYPE_CHECKING:
    from .appetite import Appetite
    from .criteria import Criteria
    from .framework import Framework, Question, Rule

__all__ = ["counterfactuals", "apply_changes", "MAX_EVALUATIONS"]

MAX_EVALUATIONS = 150
MAX_INT_THRESHOLDS = 3
PROJECT_LEVEL = -1  # a slot's level for a project answer; custodians are 0, 1, ...

# Whose answer (PROJECT_LEVEL or a custodian index) and which question.
Slot = tuple[int, str]
_CustodianData = tuple[str, dict[str, Any], dict[str, Any], set[str]]


@dataclass(frozen=True)
class _Change:
    slot: Slot
    raw: Any  # the answer as the exchange format writes it
    effective: Any  # as the engine evaluates it
    nearness: int  # 0 = the nearest less risky answer to the current one

    @property
    def key(self) -> tuple[Slot, Any]:
        return self.slot, tuple(self.raw) if isinstance(self.raw, list) else self.raw


def counterfactuals(
    framework: Framework,
    document: Any,
    *,
    result: Mapping[str, Any] | None = None,
    max_changes: int = 2,
    criteria: Mapping[str, Criteria] | None = None,
    appetites: Mapping[str, Appetite] | None = None,
    max_evaluations: int = MAX_EVALUATIONS,
) -> dict[str, Any]:
    """What would change ``document``'s result under ``framework``.

    Returns ``{"tiers", "overall", "outcome", "safes", "approvable", "evaluations"}``:

    * ``safes``: for each safe above tier 0, in framework order, ``{"safe", "label", "tier",
      "suggestions", "changes_tried", "complete"}``.
    * ``approvable``: ``None`` when the outcome is already approvable (a framework outcome
      that tests only for gaps, or nothing), else ``{"outcome", "causes", "suggestions",
      "changes_tried", "complete"}``; ``causes`` are what keeps it from being approvable,
      each ``{"rule", "custodian", "effect"}`` with effect ``block``, ``blocking_gap``,
      ``refer`` or ``tier`` (a rule that set a tier an outcome tests, with ``safe`` and
      ``at_least``).
    * ``evaluations``: how many changed documents were evaluated.

    A suggestion is ``{"changes", "hides", "safe", "tier", "new_tier", "tiers", "overall",
    "outcome"}`` (``safe``, ``tier`` and ``new_tier`` only under a safe), plus ``routes`` when
    some custodian has criteria or an appetite. A change is ``{"custodian", "question",
    "label", "answer", "answer_label", "alternative", "alternative_label"}``; ``custodian`` is
    ``None`` for a project answer (given once for the project). ``hides`` lists the answers
    given (``{"custodian", "question", "label"}``) that the changes would hide, so that they
    would no longer count. Under a safe, suggestions are ordered by how far its tier falls,
    then by fewest changes; for approvability, by fewest changes, then the better outcome;
    then the lower overall tier. Of suggestions that change the same answers to the same
    result only the one nearest the current answers is kept.

    ``result``: the document's evaluation if the caller has it; it must be for this framework
    version and these answers, and agree with the run here (else ``ValueError``).
    ``criteria``/``appetites``: as for :func:`~assessments.engine.evaluate`.
    ``max_evaluations``: the budget of changed documents evaluated (see the module's notes).
    Raises :class:`DocumentInvalid` if the document does not validate."""
    if max_changes not in (1, 2):
        raise ValueError("max_changes must be 1 or 2")
    search = _Search(framework, document, criteria, appetites, max_evaluations)
    base = search.base
    if result is not None:
        _check_result(framework, document, result, base)
    targets: list[_Target] = [_SafeTarget(search, safe) for safe in framework.safes if base.tiers[safe] > 0]
    approvable = _ApprovableTarget(search)
    if approvable.causes:
        targets.append(approvable)
    for target in targets:
        target.try_singles()
    if max_changes == 2:
        for target in targets:
            if not target.found:
                target.try_pairs()
    return {
        "tiers": {s: base.tiers[s] for s in framework.safes},
        "overall": base.tiers["overall"],
        "outcome": base.outcome,
        "safes": [t.as_dict() for t in targets if isinstance(t, _SafeTarget)],
        "approvable": approvable.as_dict() if approvable.causes else None,
        "evaluations": search.evaluations,
    }


def apply_changes(document: dict[str, Any], changes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of ``document`` with a suggestion's ``changes`` made (only the answer mappings
    are copied)."""
    out = {**document, "answers": dict(document["answers"])}
    out["custodians"] = [{**c, "answers": dict(c["answers"])} for c in document["custodians"]]
    by_name = {c["name"]: c for c in out["custodians"]}
    for change in changes:
        custodian = change["custodian"]
        answers = out["answers"] if custodian is None else by_name[custodian]["answers"]
        answers[change["question"]] = change["alternative"]
    return out


def _check_result(fw: Framework, document: Any, result: Mapping[str, Any], base: Run) -> None:
    if result.get("framework", {}).get("sha256") != fw.sha256:
        raise ValueError("result is for another framework version")
    if result.get("answers_sha256") != answers_sha256(document):
        raise ValueError("result is for other answers")
    if result.get("overall") != base.tiers["overall"] or result.get("outcome") != base.outcome:
        raise ValueError("result disagrees with this evaluation (other criteria?)")


# ---------------------------------------------------------------------- re-evaluation


class _Search:
    """The document's checked answers, its base run, and every changed run so far."""

    def __init__(
        self,
        fw: Framework,
        document: Any,
        criteria: Mapping[str, Criteria] | None,
        appetites: Mapping[str, Appetite] | None,
        max_evaluations: int,
    ) -> None:
        problems, norm = normalise(fw, document)
        more, adds = custodian_additions(fw, document, criteria, appetites)
        if problems or more or norm is None:
            raise DocumentInvalid(problems + more)
        self.fw = fw
        self.adds = adds
        self.crit: Sequence[Criteria | None] = adds.criteria if adds.active else ()
        self.names = norm.names
        self.norm = norm
        # Each level's answers as checked, before show-if drops hidden ones: the start of every
        # changed document (the answers were valid, so only the show-if step can differ).
        # Which answers were "unknown" only matters to the result's assumed_worst, which the
        # runs here never report: passing none of them saves listing them again each run.
        unused: list[Problem] = []
        self.no_unknowns: set[str] = set()
        self.project_raw: dict[str, Any] = document["answers"]
        self.project_eff: dict[str, Any] = {}
        _level_answers(fw, self.project_raw, None, "project", unused, self.project_eff, set())
        self.custodian_data: list[_CustodianData] = []
        for name, raw in zip(norm.names, norm.raw_custodians, strict=True):
            eff: dict[str, Any] = {}
            _level_answers(fw, raw, name, "custodian", unused, eff, set())
            self.custodian_data.append((name, raw, eff, self.no_unknowns))
        self.base = run_phases(fw, norm, self.crit)
        self.max_evaluations = max_evaluations
        self.evaluations = 0
        self.runs: dict[frozenset[tuple[Slot, Any]], Run | None] = {}
        self.rules: tuple[Rule, ...] = tuple(fw.rules) + tuple(r for c in self.crit if c is not None for r in c.rules)
        self._alternatives: dict[Slot, list[_Change]] = {}
        self._reads: dict[tuple[Rule, int | None], frozenset[Slot]] = {}
        self._raisers: dict[tuple[str, int], list[Firing]] = {}
        self._tier_tests: dict[Rule, list[tuple[str, int]]] = {}
        self._relevant: dict[Firing, frozenset[Slot]] = {}
        self._hides: dict[frozenset[tuple[Slot, Any]], list[dict[str, Any]]] = {}
        self._firing_sets: dict[frozenset[tuple[Slot, Any]], frozenset[Firing]] = {}

    @property
    def exhausted(self) -> bool:
        return self.evaluations >= self.max_evaluations

    def run(self, changes: Sequence[_Change]) -> Run | None:
        """The run with ``changes`` made, or None if one of them would be hidden. The caller
        checks ``exhausted`` first: past the budget only runs already made are returned."""
        key = frozenset(c.key for c in changes)
        if key in self.runs:
            return self.runs[key]
        if self.exhausted:
            return None
        self.evaluations += 1
        project_eff = dict(self.project_eff)
        custodian_data = list(self.custodian_data)
        for c in changes:
            level, qid = c.slot
            if level == PROJECT_LEVEL:
                project_eff[qid] = c.effective
            else:
                name, raw, eff, unknown = custodian_data[level]
                eff = dict(eff) if eff is self.custodian_data[level][2] else eff
                eff[qid] = c.effective
                custodian_data[level] = (name, raw, eff, unknown)
        norm = _normalised(self.fw, self.project_raw, project_eff, self.no_unknowns, custodian_data)
        run: Run | None = None
        if not self._hides_a_change(norm, changes):
            run = run_phases(self.fw, norm, self.crit)
            self._hides[key] = [i for i in norm.ignored if i not in self.norm.ignored]
        self.runs[key] = run
        return run

    def firing_set(self, key: frozenset[tuple[Slot, Any]], run: Run) -> frozenset[Firing]:
        found = self._firing_sets.get(key)
        if found is None:
            found = self._firing_sets[key] = frozenset(run.firings)
        return found

    def _hides_a_change(self, norm: Normalised, changes: Sequence[_Change]) -> bool:
        hidden = {(i["custodian"], i["question"]) for i in norm.ignored}
        return any((self.whose(c.slot[0]), c.slot[1]) in hidden for c in changes)

    def whose(self, level: int) -> str | None:
        return None if level == PROJECT_LEVEL else self.names[level]

    def whose_firing(self, firing: Firing) -> str | None:
        """As the evaluation reports it: whose criteria the rule is, else whose answers it
        read (None: the project's)."""
        _, ci, owner = firing
        i = owner if owner is not None else ci
        return None if i is None else self.names[i]

    # ------------------------------------------------------------------ what a firing reads
    def reads(self, firing: Firing) -> frozenset[Slot]:
        """The answers a firing's condition read, and the answers that decide whether those
        are shown."""
        rule, ci, _ = firing
        cached = self._reads.get((rule, ci))
        if cached is not None:
            return cached
        questions = self.fw.questions_by_id
        found: set[Slot] = set()
        for kind, qid in rule.question_deps:
            if kind == READS_EVERY_CUSTODIAN:
                found.update((i, qid) for i in range(len(self.names)))
            elif questions[qid].scope == "custodian" and ci is not None:
                found.add((ci, qid))
            else:
                found.add((PROJECT_LEVEL, qid))
        todo = list(found)
        while todo:
            level, qid = todo.pop()
            for other in questions[qid].show_if_reads:
                slot = (level if questions[other].scope == "custodian" else PROJECT_LEVEL, other)
                if slot not in found:
                    found.add(slot)
                    todo.append(slot)
        out = frozenset(found)
        self._reads[(rule, ci)] = out
        return out

    def raisers(self, safe: str, at_least: int) -> list[Firing]:
        """The base firings that raised ``safe`` (every safe, for ``overall``) to ``at_least``
        or more."""
        found = self._raisers.get((safe, at_least))
        if found is None:
            safes = self.fw.safes if safe == "overall" else (safe,)
            found = [f for f in self.base.firings if any(s in safes and to >= at_least for s, to in f[0].raises)]
            self._raisers[(safe, at_least)] = found
        return found

    def true_tier_tests(self, rule: Rule) -> list[tuple[str, int]]:
        """The tier tests in ``rule``'s condition that hold in the base run (all are "at
        least", never negated, so only these can stop the rule when they stop holding)."""
        found = self._tier_tests.get(rule)
        if found is None:
            found = [(s, n) for s, n in _tier_tests(rule.condition) if n > 0 and self.base.tiers[s] >= n]
            self._tier_tests[rule] = found
        return found

    def relevant(self, firing: Firing) -> frozenset[Slot]:
        """Every answer that could stop ``firing``: what it reads, and (for each tier it reads)
        what the firings that raised that tier read, and so on."""
        found = self._relevant.get(firing)
        if found is None:
            closure, todo = {firing}, [firing]
            while todo:
                f = todo.pop()
                for safe, n in self.true_tier_tests(f[0]):
                    for g in self.raisers(safe, n):
                        if g not in closure:
                            closure.add(g)
                            todo.append(g)
            found = self._relevant[firing] = frozenset().union(*(self.reads(g) for g in closure))
        return found

    def could_stop(self, firing: Firing, slots: frozenset[Slot], seen: frozenset[Firing] = frozenset()) -> bool:
        """False when changing only ``slots`` certainly leaves ``firing`` firing: it reads none
        of them and every tier it needs is kept up by firings that also read none of them."""
        if not slots.isdisjoint(self.reads(firing)):
            return True
        seen = seen | {firing}
        for safe, n in self.true_tier_tests(firing[0]):
            # a cycle of tier reads: assume it could fall (never prunes wrongly)
            if all(g in seen or self.could_stop(g, slots, seen) for g in self.raisers(safe, n)):
                return True
        return False

    # ------------------------------------------------------------------ less risky answers
    def alternatives(self, slot: Slot) -> list[_Change]:
        """The less risky answers to try for ``slot``, nearest first."""
        if slot not in self._alternatives:
            self._alternatives[slot] = list(self._less_risky(slot))
        return self._alternatives[slot]

    def current(self, slot: Slot) -> tuple[Any, Any]:
        """The answer as given and as evaluated (None, None when unanswered or hidden)."""
        level, qid = slot
        if level == PROJECT_LEVEL:
            raw, effective = self.project_raw.get(qid), self.norm.project.get(qid)
        else:
            raw, effective = self.norm.raw_custodians[level].get(qid), self.norm.custodians[level].get(qid)
        return (raw, effective) if effective is not None else (None, None)

    def _less_risky(self, slot: Slot) -> Iterator[_Change]:
        q = self.fw.questions_by_id[slot[1]]
        raw, effective = self.current(slot)
        if effective is None:
            return
        values: list[Any]
        if q.type in ("enum", "bool"):
            values = list(reversed(q.option_values[: q.option_values.index(effective)]))
        elif q.type == "multi":
            chosen = [v for v in q.option_values if v in effective and v != "none"]
            values = [[v for v in chosen if v != drop] for drop in chosen if len(chosen) > 1]
            if chosen and "none" in q.option_set:
                values.append(["none"])
        else:
            values = self._int_values(q, effective)
        for i, value in enumerate(values):
            message, eff, _ = q.check(value)
            if message is None:  # always so: the values come from the question itself
                yield _Change(slot, value, eff, i)

    def _int_values(self, q: Question, current: int) -> list[int]:
        """Just past each threshold the rules compare ``q`` with, on the less risky side."""
        if q.riskier is None:
            return []
        cuts: set[int] = set()  # c: the rules may treat values below c and from c differently
        for rule in self.rules:
            if any(qid == q.id for _, qid in rule.question_deps):
                cuts.update(_cuts(rule.condition, q.id, self.fw))
        if q.riskier == "higher":
            values = sorted((c - 1 for c in cuts if c <= current), reverse=True)
        else:
            values = sorted(c for c in cuts if c > current)
        values = [v for v in values if (q.min is None or v >= q.min) and (q.max is None or v <= q.max)]
        return values[:MAX_INT_THRESHOLDS]

    # ------------------------------------------------------------------ describing
    def describe(self, changes: Sequence[_Change], run: Run) -> dict[str, Any]:
        out: dict[str, Any] = {
            "changes": [self._change(c) for c in changes],
            # answers given that the changes would hide (no longer asked, so ignored)
            "hides": [
                {**i, "label": self.fw.questions_by_id[i["question"]].label}
                for i in self._hides[frozenset(c.key for c in changes)]
            ],
            "tiers": {s: run.tiers[s] for s in self.fw.safes},
            "overall": run.tiers["overall"],
            "outcome": run.outcome,
        }
        if self.adds.active:
            out["routes"] = {
                name: route_for(a if a is not None else DEFAULT_APPETITE, out["tiers"], run.outcome).route
                for name, a in zip(self.names, self.adds.appetites, strict=True)
            }
        return out

    def _change(self, change: _Change) -> dict[str, Any]:
        level, qid = change.slot
        q = self.fw.questions_by_id[qid]
        raw, _ = self.current(change.slot)
        return {
            "custodian": self.whose(level),
            "question": qid,
            "label": q.label,
            "answer": raw,
            "answer_label": _answer_label(q, raw),
            "alternative": change.raw,
            "alternative_label": _answer_label(q, change.raw),
        }


def _answer_label(q: Question, raw: Any) -> str:
    if raw == "unknown":
        return f"unknown (counted as {_answer_label(q, q.worst_answer)})"
    if isinstance(raw, list):
        return ", ".join(q.option_label(v) for v in raw)
    if q.type == "int":
        return str(raw)
    return q.option_label(raw)


# ---------------------------------------------------------------------- targets


class _Target:
    """Something to reach: the firings that must all stop, and the suggestions found."""

    def __init__(self, search: _Search, must_stop: list[Firing]) -> None:
        self.search = search
        self.must_stop = must_stop
        # A change set can only help if it touches, for every firing to stop, an answer that
        # could stop it (a quick test); firings that read a tier are then checked exactly.
        self.hit_sets = [frozenset(search.relevant(f)) for f in must_stop]
        self.through_tiers = [f for f in must_stop if search.true_tier_tests(f[0])]
        order = search.fw.questions_by_id
        self.slots = sorted(frozenset().union(*self.hit_sets), key=lambda s: (s[0], order[s[1]].index))
        self.found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.tried = 0
        self.complete = True
        self._seen: set[tuple[Any, ...]] = set()

    def reached(self, run: Run) -> bool:
        raise NotImplementedError

    def sort_key(self, changes: Sequence[_Change], run: Run) -> tuple[Any, ...]:
        raise NotImplementedError

    def describe(self, changes: Sequence[_Change], run: Run) -> dict[str, Any]:
        return self.search.describe(changes, run)

    def could_help(self, slots: frozenset[Slot]) -> bool:
        return all(self.search.could_stop(f, slots) for f in self.through_tiers)

    def try_singles(self) -> None:
        for slot in self.slots:
            if all(slot in h for h in self.hit_sets) and self.could_help(frozenset((slot,))):
                for change in self.search.alternatives(slot):
                    if not self._try((change,)):
                        return

    def try_pairs(self) -> None:
        search = self.search
        # A firing that reads no tier depends on nothing but the answers it reads: if only one
        # change of a pair touches those, the pair stops it only if that change alone did.
        alone = [(f, search.reads(f)) for f in self.must_stop if not search.true_tier_tests(f[0])]
        for i, a in enumerate(self.slots):
            missed = [h for h in self.hit_sets if a not in h]  # b must touch each of these
            allowed = frozenset.intersection(*missed) if missed else None
            for b in self.slots[i + 1 :]:
                if (allowed is not None and b not in allowed) or not self.could_help(frozenset((a, b))):
                    continue
                for ca in search.alternatives(a):
                    for cb in search.alternatives(b):
                        singles = self._single_firings(ca), self._single_firings(cb)
                        if singles[0] is False or singles[1] is False:
                            self.complete = False
                            return
                        if self._both_needed(ca, cb, singles, alone) and not self._try((ca, cb)):
                            return

    def _single_firings(self, change: _Change) -> frozenset[Firing] | None | bool:
        """What fires with ``change`` alone: None if it would be hidden, False once the
        budget is spent."""
        search = self.search
        key = frozenset((change.key,))
        if search.exhausted and key not in search.runs:
            return False
        run = search.run((change,))
        return None if run is None else search.firing_set(key, run)

    @staticmethod
    def _both_needed(
        ca: _Change,
        cb: _Change,
        singles: tuple[frozenset[Firing] | None | bool, frozenset[Firing] | None | bool],
        alone: list[tuple[Firing, frozenset[Slot]]],
    ) -> bool:
        """False when a firing that only one of the two changes touches kept firing with that
        change alone (so it fires with both)."""
        for f, reads in alone:
            touched = ca.slot in reads, cb.slot in reads
            if touched[0] == touched[1]:
                continue
            fired = singles[0] if touched[0] else singles[1]
            if isinstance(fired, frozenset) and f in fired:
                return False
        return True

    def _try(self, changes: tuple[_Change, ...]) -> bool:
        """Try one change set; False once the budget is spent (the search stops there)."""
        search = self.search
        if search.exhausted and frozenset(c.key for c in changes) not in search.runs:
            self.complete = False
            return False
        self.tried += 1
        run = search.run(changes)
        if run is None or not self.reached(run):
            return True
        # The same answers changed to the same effect: keep the nearer (tried first).
        same = (tuple(c.slot for c in changes), tuple(run.tiers[s] for s in search.fw.safes), run.outcome)
        if same not in self._seen:
            self._seen.add(same)
            self.found.append((self.sort_key(changes, run), self.describe(changes, run)))
        return True

    def suggestions(self) -> list[dict[str, Any]]:
        return [d for _, d in sorted(self.found, key=lambda x: x[0])]

    def _order(self, changes: Sequence[_Change], run: Run) -> tuple[Any, ...]:
        """The tie-breaks: better outcome, lower overall tier, then document order, nearest
        answers first."""
        fw = self.search.fw
        outcome_rank = -next(i for i, o in enumerate(fw.outcomes) if o["id"] == run.outcome)
        where = tuple((c.slot[0], fw.questions_by_id[c.slot[1]].index, c.nearness) for c in changes)
        return outcome_rank, run.tiers["overall"], where


class _SafeTarget(_Target):
    def __init__(self, search: _Search, safe: str) -> None:
        self.safe = safe
        self.tier = search.base.tiers[safe]
        super().__init__(search, search.raisers(safe, self.tier))

    def reached(self, run: Run) -> bool:
        return run.tiers[self.safe] < self.tier

    def sort_key(self, changes: Sequence[_Change], run: Run) -> tuple[Any, ...]:
        return (run.tiers[self.safe], len(changes), *self._order(changes, run))

    def describe(self, changes: Sequence[_Change], run: Run) -> dict[str, Any]:
        return {
            **super().describe(changes, run),
            "safe": self.safe,
            "tier": self.tier,
            "new_tier": run.tiers[self.safe],
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "safe": self.safe,
            "label": self.search.fw.safe_labels[self.safe],
            "tier": self.tier,
            "suggestions": self.suggestions(),
            "changes_tried": self.tried,
            "complete": self.complete,
        }


class _ApprovableTarget(_Target):
    """Every test of every outcome that is not approvable must stop holding."""

    def __init__(self, search: _Search) -> None:
        fw = search.fw
        self.approvable = frozenset(
            o["id"] for o in fw.outcomes if o["tests"] is None or all(t[0] == "gap" for t in o["tests"])
        )
        must_stop: list[Firing] = []
        self.causes: list[dict[str, Any]] = []
        if search.base.outcome not in self.approvable:
            for o in fw.outcomes:
                if o["id"] in self.approvable:
                    continue
                for kind, safe, n in o["tests"] or ():
                    for f in _holding(search, kind, safe, n):
                        cause = {"rule": f[0].id, "custodian": search.whose_firing(f), "effect": kind}
                        if kind == "tier":
                            cause.update(safe=safe, at_least=n)
                        if cause not in self.causes:
                            self.causes.append(cause)
                        if f not in must_stop:
                            must_stop.append(f)
        super().__init__(search, must_stop)

    def reached(self, run: Run) -> bool:
        return run.outcome in self.approvable

    def sort_key(self, changes: Sequence[_Change], run: Run) -> tuple[Any, ...]:
        return (len(changes), *self._order(changes, run))

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.search.base.outcome,
            "causes": self.causes,
            "suggestions": self.suggestions(),
            "changes_tried": self.tried,
            "complete": self.complete,
        }


def _holding(search: _Search, kind: str, safe: str | None, n: int | None) -> list[Firing]:
    """The base firings that make one outcome test hold (none when it does not)."""
    firings = search.base.firings
    if kind == "block":
        return [f for f in firings if f[0].block]
    if kind == "blocking_gap":
        return [f for f in firings if f[0].gap == "blocking"]
    if kind == "refer":
        return [f for f in firings if f[0].refer]
    if kind == "gap":
        return [f for f in firings if f[0].gap is not None]
    assert safe is not None and n is not None
    return search.raisers(safe, n) if n > 0 and search.base.tiers[safe] >= n else []


# ---------------------------------------------------------------------- reading conditions


def _tier_tests(cond: Any) -> Iterator[tuple[str, int]]:
    """Every ``{tier: {safe, at_least}}`` in a condition (definitions hold none)."""
    if isinstance(cond, dict):
        for op, arg in cond.items():
            if op == "tier" and isinstance(arg, dict):
                yield arg["safe"], arg["at_least"]
            else:
                yield from _tier_tests(arg)
    elif isinstance(cond, list):
        for x in cond:
            yield from _tier_tests(x)


_CUT_AT = {"lt": 0, "ge": 0, "le": 1, "gt": 1}  # the value from which each comparison flips


def _cuts(cond: Any, qid: str, fw: Framework, seen: frozenset[str] = frozenset()) -> Iterator[int]:
    """Where the comparisons of int question ``qid`` in a condition change their truth: each
    ``c`` such that values below ``c`` and from ``c`` up may be treated differently. Named
    definitions are followed."""
    if isinstance(cond, list):
        for x in cond:
            yield from _cuts(x, qid, fw, seen)
        return
    if not isinstance(cond, dict):
        return
    for op, arg in cond.items():
        if op in _CUT_AT and isinstance(arg, list) and arg[:1] == [qid]:
            yield arg[1] + _CUT_AT[op]
        elif op in ("eq", "ne", "in", "not_in") and isinstance(arg, list) and arg[:1] == [qid]:
            for v in arg[1] if isinstance(arg[1], list) else [arg[1]]:
                if isinstance(v, int) and not isinstance(v, bool):
                    yield from (v, v + 1)
        elif op in ("ref", "where", "over") and isinstance(arg, str) and arg in fw.definitions and arg not in seen:
            yield from _cuts(fw.definitions[arg].when, qid, fw, seen | {arg})
        else:
            yield from _cuts(arg, qid, fw, seen)
