"""Decision to signed PDF, compared in the same run with bare WeasyPrint + pyHanko.

    .venv/bin/python bench/pdf.py [--runs 7]

Uses the embedded mode in a throwaway data folder (SQLite, eager Celery, local
test CA). For each run it builds an assessed E1 project and the panel's votes
(untimed), then times PRIAM from the chair's decision to the stored signed PDF:
review_decide (snapshot, record number, audit event) + record_pdf_make (HTML
from the snapshot, render, sign, store, audit event). The baseline renders the
very same HTML with WeasyPrint and signs it with pyHanko, nothing else.
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
sys.path.insert(0, str(ROOT / "bench"))
os.environ["PRIAM_DATA_DIR"] = tempfile.mkdtemp(prefix="priam-bench-pdf-")
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"):
    os.environ.pop(name, None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    import json

    from django.core.management import call_command
    from pdf_libs import bare_render_and_sign, build_signer

    from assessments.models import Organisation, Panel, User
    from assessments.pdf import testca
    from assessments.services.demo import demo_load
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast
    from assessments.services.records import record_pdf_html, record_pdf_make
    from assessments.services.seeding import project_from_document

    call_command("migrate", verbosity=0)
    demo_load(with_projects=False, frameworks=["five-safes/v1"])  # the v1 examples; v2 comes later
    _, files = testca.ensure_test_ca(testca.default_directory())
    coordinator, chair = User.objects.get(username="coordinator"), User.objects.get(username="chair")
    panel = Panel.objects.get()
    orgs = {o.name: o for o in Organisation.objects.filter(slug__in=["cambridge-brc", "genomics-england"])}
    from assessments.models import FrameworkVersion

    framework_version = FrameworkVersion.objects.get()
    document = json.loads((ROOT / "fixtures" / "examples" / "E1.json").read_text())

    def decided_ready():
        project = project_from_document(
            document=document,
            coordinator=coordinator,
            coordinating_organisation=orgs["Cambridge BRC"],
            organisations=orgs,
            framework_version=framework_version,
        )
        review = review_send(project=project, panel=panel, actor=coordinator)
        for username in ("chair", "panel", "panel2"):
            member = User.objects.get(username=username)
            conflict_declare(review=review, member=member, conflicted=False)
            vote_cast(review=review, member=member, choice="approve", rationale="Fine.")
        return review

    signer = build_signer(files.key, files.cert, files.ca)
    priam_times, bare_times, sizes, html = [], [], [], None
    for run in range(args.runs + 1):  # the first run warms fonts and caches; it is not counted
        review = decided_ready()
        start = time.perf_counter()
        record = review_decide(review=review, chair=chair, outcome="approve", conditions=[], rationale="Agreed.")
        record_pdf_make(record_id=record.pk)
        elapsed = time.perf_counter() - start
        # The same document for the baseline: its stylesheet inlined, since bare WeasyPrint has no
        # static-files fetcher.
        css = (ROOT / "static" / "css" / "record_pdf.css").read_text()
        html = record_pdf_html(record).replace(
            '<link rel="stylesheet" href="/static/css/record_pdf.css">', f"<style>{css}</style>"
        )
        assert "<style>" in html
        start = time.perf_counter()
        bare = bare_render_and_sign(html, signer)
        bare_elapsed = time.perf_counter() - start
        if run:
            priam_times.append(elapsed)
            bare_times.append(bare_elapsed)
            record.refresh_from_db()
            sizes.append((record.pdf.size, len(bare)))

    priam, bare = statistics.median(priam_times), statistics.median(bare_times)
    print(f"runs: {args.runs} (after one warm-up), record PDF ≈ {sizes[0][0] / 1024:.0f} KiB")
    print(
        f"PRIAM decision → signed PDF stored: median {priam * 1000:.0f} ms "
        f"(min {min(priam_times) * 1000:.0f}, max {max(priam_times) * 1000:.0f})"
    )
    print(
        f"bare WeasyPrint + pyHanko, same HTML: median {bare * 1000:.0f} ms "
        f"(min {min(bare_times) * 1000:.0f}, max {max(bare_times) * 1000:.0f})"
    )
    print(f"ratio PRIAM / bare: {priam / bare:.2f}× (target ≤ 1.5×)")


if __name__ == "__main__":
    main()
