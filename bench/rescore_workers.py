"""Impact preview in chunks on PostgreSQL: throughput with one Celery worker process, then two.

    .venv/bin/python bench/rescore_workers.py [--projects 100000] [--chunk 1000]

Starts its own PostgreSQL and Redis in a temporary folder (ports PRIAM_TEST_PG_PORT and
PRIAM_TEST_REDIS_PORT, as scripts/with-test-services.sh does), stores N projects that "GP records"
takes part in (bench/impact_preview.py's documents: E2, and E1 with GP records added; each
custodian's assessment, and each project's latest evaluation, plus an earlier revision for one
in five), N/5 projects it takes no part in, all bulk-inserted. Then it asks for the same criteria
draft preview twice: once with ONE worker process (`celery worker --concurrency=1`), once with
TWO (two such workers, as on two machines), and prints projects/s for each, the ratio, and the
load average measured under (the machine is shared). Last, in this process, where one chunk's
time goes: reading its rows from PostgreSQL vs. re-scoring them.

Stored results are trimmed to what a preview reads of them (tiers, overall, outcome, routes,
fired) so that loading 100,000 projects takes a minute, not the engine's 12 KiB per result.
"""

import argparse
import copy
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import impact_preview as base  # noqa: E402  (bench/impact_preview.py: its documents and draft)

PG_PORT = int(os.environ.get("PRIAM_TEST_PG_PORT", "55442"))
REDIS_PORT = int(os.environ.get("PRIAM_TEST_REDIS_PORT", "56389"))
BATCH = 2000


def _as_pg(args):
    # PostgreSQL refuses to run as root: run it as its own user then.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def start_services(work):
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
    data = work / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    subprocess.run(
        _as_pg([str(pg_bin / "initdb"), "-D", str(data), "-U", "priam", "--auth=trust", "-E", "UTF8"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-p {PG_PORT} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c shared_buffers=256MB"
    )
    subprocess.run(
        _as_pg([str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-o", options, "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        _as_pg([str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "priam", "priam"]), check=True
    )
    subprocess.run(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--dir", str(work), "--pidfile", str(work / "redis.pid"),
         "--logfile", str(work / "redis.log")],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)

    def stop():
        if (work / "redis.pid").exists():
            subprocess.run(["kill", (work / "redis.pid").read_text().strip()])
        subprocess.run(
            _as_pg([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), stdout=subprocess.DEVNULL
        )

    return stop


def start_workers(work, n, env):
    """n worker processes of one child each, as n one-core machines would run them."""
    workers = []
    for i in range(n):
        log = work / f"worker{i}.log"
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "-A", "priam", "worker", "--concurrency=1", "--loglevel=WARNING",
             f"--hostname=bench{i}@%h", f"--logfile={log}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        workers.append(process)
    from priam.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if len(replies) >= n:
            return workers
    raise SystemExit(f"{n} workers did not start: see {work}")


def stop_workers(workers):
    for process in workers:
        process.terminate()
    for process in workers:
        process.wait(timeout=30)


def store(n, rnd):
    from django.db import connection, transaction

    from assessments import engine
    from assessments.models import CustodianAssessment, Evaluation, FrameworkVersion, Organisation, Project, User
    from assessments.selectors.frameworks import engine_framework

    coordinator = User.objects.get(username="coordinator")
    version = FrameworkVersion.objects.get()
    framework = engine_framework(version)
    names = ("Cambridge BRC", "Genomics England", base.GP, "Met and pollution grid", "Census and education")
    organisations = {
        name: Organisation.objects.get_or_create(
            name=name, defaults={"slug": "bench-" + name.lower().replace(" ", "-")}
        )[0]
        for name in names
    }
    with_gp, without_gp = base._documents(rnd)
    results = {}  # few distinct documents (DA8 drawn from six values): evaluate each once

    def result_of(document):
        key = (document["title"], tuple(c["answers"]["DA8"] for c in document["custodians"]))
        if key not in results:
            full = engine.evaluate(framework, document)
            results[key] = {
                k: full.get(k) for k in ("tiers", "overall", "outcome", "routes", "fired", "answers_sha256")
            }
        return results[key]

    total = n + n // 5
    started = time.perf_counter()
    stored = 0
    for start in range(0, total, BATCH):
        with transaction.atomic():
            documents = [with_gp() if i < n else without_gp() for i in range(start, min(total, start + BATCH))]
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
                if rnd.random() < 0.2:
                    earlier = copy.deepcopy(document)
                    earlier["custodians"][0]["answers"]["DA8"] = rnd.choice(base.DA8_VALUES)
                    revisions.insert(0, earlier)
                for revision, doc in enumerate(revisions, start=1):
                    result = result_of(doc)
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
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"stored {total:,} projects ({n:,} with {base.GP}), {stored:,} evaluations, "
        f"{CustodianAssessment.objects.count():,} custodian assessments in {time.perf_counter() - started:.1f} s"
    )
    return organisations[base.GP]


def preview_once(gp, draft, manager):
    """Queue one preview as impact_preview_request does (the dispatch runs in a worker) and wait."""
    from assessments.models import ImpactPreview
    from assessments.services.impact import impact_preview_task

    preview = ImpactPreview.objects.create(
        organisation=gp,
        kind=ImpactPreview.Kind.CRITERIA,
        draft_data=draft.data,
        draft_updated_at=draft.updated_at,
        framework_version=draft.framework_version,
        requested_by=manager,
    )
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    impact_preview_task.delay(preview.pk)
    while True:
        preview.refresh_from_db(fields=["status", "done", "total", "error"])
        if not preview.pending:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    preview.refresh_from_db()
    assert preview.status == ImpactPreview.Status.DONE, preview.error
    return preview, elapsed, (load_before, load_after)


def where_time_goes(preview, size, samples=5):
    """In this process: the dispatch's one query, then for a few chunks the time reading their
    rows from PostgreSQL vs. re-scoring them (impact_compare on rows already read)."""
    from assessments.selectors.impact import impact_chunk_rows, latest_evaluations_of_custodian
    from assessments.services.impact import impact_compare

    started = time.perf_counter()
    ids = list(
        latest_evaluations_of_custodian(preview.organisation, preview.framework_version).values_list("pk", flat=True)
    )
    select = time.perf_counter() - started
    read = score = 0.0
    for k in range(samples):
        chunk = ids[k * size : (k + 1) * size]
        started = time.perf_counter()
        rows = list(impact_chunk_rows(chunk))
        read += time.perf_counter() - started
        started = time.perf_counter()
        impact_compare(preview=preview, rows=rows)
        score += time.perf_counter() - started
    return select, len(ids), read / samples, score / samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="PRIAM_RESCORE_CHUNK for the workers")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="priam-bench-workers-"))
    os.chmod(work, 0o755)
    stop = start_services(work)
    workers = []
    try:
        os.environ.update(
            DATABASE_URL=f"postgres://priam@127.0.0.1:{PG_PORT}/priam",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
            PRIAM_DATA_DIR=str(work / "data"),
            PRIAM_RESCORE_CHUNK=str(args.chunk),
        )
        import random

        import django

        django.setup()
        from django.core.management import call_command

        from assessments.models import User
        from assessments.services.criteria import criteria_draft_save
        from assessments.services.demo import demo_load

        call_command("migrate", verbosity=0)
        demo_load(with_projects=False, frameworks=["five-safes/v1"])
        gp = store(args.projects, random.Random(20261130))
        manager = User.objects.create_user("bench-gp-manager")
        gp.memberships.create(user=manager, manages_criteria=True)
        draft, problems = criteria_draft_save(organisation=gp, text=base.DRAFT, actor=manager)
        assert problems == [], problems

        env = dict(os.environ)
        rates = {}
        for n in (1, 2):
            workers = start_workers(work, n, env)
            preview, elapsed, (before, after) = preview_once(gp, draft, manager)
            stop_workers(workers)
            workers = []
            counts = preview.result["counts"]
            rates[n] = counts["read"] / elapsed
            print(
                f"{n} worker process{'es' if n > 1 else ''}: {counts['read']:,} projects in {elapsed:.2f} s "
                f"= {rates[n]:,.0f} projects/s ({preview.chunks} chunks of {args.chunk}; "
                f"{counts['changed']:,} change; load average {before:.2f} before, {after:.2f} after)"
            )
        print(f"two workers / one: {rates[2] / rates[1]:.2f}×")
        select, n_ids, read, score = where_time_goes(preview, args.chunk)
        print(
            f"one chunk of {args.chunk} in one process: read from PostgreSQL {read * 1000:.0f} ms, "
            f"re-score {score * 1000:.0f} ms ({100 * read / (read + score):.0f}% in the database); "
            f"the dispatch's selection of {n_ids:,} ids: {select * 1000:.0f} ms"
        )
        print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    finally:
        stop_workers(workers)
        from django.db import connections

        connections.close_all()
        stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
