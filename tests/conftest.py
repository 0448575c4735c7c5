import os

import pytest

from assessments.models import User
from assessments.services.demo import demo_load

PASSWORD = "priam-demo"


def pytest_collection_modifyitems(config, items):
    # Tests that need the real services fail loudly outside `make test` rather than skip.
    if os.environ.get("PRIAM_TEST_SERVICES"):
        return
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(
                pytest.mark.usefixtures("_require_services"),
            )


@pytest.fixture
def _require_services():
    pytest.fail(
        "This test needs PostgreSQL, Redis and a Celery worker: run `make test`, "
        "or deselect it with -m 'not services'."
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    # Argon2 is deliberately slow; tests that check hashing itself opt out.
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return demo_load()


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
