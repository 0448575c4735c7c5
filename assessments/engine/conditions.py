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

from typing import Callable

__all__ = ["ConditionError", "Compiler", "Env", "CUSTODIAN", "PROJECT", "render",
           "OPERATORS"]

CUSTODIAN = "custodian"
PROJECT = "project"

OPERATORS = ("all", "any", "not", "eq", "ne", "in", "not_in", "lt", "le", "gt", "ge",
             "contains", "intersects", "any_except", "count_in", "answered", "ref", "tier",
             "any_custodian", "count_custodians")


class ConditionError(Exception):
    """A condition is invalid; the message says what is wrong (the loader adds file and id)."""


class Env:
    """Evaluation environment passed to compiled closures.

    ``a``: effective answers visible in this context (dict question id -> value);
    ``cs``: list of custodian Envs (project context only);
    ``tiers``: dict safe -> current tier, plus ``overall`` (phase 3 only)."""

    __slots__ = ("a", "cs", "tiers")

    def __init__(self, a, cs=None, tiers=None):
        self.a = a
        self.cs = cs
        self.tiers = tiers


def _show(v) -> str:
    import json
    try:
        s = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


class _St:
    __slots__ = ("ctx", "allow_tier", "negated", "via")

    def __init__(self, ctx, allow_tier, negated=False, via=False):
        self.ctx = ctx
        self.allow_tier = allow_tier
        self.negated = negated
        self.via = via

    def but(self, **kw):
        s = _St(self.ctx, self.allow_tier, self.negated, self.via)
        for k, v in kw.items():
            setattr(s, k, v)
        return s


class Definition:
    __slots__ = ("name", "context", "label", "group_label", "when", "fn", "deps")

    def __init__(self, name, context, label, group_label, when, fn, deps):
        self.name = name
        self.context = context
        self.label = label
        self.group_label = group_label
        self.when = when
        self.fn = fn
        self.deps = deps


class Compiler:
    """Compiles conditions against a set of questions, named sets, safes and definitions.

    ``compile`` returns ``(fn, deps)``: ``fn(env) -> bool`` and ``deps``, a set of
    ``("q", id)`` (question read at the current level), ``("c", id)`` (question
    read across all custodians) and ``("t", safe)`` (a tier condition)."""

    def __init__(self, questions: dict, sets: dict, safes, max_tier: int):
        self.questions = questions
        self.sets = sets  # name -> {"label":..., "options": tuple}
        self.safes = tuple(safes)
        self.max_tier = max_tier
        self.definitions: dict[str, Definition] = {}

    # ------------------------------------------------------------------ public
    def compile(self, cond, context: str, allow_tier: bool = False):
        deps: set = set()
        fn = self._c(cond, _St(context, allow_tier), deps)
        return fn, deps

    def add_definition(self, name, context, label, group_label, when):
        fn, deps = self.compile(when, context, False)
        self.definitions[name] = Definition(name, context, label, group_label, when, fn, deps)

    # ------------------------------------------------------------------ helpers
    def _c(self, cond, st: _St, deps: set) -> Callable:
        if not isinstance(cond, dict) or len(cond) != 1:
            raise ConditionError(
                f"a condition must be a mapping with exactly one operator, got {_show(cond)}")
        ((op, arg),) = cond.items()
        handler = getattr(self, "_op_" + op, None) if isinstance(op, str) else None
        if handler is None or op not in OPERATORS:
            raise ConditionError(f'unknown operator "{op}"')
        return handler(arg, st, deps)

    def _question(self, qid, st: _St, deps: set, op: str):
        if not isinstance(qid, str):
            raise ConditionError(f"{op}: expected a question id, got {_show(qid)}")
        q = self.questions.get(qid)
        if q is None:
            raise ConditionError(f'unknown question "{qid}"')
        if st.ctx == PROJECT and q.scope == CUSTODIAN:
            raise ConditionError(
                f'{op}: question "{qid}" is custodian-scope; in a project-level (phase 2/3) '
                f"condition use any_custodian, count_custodians or {{union: {qid}}}")
        deps.add(("c" if (st.via and q.scope == CUSTODIAN) else "q", qid))
        return q

    def _pair(self, arg, op):
        if not isinstance(arg, list) or len(arg) != 2:
            raise ConditionError(f"{op}: expected a list [question, value], got {_show(arg)}")
        return arg

    def _check_value(self, q, v, op):
        t = q.type
        if t == "multi":
            raise ConditionError(
                f"{op} cannot be used on multi question {q.id}; use contains, intersects, "
                f"any_except or count_in")
        if t == "enum":
            if not isinstance(v, str):
                raise ConditionError(
                    f"{op}: wrong value type for {q.id} (enum): expected an option name, "
                    f"got {_show(v)}")
            if v not in q.option_set:
                raise ConditionError(f'{op}: unknown option "{v}" for {q.id} '
                                     f'(options: {", ".join(q.option_values)})')
        elif t == "bool":
            if not isinstance(v, bool):
                raise ConditionError(
                    f"{op}: wrong value type for {q.id} (bool): expected true or false, "
                    f"got {_show(v)}")
        elif t == "int":
            if not isinstance(v, int) or isinstance(v, bool):
                raise ConditionError(
                    f"{op}: wrong value type for {q.id} (int): expected an integer, "
                    f"got {_show(v)}")
        return v

    def _int(self, v, op, what="at_least", minimum=0):
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            raise ConditionError(f"{op}: {what} must be an integer ≥ {minimum}, got {_show(v)}")
        return v

    def _selection(self, sel, st: _St, deps: set, op: str):
        """Custodian selection: None (all), a custodian-context definition name, or a condition."""
        if sel is None:
            return None
        if isinstance(sel, str):
            d = self.definitions.get(sel)
            if d is None:
                raise ConditionError(f'{op}: unknown definition "{sel}"')
            if d.context != CUSTODIAN:
                raise ConditionError(f'{op}: definition "{sel}" is not a custodian-context '
                                     f"definition")
            self._add_def_deps(d, True, deps)
            return d.fn
        return self._c(sel, st.but(ctx=CUSTODIAN, via=True), deps)

    def _add_def_deps(self, d: Definition, via: bool, deps: set):
        for kind, x in d.deps:
            if kind == "q" and via and self.questions[x].scope == CUSTODIAN:
                deps.add(("c", x))
            else:
                deps.add((kind, x))

    def _multi_ref(self, ref, st: _St, deps: set, op: str):
        """Returns (question, getter) for a multi operand."""
        if isinstance(ref, dict):
            if set(ref) - {"union", "over"} or "union" not in ref:
                raise ConditionError(f"{op}: a union operand is {{union: QUESTION, over: "
                                     f"SELECTION}}, got {_show(ref)}")
            if st.ctx != PROJECT:
                raise ConditionError(f"{op}: union is only available in project-level "
                                     f"(phase 2/3) conditions")
            qid = ref["union"]
            q = self.questions.get(qid) if isinstance(qid, str) else None
            if q is None:
                raise ConditionError(f'unknown question "{qid}"')
            if q.type != "multi":
                raise ConditionError(f"{op}: union needs a multi question; {qid} is {q.type}")
            if q.scope != CUSTODIAN:
                raise ConditionError(f"{op}: union needs a custodian-scope question; {qid} is "
                                     f"project-scope")
            deps.add(("c", qid))
            sel = self._selection(ref.get("over"), st, deps, op)

            if sel is None:
                def get(e, qid=qid):
                    s = set()
                    for c in e.cs:
                        v = c.a.get(qid)
                        if v:
                            s |= v
                    return s
            else:
                def get(e, qid=qid, sel=sel):
                    s = set()
                    for c in e.cs:
                        if sel(c):
                            v = c.a.get(qid)
                            if v:
                                s |= v
                    return s
            return q, get
        q = self._question(ref, st, deps, op)
        if q.type != "multi":
            raise ConditionError(f"{op} needs a multi question; {q.id} is {q.type}")
        qid = q.id
        return q, (lambda e: e.a.get(qid) or ())

    def _options(self, q, opts, op):
        """A set operand: a named set or a list of options, each an option of q."""
        if isinstance(opts, str):
            s = self.sets.get(opts)
            if s is None:
                raise ConditionError(f'{op}: unknown set "{opts}"')
            opts = list(s["options"])
        if not isinstance(opts, list) or not opts:
            raise ConditionError(f"{op}: expected a set name or a non-empty list of options, "
                                 f"got {_show(opts)}")
        for o in opts:
            if not isinstance(o, str):
                raise ConditionError(f"{op}: wrong value type for {q.id} (multi): expected an "
                                     f"option name, got {_show(o)}")
            if o not in q.option_set:
                raise ConditionError(f'{op}: unknown option "{o}" for {q.id} '
                                     f'(options: {", ".join(q.option_values)})')
        return frozenset(opts)

    # ------------------------------------------------------------------ operators
    def _op_all(self, arg, st, deps):
        if not isinstance(arg, list) or not arg:
            raise ConditionError(f"all: expected a non-empty list of conditions, got {_show(arg)}")
        fns = tuple(self._c(c, st, deps) for c in arg)
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            a, b = fns
            return lambda e: a(e) and b(e)

        def f(e):
            for g in fns:
                if not g(e):
                    return False
            return True
        return f

    def _op_any(self, arg, st, deps):
        if not isinstance(arg, list) or not arg:
            raise ConditionError(f"any: expected a non-empty list of conditions, got {_show(arg)}")
        fns = tuple(self._c(c, st, deps) for c in arg)
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            a, b = fns
            return lambda e: a(e) or b(e)

        def f(e):
            for g in fns:
                if g(e):
                    return True
            return False
        return f

    def _op_not(self, arg, st, deps):
        g = self._c(arg, st.but(negated=not st.negated), deps)
        return lambda e: not g(e)

    def _op_eq(self, arg, st, deps):
        qid, v = self._pair(arg, "eq")
        q = self._question(qid, st, deps, "eq")
        v = self._check_value(q, v, "eq")
        if q.type == "bool":
            return (lambda e: e.a.get(qid) is True) if v else (lambda e: e.a.get(qid) is False)
        return lambda e: e.a.get(qid) == v

    def _op_ne(self, arg, st, deps):
        qid, v = self._pair(arg, "ne")
        q = self._question(qid, st, deps, "ne")
        v = self._check_value(q, v, "ne")
        if q.type == "bool":
            return (lambda e: e.a.get(qid) is not True) if v else (
                lambda e: e.a.get(qid) is not False)
        return lambda e: e.a.get(qid) != v

    def _in_common(self, arg, st, deps, op):
        qid, vs = self._pair(arg, op)
        q = self._question(qid, st, deps, op)
        if not isinstance(vs, list) or not vs:
            raise ConditionError(f"{op}: expected a non-empty list of values, got {_show(vs)}")
        for v in vs:
            self._check_value(q, v, op)
        if q.type == "bool":
            # avoid 1 == True confusion: bools compared by identity
            return qid, tuple(vs), True
        return qid, frozenset(vs), False

    def _op_in(self, arg, st, deps):
        qid, vs, is_bool = self._in_common(arg, st, deps, "in")
        if is_bool:
            return lambda e: any(e.a.get(qid) is v for v in vs)
        return lambda e: e.a.get(qid) in vs

    def _op_not_in(self, arg, st, deps):
        qid, vs, is_bool = self._in_common(arg, st, deps, "not_in")
        if is_bool:
            return lambda e: not any(e.a.get(qid) is v for v in vs)
        return lambda e: e.a.get(qid) not in vs

    def _cmp(self, arg, st, deps, op):
        qid, n = self._pair(arg, op)
        q = self._question(qid, st, deps, op)
        if q.type != "int":
            raise ConditionError(f"{op} needs an int question; {q.id} is {q.type}")
        if not isinstance(n, int) or isinstance(n, bool):
            raise ConditionError(f"{op}: wrong value type for {q.id} (int): expected an "
                                 f"integer, got {_show(n)}")
        return qid, n

    def _op_lt(self, arg, st, deps):
        qid, n = self._cmp(arg, st, deps, "lt")

        def f(e):
            v = e.a.get(qid)
            return v is not None and v < n
        return f

    def _op_le(self, arg, st, deps):
        qid, n = self._cmp(arg, st, deps, "le")

        def f(e):
            v = e.a.get(qid)
            return v is not None and v <= n
        return f

    def _op_gt(self, arg, st, deps):
        qid, n = self._cmp(arg, st, deps, "gt")

        def f(e):
            v = e.a.get(qid)
            return v is not None and v > n
        return f

    def _op_ge(self, arg, st, deps):
        qid, n = self._cmp(arg, st, deps, "ge")

        def f(e):
            v = e.a.get(qid)
            return v is not None and v >= n
        return f

    def _op_contains(self, arg, st, deps):
        ref, opt = self._pair(arg, "contains")
        q, get = self._multi_ref(ref, st, deps, "contains")
        (opt_,) = self._options(q, [opt], "contains")
        return lambda e: opt_ in get(e)

    def _op_intersects(self, arg, st, deps):
        ref, opts = self._pair(arg, "intersects")
        q, get = self._multi_ref(ref, st, deps, "intersects")
        s = self._options(q, opts, "intersects")
        return lambda e: not s.isdisjoint(get(e))

    def _op_any_except(self, arg, st, deps):
        ref, opts = self._pair(arg, "any_except")
        q, get = self._multi_ref(ref, st, deps, "any_except")
        s = self._options(q, opts, "any_except")

        def f(e):
            for o in get(e):
                if o not in s:
                    return True
            return False
        return f

    def _op_count_in(self, arg, st, deps):
        if not isinstance(arg, dict) or set(arg) != {"question", "set", "at_least"}:
            raise ConditionError("count_in: expected {question: Q, set: SET, at_least: n}, "
                                 f"got {_show(arg)}")
        q, get = self._multi_ref(arg["question"], st, deps, "count_in")
        s = self._options(q, arg["set"], "count_in")
        n = self._int(arg["at_least"], "count_in")
        return lambda e: len(s.intersection(get(e))) >= n

    def _op_answered(self, arg, st, deps):
        q = self._question(arg, st, deps, "answered")
        qid = q.id
        return lambda e: e.a.get(qid) is not None

    def _op_ref(self, arg, st, deps):
        d = self.definitions.get(arg) if isinstance(arg, str) else None
        if d is None:
            raise ConditionError(f'ref: unknown definition "{arg}"')
        if d.context != st.ctx:
            if d.context == CUSTODIAN:
                raise ConditionError(f'ref: definition "{arg}" is a custodian-context '
                                     f"definition; use it through any_custodian, "
                                     f"count_custodians or union")
            raise ConditionError(f'ref: definition "{arg}" is a project-context definition '
                                 f"and cannot be used here")
        self._add_def_deps(d, st.via, deps)
        return d.fn

    def _op_tier(self, arg, st, deps):
        if not st.allow_tier:
            raise ConditionError("tier conditions are only allowed in phase-3 rules")
        if st.negated:
            raise ConditionError("tier conditions may not be negated (phase 3 only ratchets up)")
        if not isinstance(arg, dict) or set(arg) != {"safe", "at_least"}:
            raise ConditionError(f"tier: expected {{safe: S, at_least: n}}, got {_show(arg)}")
        safe = arg["safe"]
        if safe != "overall" and safe not in self.safes:
            raise ConditionError(f'tier: unknown safe "{safe}"')
        n = self._int(arg["at_least"], "tier")
        if n > self.max_tier:
            raise ConditionError(f"tier: at_least {n} is above the highest tier {self.max_tier}")
        deps.add(("t", safe))
        return lambda e: e.tiers[safe] >= n

    def _op_any_custodian(self, arg, st, deps):
        if st.ctx != PROJECT:
            raise ConditionError("any_custodian is only available in project-level "
                                 "(phase 2/3) conditions")
        g = self._c(arg, st.but(ctx=CUSTODIAN, via=True), deps)

        def f(e):
            for c in e.cs:
                if g(c):
                    return True
            return False
        return f

    def _op_count_custodians(self, arg, st, deps):
        if st.ctx != PROJECT:
            raise ConditionError("count_custodians is only available in project-level "
                                 "(phase 2/3) conditions")
        if not isinstance(arg, dict) or "at_least" not in arg or set(arg) - {"at_least",
                                                                               "where"}:
            raise ConditionError("count_custodians: expected {at_least: n, where: SELECTION}, "
                                 f"got {_show(arg)}")
        n = self._int(arg["at_least"], "count_custodians")
        sel = self._selection(arg.get("where"), st, deps, "count_custodians")
        if sel is None:
            return lambda e: len(e.cs) >= n

        def f(e):
            k = 0
            for c in e.cs:
                if sel(c):
                    k += 1
                    if k >= n:
                        return True
            return n <= 0
        return f


# ---------------------------------------------------------------------- rendering

def _join(items, conj="or"):
    items = list(items)
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


class _Renderer:
    def __init__(self, fw):
        self.fw = fw
        self.q = fw.questions_by_id
        self.sets = fw.sets
        self.defs = fw.definitions

    def opt(self, q, v):
        return q.option_labels.get(v, str(v))

    def qlabel(self, ref):
        if isinstance(ref, dict):
            q = self.q[ref["union"]]
            over = ref.get("over")
            if over is None:
                grp = "all custodians"
            elif isinstance(over, str):
                d = self.defs[over]
                grp = d.group_label or f"custodians for which {d.label}"
            else:
                grp = f"custodians for which {self.r(over, 'top')}"
            return q, f"{q.label} (combined over {grp})"
        q = self.q[ref]
        return q, q.label

    def setdesc(self, q, s):
        if isinstance(s, str):
            return f"{s} ({', '.join(self.opt(q, o) for o in self.sets[s]['options'])})"
        return _join([self.opt(q, o) for o in s], "or")

    def r(self, cond, parent):
        ((op, a),) = cond.items()
        if op in ("all", "any"):
            parts = [self.r(c, op) for c in a]
            if len(parts) == 1:
                return parts[0]
            s = (" and " if op == "all" else " or ").join(parts)
            return f"({s})" if parent in ("all", "any", "not") else s
        if op == "not":
            return f"it is not the case that {self.r(a, 'not')}"
        if op in ("eq", "ne"):
            q = self.q[a[0]]
            if q.type == "bool":
                # "Access from outside the UK: yes" reads better than "… is yes".
                value = a[1] if op == "eq" else not a[1]
                return f"{q.label}: {self.opt(q, value)}"
            return f"{q.label} is {'not ' if op == 'ne' else ''}{self.opt(q, a[1])}"
        if op in ("in", "not_in"):
            q = self.q[a[0]]
            labels = [self.opt(q, v) for v in a[1]]
            if op == "in":
                return f"{q.label} is {_join(labels, 'or')}"
            if len(labels) == 1:
                return f"{q.label} is not {labels[0]}"
            if len(labels) == 2:
                return f"{q.label} is neither {labels[0]} nor {labels[1]}"
            return f"{q.label} is none of {_join(labels, 'and')}"
        if op in ("lt", "le", "gt", "ge"):
            q = self.q[a[0]]
            word = {"lt": "less than", "le": "at most", "gt": "more than", "ge": "at least"}[op]
            return f"{q.label} is {word} {a[1]}"
        if op == "contains":
            q, lab = self.qlabel(a[0])
            return f"{lab} include {self.opt(q, a[1])}"
        if op == "intersects":
            q, lab = self.qlabel(a[0])
            return f"{lab} include at least one of {self.setdesc(q, a[1])}"
        if op == "any_except":
            q, lab = self.qlabel(a[0])
            return (f"{lab} include at least one option other than "
                    f"{_join([self.opt(q, o) for o in a[1]], 'or')}")
        if op == "count_in":
            q, lab = self.qlabel(a["question"])
            return f"at least {a['at_least']} of {lab} are in {self.setdesc(q, a['set'])}"
        if op == "answered":
            return f"{self.q[a].label} is answered"
        if op == "ref":
            return self.defs[a].label
        if op == "tier":
            return f"the {a['safe']} tier is at least {a['at_least']}"
        if op == "any_custodian":
            return f"for at least one custodian, {self.r(a, 'top')}"
        if op == "count_custodians":
            n = a["at_least"]
            noun = "custodian" if n == 1 else "custodians"
            where = a.get("where")
            if where is None:
                return f"there are at least {n} {noun}"
            if isinstance(where, str):
                d = self.defs[where]
                if d.group_label:
                    return f"there are at least {n} {d.group_label}"
                return f"there are at least {n} {noun} for which {d.label}"
            return f"there are at least {n} {noun} for which {self.r(where, 'top')}"
        raise ConditionError(f'unknown operator "{op}"')


def render(fw, cond) -> str:
    """A readable sentence for a condition, using question and option labels."""
    return _Renderer(fw).r(cond, "top")
