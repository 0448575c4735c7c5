"""Impact preview of a criteria draft over 10,000 stored projects.

    .venv/bin/python bench/impact_preview.py [--projects 10000] [--profile] [--framework [--v2]]

Embedded mode in a throwaway data folder (SQLite, eager Celery). It stores N projects that
"GP records" takes part in, from the worked examples (E2 as it is; E1 with GP records added as a
third custodian), with GP records' DA8 varied so that some cross the draft's threshold, the
published criteria and appetites inline in each stored document (as evaluation_document puts
them there) and the full stored result, plus N/5 projects GP records takes no part in, and a
second revision for one project in five. Then it times the preview service: the request, whose
task runs at once (eager), re-scores every selected project under a draft GP-01
(DA8 >= 1,000,000 raises data to 4) and compares tiers, outcome and routes.
Target: 10,000 projects under 20 s on this 2-core machine.

--framework: the administrators' preview of a new framework version instead. The stored
documents also answer DA7 (k) where it applies, GP records' criteria name five-safes@1 (as
published criteria do), and a copy of five-safes v1 is loaded as version "9" with R-DA-09 made
stricter (k < 100, not 10, raises data to 4, not 3); it times framework_impact_request, which
re-scores every project's latest evaluation under @9 (GP records' criteria ignored there).
--framework --v2: the real five-safes@2 instead of @9. No stored document answers its new
question DA10, so each project is scored twice (DA10 at its least risky and at its worst).
"""

import argparse
import copy
import cProfile
import datetime
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PRIAM_DATA_DIR"] = tempfile.mkdtemp(prefix="priam-bench-impact-")
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"):
    os.environ.pop(name, None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")

EXAMPLES = ROOT / "fixtures" / "examples"
GP = "GP records"
# What GP records has published (inline in the stored documents): stricter only above 5 million.
PUBLISHED = {
    "id": "gp-records",
    "version": "1",
    "rules": [
        {
            "id": "GP-00",
            "phase": 1,
            "when": {"ge": ["DA8", 5000000]},
            "effects": [{"raise": "data", "to": 4}],
            "justification": "Very large extracts are very high risk for us",
            "sources": [{"id": "GP-DAP-3", "title": "GP data access policy, section 3"}],
        }
    ],
}
DRAFT = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP data access policy, section 3"}]
"""
GP_APPETITE = json.loads((EXAMPLES / "criteria" / "gp-records.appetite.json").read_text())
MET_APPETITE = json.loads((EXAMPLES / "criteria" / "met-grid.appetite.json").read_text())
DA8_VALUES = (10_000, 250_000, 800_000, 1_200_000, 3_000_000, 6_000_000)
DA7_VALUES = (5, 50, 500, 5000)
R_DA_09_V1 = "        - {lt: [DA7, 10]}\n        - {in: [DA1, [anonymised_record, pseudonymised]]}\n    effects: [{raise: data, to: 3}]"
R_DA_09_V9 = "        - {lt: [DA7, 100]}\n        - {in: [DA1, [anonymised_record, pseudonymised]]}\n    effects: [{raise: data, to: 4}]"
BATCH = 1000


def _documents(rnd, framework=False):
    e1 = json.loads((EXAMPLES / "E1.json").read_text())
    e2 = json.loads((EXAMPLES / "E2.json").read_text())
    gp_answers = next(c for c in e2["custodians"] if c["name"] == GP)["answers"]
    e1_with_gp = copy.deepcopy(e1)
    e1_with_gp["custodians"].append({"name": GP, "answers": copy.deepcopy(gp_answers)})
    published = {**PUBLISHED, "framework": "five-safes@1"} if framework else PUBLISHED

    def with_gp():
        document = copy.deepcopy(e2 if rnd.random() < 0.7 else e1_with_gp)
        for custodian in document["custodians"]:
            custodian["answers"]["DA8"] = rnd.choice(DA8_VALUES)
            if framework and custodian["answers"].get("DA1") in ("anonymised_record", "pseudonymised"):
                custodian["answers"]["DA7"] = rnd.choice(DA7_VALUES)
            if custodian["name"] == GP:
                custodian["criteria"] = published
                custodian["appetite"] = GP_APPETITE
            elif custodian["name"] == "Met and pollution grid":
                custodian["appetite"] = MET_APPETITE
        return document

    def without_gp():
        document = copy.deepcopy(e1)
        for custodian in document["custodians"]:
            custodian["answers"]["DA8"] = rnd.choice(DA8_VALUES)
        return document

    return with_gp, without_gp


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--profile", action="store_true", help="print the preview's top functions (cProfile)")
    parser.add_argument("--framework", action="store_true", help="preview a new framework version instead")
    parser.add_argument("--v2", action="store_true", help="with --framework: the real five-safes@2, not @9")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from assessments import engine
    from assessments.models import CustodianAssessment, Evaluation, FrameworkVersion, Organisation, Project, User
    from assessments.selectors.frameworks import engine_framework
    from assessments.services.criteria import criteria_draft_save
    from assessments.services.demo import demo_load
    from assessments.services.impact import framework_impact_request, impact_preview_request

    call_command("migrate", verbosity=0)
    demo_load(with_projects=False, frameworks=["five-safes/v1"])  # the v1 examples; v2 comes later
    coordinator = User.objects.get(username="coordinator")
    version = FrameworkVersion.objects.get()
    framework = engine_framework(version)
    names = ("Cambridge BRC", "Genomics England", GP, "Met and pollution grid", "Census and education")
    organisations = {
        n: Organisation.objects.get_or_create(name=n, defaults={"slug": "bench-" + n.lower().replace(" ", "-")})[0]
        for n in names
    }
    gp = organisations[GP]
    manager = User.objects.create_user("bench-gp-manager")
    gp.memberships.create(user=manager, manages_criteria=True)

    rnd = random.Random(20261130)
    with_gp, without_gp = _documents(rnd, framework=args.framework)
    total = args.projects + args.projects // 5
    started = time.perf_counter()
    stored = 0
    with transaction.atomic():
        for start in range(0, total, BATCH):
            documents = [
                with_gp() if i < args.projects else without_gp() for i in range(start, min(total, start + BATCH))
            ]
            projects = Project.objects.bulk_create(
                Project(
                    title=f"{d['title']} #{start + i}",
                    summary="s",
                    lead_researcher="r",
                    lead_organisation="o",
                    purpose="p",
                    public_benefit="b",
                    start_date=datetime.date(2027, 1, 1),
                    end_date=datetime.date(2027, 2, 1),
                    coordinator=coordinator,
                    coordinating_organisation=organisations["Cambridge BRC"],
                    framework_version=version,
                    answers=d["answers"],
                )
                for i, d in enumerate(documents)
            )
            CustodianAssessment.objects.bulk_create(
                CustodianAssessment(
                    project=p, organisation=organisations[c["name"]], answers=c["answers"], status="submitted"
                )
                for p, d in zip(projects, documents, strict=True)
                for c in d["custodians"]
            )
            evaluations = []
            for project, document in zip(projects, documents, strict=True):
                revisions = [document]
                if rnd.random() < 0.2:  # an earlier revision with other answers: never the one compared
                    earlier = copy.deepcopy(document)
                    earlier["custodians"][0]["answers"]["DA8"] = rnd.choice(DA8_VALUES)
                    revisions.insert(0, earlier)
                for revision, doc in enumerate(revisions, start=1):
                    result = engine.evaluate(framework, doc)
                    evaluations.append(
                        Evaluation(
                            project=project,
                            revision=revision,
                            framework_version=version,
                            document=doc,
                            result=result,
                            answers_sha256=result["answers_sha256"],
                            overall=result["overall"],
                            outcome=result["outcome"],
                        )
                    )
            Evaluation.objects.bulk_create(evaluations)
            stored += len(evaluations)
    print(
        f"stored {total} projects ({args.projects} with {GP}), {stored} evaluations "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    if args.framework:
        v9 = _load_v2() if args.v2 else _load_stricter_v9()
        admin = User.objects.get(username="admin")
    else:
        draft, problems = criteria_draft_save(organisation=gp, text=DRAFT, actor=manager)
        assert problems == [], problems
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    if args.framework:
        preview = framework_impact_request(version=v9, actor=admin)  # autocommit + eager: runs now
    else:
        preview = impact_preview_request(draft=draft, actor=manager)
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    preview.refresh_from_db()
    assert preview.status == "done", preview.error
    counts = preview.result["counts"]
    print(
        f"impact preview: {counts['rescored']} projects re-scored in {elapsed:.2f} s "
        f"= {counts['rescored'] / elapsed:,.0f} projects/s; target < 20 s: {elapsed / 20:.2f}× of the budget"
    )
    print(
        f"  {counts['changed']} change: {counts['tier']} tier, {counts['outcome']} outcome, "
        f"{counts['route']} route; {counts['skipped']} skipped; result JSON "
        f"{len(json.dumps(preview.result)) / 1024:,.0f} KiB"
    )
    if args.framework and args.v2:
        print(
            f"  {counts.get('unanswered', 0)} lacked DA10 (scored twice); {counts.get('depends', 0)} could change "
            f"depending on DA10: {counts.get('tier_depends', 0)} tier, {counts.get('outcome_depends', 0)} outcome, "
            f"{counts.get('route_depends', 0)} route"
        )
    if args.framework:
        print(
            f"  {counts['criteria_ignored']} with criteria not applied under {v9.spec} "
            f"({preview.result['criteria_ignored_by']}); {counts['not_older']} already under it or newer"
        )


def _load_v2():
    from assessments.services.frameworks import framework_load

    version, _ = framework_load(path=Path(__file__).resolve().parents[1] / "fixtures/frameworks/five-safes/v2")
    return version


def _load_stricter_v9():
    import shutil

    from assessments.services.frameworks import framework_load

    folder = Path(tempfile.mkdtemp(prefix="priam-bench-v9-")) / "v9"
    shutil.copytree(ROOT / "fixtures" / "frameworks" / "five-safes" / "v1", folder)
    header = folder / "framework.yaml"
    header.write_text(header.read_text().replace('version: "1"', 'version: "9"'))
    rules = folder / "rules.yaml"
    assert rules.read_text().count(R_DA_09_V1) == 1
    rules.write_text(rules.read_text().replace(R_DA_09_V1, R_DA_09_V9))
    return framework_load(path=folder)[0]


if __name__ == "__main__":
    main()
