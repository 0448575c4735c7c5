#!/usr/bin/env python3
"""Benchmark of the PRIAM rules engine (pure Python, no Django).

Run from anywhere:  python bench/engine.py [--rescore N]

Prints evaluations/s and µs per evaluation for the spec examples (E1, E2, E4, E4b),
a synthetic 3-custodian and a 10-custodian project, and the time to re-score N
(default 10,000) stored assessments held as JSON text (parse + validate +
evaluate + canonical_json each), with ratios to the targets:
  * under 1 ms per 3-custodian evaluation
  * 10,000 re-scores under 20 s
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from assessments.engine import canonical_json, evaluate, load_framework_dir, validate_document  # noqa: E402

FRAMEWORK_DIR = os.path.join(ROOT, "fixtures", "frameworks", "five-safes", "v1")
EXAMPLES_DIR = os.path.join(ROOT, "fixtures", "examples")
TARGET_EVAL_US = 1000.0
TARGET_RESCORE_S = 20.0


def random_answer(q, rnd: random.Random, unknown_rate=0.08):
    if q.type == "int":
        lo = q.min if q.min is not None else 0
        hi = q.max if q.max is not None else lo + 100000
        return rnd.randint(lo, hi)
    if rnd.random() < unknown_rate:
        return "unknown"
    values = list(q.option_values)
    if q.type in ("enum", "bool"):
        return rnd.choice(values)
    others = [v for v in values if v != "none"]
    if "none" in values and rnd.random() < 0.4:
        return ["none"]
    return rnd.sample(others, rnd.randint(1, min(3, len(others))))


def random_document(fw, rnd: random.Random, n_custodians: int) -> dict:
    answers = {q.id: random_answer(q, rnd) for q in fw.questions_for("project")}
    custodians = []
    for i in range(n_custodians):
        a = {}
        for q in fw.questions_for("custodian"):
            if not q.required and rnd.random() < 0.5:
                continue
            a[q.id] = random_answer(q, rnd)
        custodians.append({"name": f"Custodian {i + 1}", "answers": a})
    return {"title": "synthetic", "answers": answers, "custodians": custodians}


def time_eval(fw, doc, min_time=0.5):
    evaluate(fw, doc)  # warm up
    n = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(200):
            evaluate(fw, doc)
        n += 200
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n / dt, dt / n * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rescore", type=int, default=10_000)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    fw = load_framework_dir(FRAMEWORK_DIR)
    load_ms = (time.perf_counter() - t0) * 1e3
    print(
        f"framework {fw.id} v{fw.version} sha256 {fw.sha256[:16]}…  "
        f"({len(fw.questions)} questions, {len(fw.rules)} rules, loaded in {load_ms:.1f} ms)"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print()
    print(f"{'document':<28}{'evals/s':>12}{'µs/eval':>12}")

    rows = []
    for name in ("E1", "E2", "E4", "E4b"):
        with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as fh:
            rows.append((name, json.load(fh)))
    rnd = random.Random(20261128)
    three = random_document(fw, rnd, 3)
    ten = random_document(fw, rnd, 10)
    rows.append(("synthetic 3 custodians", three))
    rows.append(("synthetic 10 custodians", ten))
    results = {}
    for name, doc in rows:
        assert validate_document(fw, doc) == [], name
        per_s, us = time_eval(fw, doc)
        results[name] = us
        print(f"{name:<28}{per_s:>12,.0f}{us:>12.1f}")
    print()
    us3 = results["synthetic 3 custodians"]
    print(
        f"3-custodian evaluation: {us3:.1f} µs  (target < {TARGET_EVAL_US:.0f} µs; "
        f"{us3 / TARGET_EVAL_US:.1%} of target, margin x{TARGET_EVAL_US / us3:.1f})"
    )

    # re-score N stored assessments: distinct varied documents held as JSON text
    rnd = random.Random(1)
    stored = [
        json.dumps(random_document(fw, rnd, rnd.choice((1, 1, 2, 2, 3, 3, 4, 5, 8, 10)))) for _ in range(args.rescore)
    ]
    assert len(set(stored)) == len(stored)
    outcomes: dict[str, int] = {}
    total_bytes = 0
    t0 = time.perf_counter()
    for text in stored:
        doc = json.loads(text)
        res = evaluate(fw, doc)  # validates first (raises DocumentInvalid)
        out = canonical_json(res)
        total_bytes += len(out)
        outcomes[res["outcome"]] = outcomes.get(res["outcome"], 0) + 1
    dt = time.perf_counter() - t0
    print(
        f"re-score {args.rescore:,} stored assessments (parse + validate + evaluate + "
        f"canonical_json): {dt:.2f} s, {dt / args.rescore * 1e6:.0f} µs each"
    )
    scaled = dt * 10_000 / args.rescore
    print(
        f"  target 10,000 < {TARGET_RESCORE_S:.0f} s: {scaled:.2f} s for 10,000 "
        f"({scaled / TARGET_RESCORE_S:.1%} of target, margin x{TARGET_RESCORE_S / scaled:.1f})"
    )
    print(
        f"  outcomes: {dict(sorted(outcomes.items()))}; {total_bytes / len(stored) / 1024:.1f} KiB of result JSON each"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
