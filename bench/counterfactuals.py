#!/usr/bin/env python3
"""Benchmark of the engine's counterfactuals ("what would change the result", issue 14 item 3).

Run from anywhere:  python bench/counterfactuals.py [--runs N] [--random N]

Prints the median of N runs (default 51) of ``counterfactuals(framework, document)`` in ms for
the worked examples under five-safes@1 and @2, an E2 with every option answer "unknown"
(the most rules firing), and for N random documents of three custodians (default 300; each
the median of 5 runs, so that a pause of the machine does not pass for a slow document) the
median, 95th percentile and slowest, with how many changed documents were evaluated. Target: under 50 ms
for a three-custodian project.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import random_document  # noqa: E402

from assessments.engine import counterfactuals, load_framework_dir, validate_document  # noqa: E402

FRAMEWORKS = os.path.join(ROOT, "fixtures", "frameworks", "five-safes")
EXAMPLES = os.path.join(ROOT, "fixtures", "examples")
TARGET_MS = 50.0


def read(*path: str) -> dict:
    with open(os.path.join(*path), encoding="utf-8") as fh:
        return json.load(fh)


def all_unknown(doc: dict) -> dict:
    """Every enum, bool and multi answer "unknown" (each evaluated as its worst)."""
    doc = json.loads(json.dumps(doc))
    for answers in [doc["answers"], *(c["answers"] for c in doc["custodians"])]:
        for qid, value in answers.items():
            if not isinstance(value, int) or isinstance(value, bool):
                answers[qid] = "unknown"
    return doc


def timed(fw, doc: dict, runs: int) -> tuple[float, dict]:
    result = counterfactuals(fw, doc)  # warm up (and the caches of compiled criteria)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        counterfactuals(fw, doc)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, result


def row(name: str, custodians: int, ms: float, result: dict) -> None:
    found = sum(len(s["suggestions"]) for s in result["safes"])
    if result["approvable"]:
        found += len(result["approvable"]["suggestions"])
    print(f"{name:<34}{custodians:>11}{ms:>10.2f}{result['evaluations']:>13}{found:>13}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=51, help="runs per document (the median is shown)")
    ap.add_argument("--random", type=int, default=300, help="random three-custodian documents")
    ap.add_argument("--random-runs", type=int, default=5, help="runs per random document (the median is used)")
    args = ap.parse_args(argv)

    v1 = load_framework_dir(os.path.join(FRAMEWORKS, "v1"))
    v2 = load_framework_dir(os.path.join(FRAMEWORKS, "v2"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, load {load:.2f}")
    print(f"median of {args.runs} runs each\n")
    print(f"{'document':<34}{'custodians':>11}{'ms':>10}{'evaluations':>13}{'suggestions':>13}")
    worst_example = 0.0
    documents = [
        *((f"v1 {n}", v1, read(EXAMPLES, f"{n}.json")) for n in ("E1", "E2", "E4", "E4b")),
        *((f"v2 {n}", v2, read(EXAMPLES, "v2", f"{n}.json")) for n in ("E1", "E2", "E4", "E4-sophisticated")),
        ("v1 E2, GP criteria, DA8 1.2 M", v1, read(EXAMPLES, "criteria", "E2-DA8-1200000.json")),
        ("v1 E2, every option unknown", v1, all_unknown(read(EXAMPLES, "E2.json"))),
        ("v2 E2, every option unknown", v2, all_unknown(read(EXAMPLES, "v2", "E2.json"))),
    ]
    for name, fw, doc in documents:
        assert validate_document(fw, doc) == [], name
        ms, result = timed(fw, doc, args.runs)
        worst_example = max(worst_example, ms)
        row(name, len(doc["custodians"]), ms, result)

    print()
    for fw in (v1, v2):
        rnd = random.Random(20261130)
        times, evaluations, complete = [], [], 0
        while len(times) < args.random:
            doc = random_document(fw, rnd, 3)
            if validate_document(fw, doc):
                continue
            ms, result = timed(fw, doc, args.random_runs)
            times.append(ms)
            evaluations.append(result["evaluations"])
            targets = [*result["safes"], *([result["approvable"]] if result["approvable"] else [])]
            complete += all(t["complete"] for t in targets)
        times.sort()
        print(
            f"{args.random} random 3-custodian documents, five-safes@{fw.version}: median {statistics.median(times):.2f} ms, "
            f"95th percentile {times[int(len(times) * 0.95)]:.2f} ms, slowest {times[-1]:.2f} ms; "
            f"evaluations median {statistics.median(evaluations):.0f}, most {max(evaluations)}; "
            f"{complete} of {args.random} searched completely"
        )
        worst_example = max(worst_example, times[-1])
    print(
        f"\nslowest of all: {worst_example:.2f} ms (target < {TARGET_MS:.0f} ms for 3 custodians: "
        f"{worst_example / TARGET_MS:.0%} of it)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
