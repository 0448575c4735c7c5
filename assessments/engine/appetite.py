"""Custodians' risk appetite (custodian-criteria spec, section 2): the route an assessment
takes for one custodian.

An appetite is ``{"routes": [{"up_to": N, "route": R}, ...], "otherwise": R,
"safe_limits": {SAFE: N}}`` (``safe_limits``, ``id`` and ``version`` optional).  Routes,
from least to most scrutiny: ``automatic`` < ``custodian_review`` < ``panel`` <
``decline``.  ``up_to`` ascends and a riskier band never gets less scrutiny than a safer
one, so a higher tier or a worse outcome never gives a lower route (the ratchet).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .cache import LRU
from .canonical import canonical_json, sha256_hex, short_json
from .errors import AppetiteInvalid, DefinitionProblem

if TYPE_CHECKING:
    from .framework import Framework

__all__ = [
    "Appetite",
    "RouteDecision",
    "ROUTES",
    "DEFAULT_APPETITE",
    "compile_appetite",
    "appetite_problems",
    "cached_appetite",
    "route_for",
    "route_rank",
    "describe_appetite",
]

ROUTES = ("automatic", "custodian_review", "panel", "decline")
_RANK = {r: i for i, r in enumerate(ROUTES)}
# The spec's outcome ids that steps 1 and 4 name.
NOT_APPROVABLE = "not_approvable"
REFER = "refer"
_KEYS = ("routes", "otherwise")
_OPTIONAL = ("safe_limits", "id", "version")

# Third person for the coordinator, first person for the custodian's own forms.
_THEY = {
    "automatic": "approved automatically",
    "custodian_review": "its approver reviews",
    "panel": "the panel decides",
    "decline": "it declines",
}
_WE = {
    "automatic": "approved automatically",
    "custodian_review": "our approver reviews",
    "panel": "the panel",
    "decline": "we decline",
}


def route_rank(route: str) -> int:
    """0 for ``automatic`` up to 3 for ``decline``: how much scrutiny a route means."""
    return _RANK[route]


class Appetite:
    """A validated risk appetite.  ``routes`` is ``((up_to, route), ...)``, ``safe_limits``
    ``((safe, limit), ...)``; ``sha256`` is the SHA-256 of its canonical JSON."""

    __slots__ = ("data", "sha256", "routes", "otherwise", "safe_limits", "is_default", "ref")

    def __init__(
        self, data: dict[str, Any], safes: tuple[str, ...] | list[str] = (), *, is_default: bool = False
    ) -> None:
        text = canonical_json(data)
        self.data: dict[str, Any] = json.loads(text)  # a copy: the caller's may change later
        self.sha256 = sha256_hex(text)
        self.routes: tuple[tuple[int, str], ...] = tuple((e["up_to"], e["route"]) for e in data["routes"])
        self.otherwise: str = data["otherwise"]
        limits = data.get("safe_limits") or {}
        # In the framework's safe order, whatever the order given, so results do not vary.
        self.safe_limits: tuple[tuple[str, int], ...] = tuple((s, limits[s]) for s in safes if s in limits)
        self.is_default = is_default
        self.ref: dict[str, Any] = {"sha256": self.sha256, "default": is_default}
        for k in ("id", "version"):
            if k in data:
                self.ref[k] = data[k]

    def __repr__(self) -> str:
        return f"<Appetite {self.sha256[:12]}{' (default)' if self.is_default else ''}>"

    def as_dict(self) -> dict[str, Any]:
        return self.data


DEFAULT_APPETITE = Appetite({"routes": [], "otherwise": "panel"}, is_default=True)


def appetite_problems(fw: Framework, data: Any) -> list[DefinitionProblem]:
    """Every problem of an appetite for ``fw`` (its safes and tiers)."""
    problems: list[DefinitionProblem] = []
    if not isinstance(data, Mapping):
        return [
            DefinitionProblem(
                None, None, f'an appetite is a mapping with "routes" and "otherwise", got {short_json(data)}'
            )
        ]
    for k in _KEYS:
        if k not in data:
            problems.append(DefinitionProblem(None, None, f'missing "{k}"'))
    for k in data:
        if k not in _KEYS and k not in _OPTIONAL:
            problems.append(DefinitionProblem(None, None, f'unknown key "{k}"'))
    for k in ("id", "version"):
        if k in data and not (isinstance(data[k], str) and data[k].strip()):
            problems.append(
                DefinitionProblem(None, None, f'"{k}" must be a non-empty string, got {short_json(data[k])}')
            )
    last = _routes_problems(fw, data.get("routes"), problems) if "routes" in data else None
    if "otherwise" in data:
        _otherwise_problem(data["otherwise"], last, problems)
    if data.get("safe_limits") is not None:
        _limits_problems(fw, data["safe_limits"], problems)
    return problems


def compile_appetite(fw: Framework, data: Any) -> Appetite:
    """A validated :class:`Appetite`; raises :class:`AppetiteInvalid` listing every problem."""
    problems = appetite_problems(fw, data)
    if problems:
        raise AppetiteInvalid(problems)
    return Appetite(dict(data), fw.safes)


_cache: LRU[Appetite] = LRU(256)


def cached_appetite(fw: Framework, data: Any) -> Appetite:
    """:func:`compile_appetite` through an LRU keyed by the framework and the appetite's
    canonical JSON: appetites inline in document after document are checked once."""
    try:
        key = (fw.sha256, canonical_json(data))
    except (TypeError, ValueError):
        return compile_appetite(fw, data)  # not JSON: checking reports why
    appetite = _cache.get(key)
    if appetite is None:
        appetite = compile_appetite(fw, data)
        _cache.put(key, appetite)
    return appetite


def _routes_problems(fw: Framework, routes: Any, problems: list[DefinitionProblem]) -> tuple[int, str] | None:
    """Check the route entries; the last good ``(up_to, route)``, for ``otherwise``."""
    if not isinstance(routes, list):
        problems.append(
            DefinitionProblem("routes", None, f"must be a list of {{up_to, route}}, got {short_json(routes)}")
        )
        return None
    last: tuple[int, str] | None = None
    for i, e in enumerate(routes):
        item = f"routes #{i + 1}"
        if not isinstance(e, Mapping) or set(e) != {"up_to", "route"}:
            problems.append(DefinitionProblem(item, i, f"an entry is {{up_to: N, route: R}}, got {short_json(e)}"))
            continue
        up_to, route = e["up_to"], e["route"]
        if not isinstance(up_to, int) or isinstance(up_to, bool) or not 0 <= up_to <= fw.max_tier:
            problems.append(
                DefinitionProblem(item, i, f"up_to must be a tier from 0 to {fw.max_tier}, got {short_json(up_to)}")
            )
            continue
        if route not in _RANK:
            problems.append(
                DefinitionProblem(item, i, f"unknown route {short_json(route)} (routes: {', '.join(ROUTES)})")
            )
            continue
        if last is not None and up_to <= last[0]:
            problems.append(DefinitionProblem(item, i, f"up_to must ascend: {up_to} comes after up_to {last[0]}"))
            continue
        if last is not None and _RANK[route] < _RANK[last[1]]:
            problems.append(
                DefinitionProblem(
                    item,
                    i,
                    f'route "{route}" is less scrutiny '
                    f'than "{last[1]}" for lower tiers; a '
                    f"riskier project never gets less",
                )
            )
            continue
        last = (up_to, route)
    return last


def _otherwise_problem(otherwise: Any, last: tuple[int, str] | None, problems: list[DefinitionProblem]) -> None:
    if otherwise not in _RANK:
        problems.append(
            DefinitionProblem("otherwise", None, f"unknown route {short_json(otherwise)} (routes: {', '.join(ROUTES)})")
        )
    elif last is not None and _RANK[otherwise] < _RANK[last[1]]:
        problems.append(
            DefinitionProblem(
                "otherwise",
                None,
                f'"{otherwise}" is less scrutiny '
                f'than "{last[1]}" for tiers up to '
                f"{last[0]}; a riskier project "
                f"never gets less",
            )
        )


def _limits_problems(fw: Framework, limits: Any, problems: list[DefinitionProblem]) -> None:
    if not isinstance(limits, Mapping):
        problems.append(
            DefinitionProblem("safe_limits", None, f"must be a mapping of safe to tier, got {short_json(limits)}")
        )
        return
    for safe, n in limits.items():
        item = f"safe_limits {safe}"
        if safe not in fw.safe_labels:
            problems.append(DefinitionProblem(item, None, f'unknown safe "{safe}" (safes: {", ".join(fw.safes)})'))
        elif not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= fw.max_tier:
            problems.append(
                DefinitionProblem(item, None, f"the limit must be a tier from 0 to {fw.max_tier}, got {short_json(n)}")
            )


# ---------------------------------------------------------------------- routing


class RouteDecision:
    """A custodian's route and why: ``step`` is the spec step (1–4) that settled it,
    ``tier_route`` step 2's route, ``entry`` the index of the route entry step 2 used
    (``None``: ``otherwise``, or step 1 decided), ``over_limits`` every safe above its
    limit as ``(safe, tier, limit)``."""

    __slots__ = ("route", "step", "overall", "outcome", "tier_route", "entry", "over_limits", "appetite")

    def __init__(
        self,
        route: str,
        step: int,
        overall: int,
        outcome: str | None,
        tier_route: str | None,
        entry: int | None,
        over_limits: tuple[tuple[str, int, int], ...],
        appetite: Appetite,
    ) -> None:
        self.route = route
        self.step = step
        self.overall = overall
        self.outcome = outcome
        self.tier_route = tier_route
        self.entry = entry
        self.over_limits = over_limits
        self.appetite = appetite

    def __repr__(self) -> str:
        return f"RouteDecision({self.route!r}, step={self.step})"

    def as_dict(self, fw: Framework) -> dict[str, Any]:
        a = self.appetite
        entry = None
        if self.entry is not None:
            up_to, route = a.routes[self.entry]
            entry = {"index": self.entry, "up_to": up_to, "route": route}
        return {
            "route": self.route,
            "step": self.step,
            "overall": self.overall,
            "outcome": self.outcome,
            "tier_route": self.tier_route,
            "entry": entry,
            "over_limits": [{"safe": s, "tier": t, "limit": n} for s, t, n in self.over_limits],
            "appetite": dict(a.ref),
            "text": self.text(fw),
        }

    def text(self, fw: Framework) -> str:
        """Why, in one or two sentences for the coordinator."""
        if self.step == 1:
            return "The assessment is not approvable as proposed, so this custodian declines."
        assert self.tier_route is not None
        parts = [self._tier_sentence(fw, self.tier_route)]
        if self.route == "decline":
            parts += [
                f"{fw.safe_labels[s]} is at tier {t}, above this custodian's limit of {n}: it declines."
                for s, t, n in self.over_limits
            ]
        if self.step == 4:
            parts.append("The recommended outcome is refer, so at least the panel: the panel decides.")
        return " ".join(parts)

    def _tier_sentence(self, fw: Framework, route: str) -> str:
        a = self.appetite
        tier = f"Overall tier {self.overall} ({fw.tier_name(self.overall)})"
        if a.is_default:
            return f"{tier}: no risk appetite stated, so the panel decides."
        if self.entry is not None:
            lo = a.routes[self.entry - 1][0] + 1 if self.entry else 0
            band = _band(lo, a.routes[self.entry][0])
            return f"{tier}: {_THEY[route]} (this custodian's appetite for tier {band})."
        if not a.routes:
            return f"{tier}: {_THEY[route]} (this custodian's appetite for every tier)."
        top = a.routes[-1][0]
        return f"{tier} is above tier {top}: {_THEY[route]} (this custodian's appetite above tier {top})."


def route_for(appetite: Appetite, tiers: Mapping[str, int], outcome: str | None) -> RouteDecision:
    """A custodian's route for a result (spec section 2, steps 1–4).  ``tiers``: each safe's
    tier (an ``overall`` entry may be there too); ``outcome``: the recommended outcome."""
    overall = max(tiers.values(), default=0)
    over = tuple((s, tiers[s], n) for s, n in appetite.safe_limits if tiers.get(s, 0) > n)
    if outcome == NOT_APPROVABLE:
        return RouteDecision("decline", 1, overall, outcome, None, None, over, appetite)
    entry = next((i for i, (up_to, _) in enumerate(appetite.routes) if up_to >= overall), None)
    tier_route = appetite.routes[entry][1] if entry is not None else appetite.otherwise
    route, step = tier_route, 2
    if over and route != "decline":
        route, step = "decline", 3
    if outcome == REFER and _RANK[route] < _RANK["panel"]:
        route, step = "panel", 4
    return RouteDecision(route, step, overall, outcome, tier_route, entry, over, appetite)


# ---------------------------------------------------------------------- description


def _band(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def describe_appetite(fw: Framework, appetite: Appetite) -> str:
    """The appetite in plain English, in the custodian's own voice, e.g. "Tier 0–1: approved
    automatically. Tier 2: our approver reviews. Tier 3: the panel. Tier 4: we decline."."""
    bands: list[list[Any]] = []  # [lo, hi, route], adjacent bands of one route merged
    lo = 0
    for up_to, route in appetite.routes:
        _add_band(bands, lo, up_to, route)
        lo = up_to + 1
    if lo <= fw.max_tier:
        _add_band(bands, lo, fw.max_tier, appetite.otherwise)
    parts = [f"Tier {_band(b_lo, b_hi)}: {_WE[r]}." for b_lo, b_hi, r in bands]
    parts += [f"{fw.safe_labels[s]} above tier {n}: we decline." for s, n in appetite.safe_limits]
    if any(_RANK[r] < _RANK["panel"] for _, _, r in bands):
        parts.append("A referral goes at least to the panel.")
    return " ".join(parts)


def _add_band(bands: list[list[Any]], lo: int, hi: int, route: str) -> None:
    if bands and bands[-1][2] == route:
        bands[-1][1] = hi
    else:
        bands.append([lo, hi, route])
