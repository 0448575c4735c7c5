"""Five Safes RO-Crates and the public register: how long a crate takes to make and to check,
and whether the register's cost grows with its entries.

    .venv/bin/python bench/crate_roundtrip.py [--rounds 20] [--entries 200]

Embedded mode in a throwaway data folder (SQLite, eager Celery), with the demo loaded (its
decided project has a signed record and two evidence documents). It times crate_build (the
export) and crate_import's checks (zip, manifest, the PDF's signature against a trusted peer,
the snapshot against the signed hash) over the same crate, refusing it as "already received"
after the first round so that every round runs every check. Then it publishes the demo's
project, copies its approval until the register holds N entries, and counts the queries and
times of /register/, /register.json, /register.csv and /register.atom at 1 and at N entries.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PRIAM_DATA_DIR"] = tempfile.mkdtemp(prefix="priam-bench-crate-")
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"):
    os.environ.pop(name, None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")


def _ms(samples):
    return f"median {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.crates.build import crate_build
    from assessments.models import Project, User
    from assessments.pdf import testca
    from assessments.services.crate_import import AlreadyReceived, crate_import, peer_trust
    from assessments.services.demo import demo_load
    from assessments.services.register import project_publish
    from tests.register.conftest import more_entries

    call_command("migrate", verbosity=0)
    call_command("init_signing", verbosity=0)
    demo_load()
    admin = User.objects.get(username="admin")
    project = Project.objects.get(title="Federated genomics across two TREs")
    record = project.records.order_by("-issued_at").first()
    peer_trust(
        name="Bench peer",
        base_url="https://peer.example",
        certificate_pem=(testca.default_directory() / testca.CA_FILE).read_text(),
        by=admin,
    )

    builds, imports, size = [], [], 0
    for n in range(args.rounds):
        started = time.perf_counter()
        data = crate_build(record=record)
        builds.append(time.perf_counter() - started)
        size = len(data)
        started = time.perf_counter()
        try:
            crate_import(data=data, by=admin)
        except AlreadyReceived:
            if n == 0:
                raise
        imports.append(time.perf_counter() - started)
    print(f"crate of {record.number}: {size / 1024:.0f} KiB, {args.rounds} rounds")
    print(f"  export (crate_build): {_ms(builds)}")
    print(f"  import checks (crate_import): {_ms(imports)}")

    project_publish(
        project=project,
        user=project.coordinator,
        lay_summary="Researchers study how genes shape health inside two secure environments.",
        condition_wording={},
    )
    client = Client(HTTP_HOST="127.0.0.1")
    urls = ("/register/", "/register.json", "/register.csv", "/register.atom")

    def measure():
        found = {}
        for url in urls:
            client.get(url)  # warm
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                took = time.perf_counter() - started
            assert response.status_code == 200, url
            found[url] = (len(queries), took)
        return found

    one = measure()
    more_entries(record, args.entries - 1)
    many = measure()
    print(f"register at 1 entry and at {args.entries} entries (queries; time):")
    for url in urls:
        (q1, t1), (qn, tn) = one[url], many[url]
        print(f"  {url:15} {q1:>3} -> {qn:>3} queries; {t1 * 1000:6.0f} -> {tn * 1000:6.0f} ms ({tn / t1:.1f}x)")


if __name__ == "__main__":
    main()
