import os

import pytest

from assessments.models import User
from assessments.services.demo import demo_load

PASSWORD = "priam-demo"


def pytest_collection_modifyitems(config, items):
    # Tests of the embedded mode are deselected, not skipped, on the real services: make test's
    # SQLite run runs them.
    if os.environ.get("PRIAM_TEST_SERVICES"):
        embedded = [item for item in items if item.get_closest_marker("embedded")]
        if embedded:
            config.hook.pytest_deselected(items=embedded)
            items[:] = [item for item in items if not item.get_closest_marker("embedded")]
        return
    # Tests that need the real services fail loudly outside `make test` rather than skip.
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(
                pytest.mark.usefixtures("_require_services"),
            )


@pytest.fixture
def _require_services():
    pytest.fail(
        "This test needs PostgreSQL, Redis and a Celery worker: run `make test`, or deselect it with -m 'not services'."
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    # Argon2 is deliberately slow; tests that check hashing itself opt out.
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The demo people, organisations, criteria and appetites, without the demo projects, as
    they stood under five-safes@1 alone: most tests are about v1's behaviour, which v2 leaves
    selectable. Tests of v2 add it with `framework_v2` (it then becomes the default)."""
    return demo_load(with_projects=False, frameworks=["five-safes/v1"])


def _persona(username):
    @pytest.fixture
    def fixture(demo):
        return User.objects.get(username=username)

    return fixture


coordinator = _persona("coordinator")
custodian = _persona("custodian")
genomics = _persona("genomics")
chair = _persona("chair")
panel = _persona("panel")
auditor = _persona("auditor")
admin_user = _persona("admin")
outsider = _persona("outsider")


@pytest.fixture
def nobody(db):
    """A signed-up user with no role at all."""
    return User.objects.create_user("nobody", password=PASSWORD)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


FRAMEWORK_V1 = "fixtures/frameworks/five-safes/v1"


@pytest.fixture
def framework_v1(db):
    from assessments.services.frameworks import framework_load

    version, _ = framework_load(path=FRAMEWORK_V1)
    return version


FRAMEWORK_V2 = "fixtures/frameworks/five-safes/v2"


@pytest.fixture
def framework_v2(framework_v1):
    """five-safes@2, loaded after v1 as in the demo: the latest, so new projects use it."""
    from assessments.services.frameworks import framework_load

    version, _ = framework_load(path=FRAMEWORK_V2)
    return version


EXAMPLES_DIR = "fixtures/examples"


@pytest.fixture
def example_project(framework_v1, demo):
    """Build a project from a worked example through the services; custodian names map to
    new organisations with one custodian member each, coordinated by `coordinator`."""
    import json
    from pathlib import Path

    from assessments.models import Membership, Organisation
    from assessments.services.seeding import project_from_document

    coordinator = User.objects.get(username="coordinator")

    def build(name, **kwargs):
        document = json.loads((Path(EXAMPLES_DIR) / f"{name}.json").read_text())
        organisations = {}
        for custodian in document["custodians"]:
            slug = f"{name}-{custodian['name']}".lower().replace(" ", "-")
            org = Organisation.objects.filter(name=custodian["name"]).first()
            if org is None:
                org = Organisation.objects.create(slug=slug, name=custodian["name"])
                user = User.objects.create_user(f"{slug}-member", password=PASSWORD)
                Membership.objects.create(user=user, organisation=org)
            organisations[custodian["name"]] = org
        return project_from_document(
            document=document,
            coordinator=coordinator,
            coordinating_organisation=coordinator.memberships.get().organisation,
            organisations=organisations,
            framework_version=framework_v1,
            **kwargs,
        )

    return build


@pytest.fixture
def signing_ca(settings, tmp_path):
    """The embedded test CA and signing certificate, under this test's data folder."""
    from assessments.pdf import testca

    if not os.environ.get("PRIAM_TEST_SERVICES"):
        # The worker under `make test` shares PRIAM_DATA_DIR with pytest, so keep it there.
        settings.DATA_DIR = tmp_path
    return testca.ensure_test_ca(testca.default_directory())


@pytest.fixture
def panel_body(demo):
    """The demo's approval panel: chair, member and deputy chair."""
    from assessments.models import Panel

    return Panel.objects.get(name="National Data Access Panel")


@pytest.fixture
def assessed_project(example_project):
    """E1, fully assessed and ready to go to a panel."""
    return example_project("E1")


@pytest.fixture
def issue_record(signing_ca):
    """Take an assessed project through a panel to a signed record, through the services."""
    from assessments.models import Panel
    from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast
    from assessments.services.records import record_pdf_make

    def issue(project, outcome="approve", pdf=True, **decision):
        panel = Panel.objects.get(name="National Data Access Panel")
        review = review_send(project=project, panel=panel, actor=project.coordinator)
        for username in ("chair", "panel", "panel2"):
            member = User.objects.get(username=username)
            conflict_declare(review=review, member=member, conflicted=False)
            vote_cast(review=review, member=member, choice=outcome, rationale="Fine.")
        record = review_decide(
            review=review,
            chair=User.objects.get(username="chair"),
            outcome=outcome,
            conditions=decision.pop("conditions", []),
            rationale=decision.pop("rationale", "Agreed."),
            **decision,
        )
        if pdf:  # rendering and signing costs a second or two; tests that never read the PDF skip it
            record_pdf_make(record_id=record.pk)
        record.refresh_from_db()
        return record

    return issue


def _details_for_fuzz(coordinator, framework_version):
    """A project with one custodian assessment, for API fuzzing to find."""
    import datetime

    from assessments.models import Organisation
    from assessments.services.projects import project_create

    return project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[Organisation.objects.get(slug="north-thames-gp")],
        framework_version=framework_version,
        title="Fuzzed",
        summary="s",
        lead_researcher="r",
        lead_organisation="o",
        purpose="p",
        public_benefit="b",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2027, 2, 1),
    )


@pytest.fixture(autouse=True)
def _tasks_run_inline_unless_testing_the_worker(request):
    """Under `make test` a broker is configured; tests not marked `services` still run their
    tasks inline, because the worker cannot see a test's uncommitted transaction."""
    from priam.celery import app

    if request.node.get_closest_marker("services"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
