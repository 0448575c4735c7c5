"""Custodians' risk appetite (custodian-criteria spec section 2): validation, the route of
each spec step with its reason, and the plain-English description."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assessments.engine import canonical_json
from assessments.engine.appetite import (
    DEFAULT_APPETITE,
    ROUTES,
    appetite_problems,
    cached_appetite,
    compile_appetite,
    describe_appetite,
    route_for,
    route_rank,
)
from assessments.engine.errors import AppetiteInvalid

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "examples" / "criteria"
# The spec's section-2 example.
SPEC = {
    "routes": [
        {"up_to": 1, "route": "automatic"},
        {"up_to": 2, "route": "custodian_review"},
        {"up_to": 3, "route": "panel"},
    ],
    "otherwise": "decline",
    "safe_limits": {"data": 3},
}
ZERO = {"people": 0, "projects": 0, "settings": 0, "data": 0, "outputs": 0}


def tiers(**over):
    return {**ZERO, **over}


@pytest.fixture(scope="module")
def spec(fw):
    return compile_appetite(fw, SPEC)


def test_routes_in_order_of_scrutiny():
    assert ROUTES == ("automatic", "custodian_review", "panel", "decline")
    assert [route_rank(r) for r in ROUTES] == [0, 1, 2, 3]


def test_the_worked_example_appetites_load(fw):
    gp = compile_appetite(fw, json.loads((CRITERIA_DIR / "gp-records.appetite.json").read_text()))
    met = compile_appetite(fw, json.loads((CRITERIA_DIR / "met-grid.appetite.json").read_text()))
    assert gp.routes == ((1, "automatic"), (2, "custodian_review"), (3, "panel"))
    assert (gp.otherwise, gp.safe_limits) == ("decline", ())
    assert (met.routes, met.otherwise) == (((3, "automatic"),), "panel")


def test_sha256_is_the_canonical_json(fw, spec):
    assert spec.sha256 == hashlib.sha256(canonical_json(SPEC).encode()).hexdigest()
    reordered = {"safe_limits": {"data": 3}, "otherwise": "decline", "routes": SPEC["routes"]}
    assert compile_appetite(fw, reordered).sha256 == spec.sha256
    assert spec.ref == {"sha256": spec.sha256, "default": False}
    versioned = compile_appetite(fw, {**SPEC, "id": "gp", "version": "3"})
    assert versioned.ref == {"sha256": versioned.sha256, "default": False, "id": "gp", "version": "3"}


def test_the_default_appetite_sends_everything_to_the_panel(fw):
    assert DEFAULT_APPETITE.as_dict() == {"routes": [], "otherwise": "panel"}
    assert DEFAULT_APPETITE.is_default and DEFAULT_APPETITE.ref["default"] is True
    for t in range(5):
        for outcome in ("approve", "approve_with_conditions", "refer"):
            assert route_for(DEFAULT_APPETITE, tiers(data=t), outcome).route == "panel"
    assert route_for(DEFAULT_APPETITE, tiers(), "not_approvable").route == "decline"


def test_cached_appetite(fw):
    first = cached_appetite(fw, {"routes": [], "otherwise": "decline"})
    assert cached_appetite(fw, {"otherwise": "decline", "routes": []}) is first
    with pytest.raises(AppetiteInvalid):
        cached_appetite(fw, {"routes": [], "otherwise": "maybe"})


# ---------------------------------------------------------------------- the four steps


@pytest.mark.parametrize(
    "t, outcome, route, step, tier_route, entry, over",
    [
        # step 1: not approvable declines, whatever the tiers
        (tiers(), "not_approvable", "decline", 1, None, None, []),
        (tiers(data=4), "not_approvable", "decline", 1, None, None, [("data", 4, 3)]),
        # step 2: the first entry whose up_to ≥ the overall tier; none: otherwise
        (tiers(), "approve", "automatic", 2, "automatic", 0, []),
        (tiers(people=1), "approve_with_conditions", "automatic", 2, "automatic", 0, []),
        (tiers(outputs=2), "approve", "custodian_review", 2, "custodian_review", 1, []),
        (tiers(data=3, outputs=2), "approve", "panel", 2, "panel", 2, []),
        (tiers(settings=4), "approve", "decline", 2, "decline", None, []),
        (tiers(data=4), "refer", "decline", 2, "decline", None, [("data", 4, 3)]),
        # step 4: refer goes at least to the panel
        (tiers(data=1), "refer", "panel", 4, "automatic", 0, []),
        (tiers(data=2), "refer", "panel", 4, "custodian_review", 1, []),
        (tiers(data=3), "refer", "panel", 2, "panel", 2, []),
    ],
)
def test_route_steps(spec, t, outcome, route, step, tier_route, entry, over):
    d = route_for(spec, t, outcome)
    assert (d.route, d.step, d.tier_route, d.entry, list(d.over_limits)) == (route, step, tier_route, entry, over)
    assert d.overall == max(t.values()) and d.outcome == outcome


def test_step3_a_safe_above_its_limit_declines(fw):
    app = compile_appetite(
        fw,
        {
            "routes": [{"up_to": 3, "route": "automatic"}],
            "otherwise": "panel",
            "safe_limits": {"outputs": 1, "people": 2, "data": 3},
        },
    )
    d = route_for(app, tiers(outputs=2, people=3, data=3), "approve")
    assert (d.route, d.step, d.tier_route) == ("decline", 3, "automatic")
    # in the framework's safe order, whatever the order given
    assert d.over_limits == (("people", 3, 2), ("outputs", 2, 1))
    # step 3 comes before step 4: refer does not lift a decline
    assert route_for(app, tiers(outputs=2), "refer").route == "decline"
    # at the limit is within it
    assert route_for(app, tiers(outputs=1, people=2, data=3), "approve").route == "automatic"


def test_overall_in_tiers_is_allowed(spec):
    assert route_for(spec, {**tiers(data=2), "overall": 2}, "approve").route == ("custodian_review")


def test_reasons_for_the_coordinator(fw, spec):
    d = route_for(spec, tiers(data=4), "refer").as_dict(fw)
    assert d == {
        "route": "decline",
        "step": 2,
        "overall": 4,
        "outcome": "refer",
        "tier_route": "decline",
        "entry": None,
        "over_limits": [{"safe": "data", "tier": 4, "limit": 3}],
        "appetite": {"sha256": spec.sha256, "default": False},
        "text": "Overall tier 4 (Very high) is above tier 3: it declines (this custodian's "
        "appetite above tier 3). Data is at tier 4, above this custodian's limit of "
        "3: it declines.",
    }
    d = route_for(spec, tiers(data=2), "refer").as_dict(fw)
    assert d["entry"] == {"index": 1, "up_to": 2, "route": "custodian_review"}
    assert d["text"] == (
        "Overall tier 2 (Moderate): its approver reviews (this custodian's "
        "appetite for tier 2). The recommended outcome is refer, so at least "
        "the panel: the panel decides."
    )
    assert route_for(spec, tiers(), "not_approvable").text(fw) == (
        "The assessment is not approvable as proposed, so this custodian declines."
    )
    assert route_for(DEFAULT_APPETITE, tiers(data=1), "approve").text(fw) == (
        "Overall tier 1 (Low): no risk appetite stated, so the panel decides."
    )
    limits = compile_appetite(fw, {"routes": [], "otherwise": "automatic", "safe_limits": {"outputs": 1}})
    assert route_for(limits, tiers(outputs=2), "approve").text(fw) == (
        "Overall tier 2 (Moderate): approved automatically (this custodian's appetite for "
        "every tier). Outputs is at tier 2, above this custodian's limit of 1: it declines."
    )


# ---------------------------------------------------------------------- description


@pytest.mark.parametrize(
    "data, text",
    [
        (
            {"routes": SPEC["routes"], "otherwise": "decline"},
            "Tier 0–1: approved automatically. Tier 2: our approver reviews. Tier 3: the panel. "
            "Tier 4: we decline. A referral goes at least to the panel.",
        ),
        (
            SPEC,
            "Tier 0–1: approved automatically. Tier 2: our approver reviews. Tier 3: the panel. "
            "Tier 4: we decline. Data above tier 3: we decline. A referral goes at least to "
            "the panel.",
        ),
        ({"routes": [], "otherwise": "panel"}, "Tier 0–4: the panel."),
        (
            {"routes": [{"up_to": 3, "route": "automatic"}], "otherwise": "panel"},
            "Tier 0–3: approved automatically. Tier 4: the panel. A referral goes at least to the panel.",
        ),
        (
            {
                "routes": [
                    {"up_to": 0, "route": "automatic"},
                    {"up_to": 2, "route": "automatic"},
                    {"up_to": 4, "route": "panel"},
                ],
                "otherwise": "decline",
                "safe_limits": {"outputs": 2, "people": 1},
            },
            "Tier 0–2: approved automatically. Tier 3–4: the panel. People above tier 1: we decline. "
            "Outputs above tier 2: we decline. A referral goes at least to the panel.",
        ),
    ],
)
def test_describe_appetite(fw, data, text):
    assert describe_appetite(fw, compile_appetite(fw, data)) == text


# ---------------------------------------------------------------------- invalid appetites


def problems(fw, data):
    return [(p.item, p.index, p.message) for p in appetite_problems(fw, data)]


@pytest.mark.parametrize(
    "data, expected",
    [
        ([], [(None, None, 'an appetite is a mapping with "routes" and "otherwise", got []')]),
        ({"otherwise": "panel"}, [(None, None, 'missing "routes"')]),
        ({"routes": []}, [(None, None, 'missing "otherwise"')]),
        ({"routes": [], "otherwise": "panel", "limits": {}}, [(None, None, 'unknown key "limits"')]),
        (
            {"routes": [], "otherwise": "panel", "version": 3},
            [(None, None, '"version" must be a non-empty string, got 3')],
        ),
        (
            {"routes": {"up_to": 1}, "otherwise": "panel"},
            [("routes", None, 'must be a list of {up_to, route}, got {"up_to": 1}')],
        ),
        (
            {"routes": [{"up_to": 1}], "otherwise": "panel"},
            [("routes #1", 0, 'an entry is {up_to: N, route: R}, got {"up_to": 1}')],
        ),
        (
            {"routes": [{"up_to": 5, "route": "panel"}], "otherwise": "panel"},
            [("routes #1", 0, "up_to must be a tier from 0 to 4, got 5")],
        ),
        (
            {"routes": [{"up_to": True, "route": "panel"}], "otherwise": "panel"},
            [("routes #1", 0, "up_to must be a tier from 0 to 4, got true")],
        ),
        (
            {"routes": [{"up_to": 1, "route": "approve"}], "otherwise": "panel"},
            [("routes #1", 0, 'unknown route "approve" (routes: automatic, custodian_review, panel, decline)')],
        ),
        (
            {"routes": [{"up_to": 2, "route": "automatic"}, {"up_to": 2, "route": "panel"}], "otherwise": "panel"},
            [("routes #2", 1, "up_to must ascend: 2 comes after up_to 2")],
        ),
        (
            {"routes": [{"up_to": 2, "route": "automatic"}, {"up_to": 1, "route": "panel"}], "otherwise": "panel"},
            [("routes #2", 1, "up_to must ascend: 1 comes after up_to 2")],
        ),
        (
            {"routes": [{"up_to": 1, "route": "panel"}, {"up_to": 2, "route": "automatic"}], "otherwise": "panel"},
            [
                (
                    "routes #2",
                    1,
                    'route "automatic" is less scrutiny than "panel" for lower tiers; a '
                    "riskier project never gets less",
                )
            ],
        ),
        (
            {"routes": [{"up_to": 1, "route": "panel"}], "otherwise": "automatic"},
            [
                (
                    "otherwise",
                    None,
                    '"automatic" is less scrutiny than "panel" for tiers up to 1; a riskier project never gets less',
                )
            ],
        ),
        (
            {"routes": [], "otherwise": "nobody"},
            [("otherwise", None, 'unknown route "nobody" (routes: automatic, custodian_review, panel, decline)')],
        ),
        (
            {"routes": [], "otherwise": "panel", "safe_limits": [3]},
            [("safe_limits", None, "must be a mapping of safe to tier, got [3]")],
        ),
        (
            {"routes": [], "otherwise": "panel", "safe_limits": {"overall": 3}},
            [
                (
                    "safe_limits overall",
                    None,
                    'unknown safe "overall" (safes: people, projects, settings, data, outputs)',
                )
            ],
        ),
        (
            {"routes": [], "otherwise": "panel", "safe_limits": {"data": 9}},
            [("safe_limits data", None, "the limit must be a tier from 0 to 4, got 9")],
        ),
    ],
)
def test_invalid_appetites(fw, data, expected):
    assert problems(fw, data) == expected
    with pytest.raises(AppetiteInvalid) as info:
        compile_appetite(fw, data)
    assert info.value.problems[0].message == expected[0][2]
