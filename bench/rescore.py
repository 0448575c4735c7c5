"""Re-score 10,000 stored assessments through the database, as a framework upgrade would.

    .venv/bin/python bench/rescore.py [--projects 10000]

Embedded mode in a throwaway data folder (SQLite). It stores N projects with 1–10
custodian assessments each (random valid answers, as bench/engine.py makes them),
then times the re-score: read every project with its assessments in chunks, build
each exchange document, evaluate it, and store the results as Evaluation rows.
Target (issue 3): 10,000 re-scores under 20 s on this 2-core machine.
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["PRIAM_DATA_DIR"] = tempfile.mkdtemp(prefix="priam-bench-rescore-")
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"):
    os.environ.pop(name, None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "priam.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from engine import random_document

    from assessments import engine
    from assessments.models import CustodianAssessment, Evaluation, Organisation, Project, User
    from assessments.selectors.frameworks import engine_framework
    from assessments.selectors.projects import project_document
    from assessments.services.demo import demo_load

    call_command("migrate", verbosity=0)
    demo_load(with_projects=False, frameworks=["five-safes/v1"])  # the v1 examples; v2 comes later
    coordinator = User.objects.get(username="coordinator")
    version = __import__("assessments.models", fromlist=["FrameworkVersion"]).FrameworkVersion.objects.get()
    framework = engine_framework(version)
    organisations = [Organisation.objects.create(name=f"Custodian {i}", slug=f"custodian-{i}") for i in range(10)]
    rnd = random.Random(20261128)
    started = time.perf_counter()
    with transaction.atomic():
        for start in range(0, args.projects, 1000):
            batch = []
            documents = []
            for _ in range(min(1000, args.projects - start)):
                document = random_document(framework, rnd, rnd.randint(1, 10))
                documents.append(document)
                batch.append(
                    Project(
                        title="Stored",
                        summary="s",
                        lead_researcher="r",
                        lead_organisation="o",
                        purpose="p",
                        public_benefit="b",
                        start_date=datetime.date(2027, 1, 1),
                        end_date=datetime.date(2027, 2, 1),
                        coordinator=coordinator,
                        coordinating_organisation=organisations[0],
                        framework_version=version,
                        answers=document["answers"],
                    )
                )
            projects = Project.objects.bulk_create(batch)
            CustodianAssessment.objects.bulk_create(
                CustodianAssessment(
                    project=project, organisation=organisations[i], answers=custodian["answers"], status="submitted"
                )
                for project, document in zip(projects, documents, strict=True)
                for i, custodian in enumerate(document["custodians"])
            )
    print(
        f"stored {args.projects} projects with "
        f"{CustodianAssessment.objects.count()} custodian assessments in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    rescored = 0
    with transaction.atomic():
        projects = Project.objects.order_by("pk").prefetch_related("assessments__organisation")
        pending = []
        for project in projects.iterator(chunk_size=2000):
            result = engine.evaluate(framework, project_document(project, project.assessments.all()))
            pending.append(
                Evaluation(
                    project=project,
                    revision=project.revision,
                    framework_version=version,
                    document={},
                    result=result,
                    answers_sha256=result["answers_sha256"],
                    overall=result["overall"],
                    outcome=result["outcome"],
                )
            )
            if len(pending) == 1000:
                Evaluation.objects.bulk_create(pending)
                rescored += len(pending)
                pending = []
        Evaluation.objects.bulk_create(pending)
        rescored += len(pending)
    elapsed = time.perf_counter() - started
    print(
        f"re-scored {rescored} stored assessments (read, evaluate, store) in {elapsed:.2f} s "
        f"= {rescored / elapsed:,.0f}/s; target < 20 s: {elapsed / 20:.2f}× of the budget"
    )


if __name__ == "__main__":
    main()
