"""Audit-trail benchmark on PostgreSQL: chain verification rate and CSV export vs raw COPY.

Run it with the test services (they set DATABASE_URL):

    bash scripts/with-test-services.sh .venv/bin/python bench/audit.py [--events 1000000]

It creates its own database `priam_bench` next to the one DATABASE_URL names,
migrates it, fills it with a valid hash chain (computed in Python with the real
event_hash and loaded with COPY FROM STDIN), measures, and drops it at the end.
"""

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "priam_bench"


def _page_kib():
    return os.sysconf("SC_PAGE_SIZE") // 1024


def rss_kib():
    """The current resident set size (not the peak), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _page_kib()


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def admin_connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def fill(n):
    """Write n chained events with COPY FROM STDIN, then set the chain head."""
    from django.db import connection

    from assessments.models import AuditChainHead, AuditEvent
    from assessments.services.audit import GENESIS_HASH, canonical_data, event_hash

    actions = [
        "auth.login",
        "auth.logout",
        "demo.loaded",
        "organisation.updated",
        "user.updated",
        "framework.loaded",
        "auth.login_failed",
        "panel.updated",
    ]
    actors = [(None, "system")] + [(i, f"user{i:03d}") for i in range(1, 200)]
    agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Gecko/20100101 Firefox/133.0",
        "",
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    columns = (
        "sequence",
        "timestamp",
        "actor_id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "organisation_id",
        "project_id",
        "ip_address",
        "user_agent",
        "data_json",
        "prev_hash",
        "hash",
    )
    table = AuditEvent._meta.db_table
    prev = GENESIS_HASH
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for seq in range(1, n + 1):
                actor_id, actor = actors[seq % len(actors)]
                fields = {
                    "timestamp": start + timedelta(microseconds=seq * 30_011_017 // 1000),
                    "actor_id": actor_id,
                    "actor": actor,
                    "action": actions[seq % len(actions)],
                    "object_type": "project" if seq % 3 else "",
                    "object_id": str(seq % 5000) if seq % 3 else "",
                    "organisation_id": (seq % 40) + 1 if seq % 4 else None,
                    "project_id": seq % 20000 if seq % 2 else None,
                    "ip_address": f"10.{seq % 256}.{(seq >> 8) % 256}.{(seq >> 16) % 256}" if seq % 5 else None,
                    "user_agent": agents[seq % 3],
                    "data_json": canonical_data(
                        {
                            "n": seq,
                            "field": "answers",
                            "note": 'café, "ok"',
                            "changes": {"tier": seq % 5, "safe": ["people", "data"]},
                        }
                    ),
                }
                digest = event_hash(sequence=seq, prev_hash=prev, **fields)
                copy.write_row(
                    (
                        seq,
                        fields["timestamp"],
                        actor_id,
                        actor,
                        fields["action"],
                        fields["object_type"],
                        fields["object_id"],
                        fields["organisation_id"],
                        fields["project_id"],
                        fields["ip_address"],
                        fields["user_agent"],
                        fields["data_json"],
                        prev,
                        digest,
                    )
                )
                prev = digest
        cursor.execute(f"ANALYZE {table}")
    AuditChainHead.objects.update_or_create(pk=1, defaults={"sequence": n, "hash": prev})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="do not drop priam_bench at the end")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/audit.py needs PostgreSQL: run it under scripts/with-test-services.sh")
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))
    with admin_connect(admin_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        run(args.events)
    finally:
        connections.close_all()
        if not args.keep:
            with admin_connect(admin_url) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def run(n):
    from django.db import connection

    from assessments.models import AuditEvent
    from assessments.services.audit import audit_verify
    from assessments.services.audit_export import audit_export_rows, copy_sql

    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    t = time.perf_counter()
    fill(n)
    print(f"fill: {n:,} chained events in {time.perf_counter() - t:.1f} s (Python hashing + COPY FROM STDIN)")

    t = time.perf_counter()
    report = audit_verify()
    verify_s = time.perf_counter() - t
    assert report.ok and report.count == n, report
    print(f"verify: {n:,} events in {verify_s:.2f} s = {n / verify_s:,.0f} events/s (target >= 100,000)")

    queryset = AuditEvent.objects.all()
    # Baseline: the same COPY statement, bytes read through psycopg and thrown away.
    sql, params = copy_sql(queryset)
    t = time.perf_counter()
    copy_bytes = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params or None) as copy:
        for data in copy:
            copy_bytes += len(data)
    copy_s = time.perf_counter() - t
    print(f"COPY (SELECT ...) TO STDOUT: {copy_bytes / 2**20:,.0f} MiB in {copy_s:.2f} s")

    rss_before, peak_before = rss_kib(), peak_rss_kib()
    rss_max = rss_before
    t = time.perf_counter()
    export_bytes, chunks = 0, 0
    for chunk in audit_export_rows(queryset=queryset, fmt="csv", filters={}):
        export_bytes += len(chunk)
        chunks += 1
        if chunks % 256 == 0:
            rss_max = max(rss_max, rss_kib())
    export_s = time.perf_counter() - t
    rss_after = rss_kib()
    assert export_bytes == copy_bytes, (export_bytes, copy_bytes)
    exported = AuditEvent.objects.filter(action="audit.exported").latest("sequence")
    assert exported.data["rows"] == n
    print(
        f"audit_export_rows (CSV): {export_bytes / 2**20:,.0f} MiB in {export_s:.2f} s "
        f"= {n / export_s:,.0f} rows/s; ratio to COPY {export_s / copy_s:.2f}x (target <= 3x)"
    )
    print(
        f"memory during export: RSS {rss_before / 1024:.1f} MiB before, max {rss_max / 1024:.1f} MiB "
        f"sampled, {rss_after / 1024:.1f} MiB after (growth {(rss_max - rss_before) / 1024:.1f} MiB); "
        f"peak RSS grew {(peak_rss_kib() - peak_before) / 1024:.1f} MiB"
    )

    # JSONL (Python path, keyset pages) for reference.
    rss_before = rss_kib()
    rss_max = rss_before
    t = time.perf_counter()
    jsonl_bytes = 0
    for i, chunk in enumerate(audit_export_rows(queryset=queryset, fmt="jsonl", filters={})):
        jsonl_bytes += len(chunk)
        if i % 256 == 0:
            rss_max = max(rss_max, rss_kib())
    jsonl_s = time.perf_counter() - t
    print(
        f"audit_export_rows (JSONL): {jsonl_bytes / 2**20:,.0f} MiB in {jsonl_s:.2f} s "
        f"= {n / jsonl_s:,.0f} rows/s; RSS growth {(rss_max - rss_before) / 1024:.1f} MiB"
    )

    t = time.perf_counter()
    report = audit_verify()
    print(
        f"verify again after the exports' events: ok={report.ok}, {report.count:,} events "
        f"in {time.perf_counter() - t:.2f} s"
    )


if __name__ == "__main__":
    main()
