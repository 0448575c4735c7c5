"""Shared fixtures for the engine tests (pure Python: no Django, no database)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from assessments.engine import load_framework_dir

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK_DIR = ROOT / "fixtures" / "frameworks" / "five-safes" / "v1"
EXAMPLES_DIR = ROOT / "fixtures" / "examples"
CASES_DIR = Path(__file__).resolve().parent / "cases"

# Spec section 6 baseline answers.
BASE_PROJECT = {
    "PE1": "accredited_safe_researcher",
    "PE2": "uk_university",
    "PE3": "dspt_met",
    "PE4": 5,
    "PE5": False,
    "PE6": False,
    "PE7": True,
    "PR1": "public_benefit_research",
    "PR2": "approved",
    "PR4": True,
    "PR5": True,
    "PR6": 24,
    "PR7": "none",
    "PR8": False,
    "SE1": "tre_remote",
    "SE2": "iso27001_or_dspt",
    "SE3": True,
    "SE4": "automated_plus_manual",
    "SE5": "uk",
    "SE6": "reviewed",
    "OU1": ["aggregate_tables"],
    "OU2": "acro_default",
    "OU3": "automated_plus_human",
    "OU4": False,
    "OU5": "peer_reviewed_publication",
}
BASE_CUSTODIAN = {
    "PR3": "public_task_research",
    "DA1": "pseudonymised",
    "DA2": "strong",
    "DA3": ["none"],
    "DA4": ["none"],
    "DA5": False,
    "DA6": ["none"],
    "DA8": 10000,
    "DA9": "low",
}


def make_doc(project=None, custodians=None, title="test"):
    """Baseline document with overrides. ``custodians``: list of (name, overrides) or dicts
    {name, answers}; a value of None in overrides removes that answer."""
    answers = copy.deepcopy(BASE_PROJECT)
    for k, v in (project or {}).items():
        if v is None:
            answers.pop(k, None)
        else:
            answers[k] = v
    custs = []
    for c in custodians if custodians is not None else [("Custodian A", {})]:
        name, over = (c["name"], c.get("answers", {})) if isinstance(c, dict) else c
        a = copy.deepcopy(BASE_CUSTODIAN)
        for k, v in over.items():
            if v is None:
                a.pop(k, None)
            else:
                a[k] = v
        custs.append({"name": name, "answers": a})
    return {"title": title, "answers": answers, "custodians": custs}


def load_cases():
    cases = []
    for p in sorted(CASES_DIR.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        doc = make_doc(
            data.get("project"), [(c["name"], c.get("answers", {})) for c in data["custodians"]], data["title"]
        )
        cases.append((p.stem, doc, data["expected"]))
    return cases


def load_examples():
    out = []
    for p in sorted(EXAMPLES_DIR.glob("*.json")):
        if p.name.endswith(".expected.json"):
            continue
        doc = json.loads(p.read_text(encoding="utf-8"))
        exp = json.loads(p.with_name(p.stem + ".expected.json").read_text(encoding="utf-8"))
        out.append((p.stem, doc, exp))
    return out


@pytest.fixture(scope="session")
def fw():
    return load_framework_dir(FRAMEWORK_DIR)


@pytest.fixture(scope="session")
def framework_texts():
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(FRAMEWORK_DIR.glob("*.yaml"))}


@pytest.fixture(scope="session")
def doc_factory():
    """The ``make_doc`` helper as a fixture (test modules do not import conftest)."""
    return make_doc


def pytest_generate_tests(metafunc):
    """Parametrise ``example`` (fixtures/examples) and ``case`` (tests/engine/cases)."""
    if "example" in metafunc.fixturenames:
        ex = load_examples()
        metafunc.parametrize("example", ex, ids=[e[0] for e in ex])
    if "case" in metafunc.fixturenames:
        cs = load_cases()
        metafunc.parametrize("case", cs, ids=[c[0] for c in cs])
    if "all_cases" in metafunc.fixturenames:
        metafunc.parametrize("all_cases", [load_examples() + load_cases()], ids=["all"])
