"""Real headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright's sync API.

Playwright's sync API keeps an asyncio event loop running in the main thread, and
Django refuses database calls from a thread with a running loop unless
DJANGO_ALLOW_ASYNC_UNSAFE is set. The variable is set here, for the browser tests'
module only, and put back when its browser closes, so other tests keep the check.
"""

import datetime
import json
import os
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES_DIR, PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium_browser():
    """One Chromium per test module; each test opens its own context from it."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(chromium_browser):
    """open_page() → a page in a new browser context; every context is closed after the test."""
    contexts = []

    def _open():
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, username) through the real login form; returns the page on the home page."""

    def _sign_in(page, username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _sign_in


@pytest.fixture
def custodian_project(custodian, framework_v1, demo):
    """A project whose only custodian is the `custodian` persona's organisation: the
    coordinator has answered every project-wide question (E2's answers); the custodian
    has answered nothing yet."""
    from assessments.models import User
    from assessments.selectors.frameworks import engine_framework
    from assessments.services.answers import section_save
    from assessments.services.projects import project_create

    coordinator = User.objects.get(username="coordinator")
    document = json.loads((Path(EXAMPLES_DIR) / "E2.json").read_text())
    start = datetime.date(2027, 1, 1)
    project = project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[custodian.memberships.get().organisation],
        framework_version=framework_v1,
        title="Browser-tested asthma study",
        summary="A study for the browser tests.",
        lead_researcher="Dr B. Rowser",
        lead_organisation="University of Cambridge",
        purpose="Public-benefit research.",
        public_benefit="Better asthma care.",
        start_date=start,
        end_date=start + datetime.timedelta(days=365),
    )
    framework = engine_framework(framework_v1)
    for safe in framework.safes:
        questions = framework.section(safe, "project")
        if questions:
            section_save(
                project=project,
                safe=safe,
                base_version=0,
                actor=coordinator,
                answers={q.id: document["answers"].get(q.id) for q in questions},
            )
    return project, project.assessments.get()
