"""PRIAM in a real browser: headless Chromium against the live test server.

Keyboard sign-in and focus, the live show-if, a section save, a validation error,
the strict Content-Security-Policy, axe-core accessibility checks and a screenshot.
"""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SERIOUS = ("serious", "critical")


def progress(page):
    """(complete, total) from the questionnaire's "N of M sections complete"."""
    text = page.locator("#progress-text").inner_text()
    match = re.search(r"(\d+) of (\d+) sections complete", text)
    assert match, f"no progress text in {text!r}"
    return int(match.group(1)), int(match.group(2))


def focus_ring(page):
    """The focused element's tag and whether its focus indicator is visible."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            const shadow = s.boxShadow && s.boxShadow !== 'none';
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                    text: (el.textContent || '').trim(), visible: outline || !!shadow,
                    outline: s.outlineStyle + ' ' + s.outlineWidth, boxShadow: s.boxShadow};
        }"""
    )


def data_section_url(live_server, project, assessment):
    return live_server.url + reverse("assessment_section", args=[project.pk, assessment.pk, "data"])


# --------------------------------------------------------------------------- 1. keyboard


def test_keyboard_only_sign_in_skip_link_and_visible_focus(live_server, open_page, custodian_project):
    page = open_page()
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    # Tab from the top of the page to the username field, as a keyboard user would.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "username":
            break
    ring = focus_ring(page)
    assert ring["name"] == "username", f"Tab never reached the username field (stopped on {ring})"
    assert ring["visible"], f"the focused username field has no visible focus indicator: {ring}"
    page.keyboard.type("custodian")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type("priam-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome,")

    # The skip link is the first thing Tab reaches, is visible when focused, and moves focus to <main>.
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    ring = focus_ring(page)
    assert (ring["tag"], ring["text"]) == ("a", "Skip to main content"), f"first focusable element: {ring}"
    assert ring["visible"], f"the focused skip link has no visible focus indicator: {ring}"
    assert page.get_by_role("link", name="Skip to main content").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # The next Tab continues inside <main> at its first link, past the navigation.
    page.keyboard.press("Tab")
    ring = focus_ring(page)
    first_in_main = page.evaluate("document.querySelector('main a[href]').textContent.trim()")
    assert page.evaluate("!!document.activeElement.closest('main')"), f"Tab after the skip link reached {ring}"
    assert ring["text"] == first_in_main, f"Tab after the skip link reached {ring}"
    assert ring["visible"], f"the focused link in <main> has no visible focus indicator: {ring}"


# --------------------------------------------------------------------------- 2. show-if


def test_show_if_updates_live_without_saving(live_server, open_page, sign_in, custodian_project):
    project, assessment = custodian_project
    page = sign_in(open_page(), "custodian")
    page.goto(data_section_url(live_server, project, assessment))
    da7 = page.locator("#q-DA7")
    # Nothing answered: DA1 counts as "unknown" → identifiable, so DA7 starts hidden.
    assert da7.is_hidden()
    page.locator('input[name="DA1"][value="pseudonymised"]').check()
    da7.wait_for(state="visible")
    assert page.get_by_label("Smallest equivalence class k").is_visible()
    page.locator('input[name="DA1"][value="identifiable"]').check()
    da7.wait_for(state="hidden")
    page.locator('input[name="DA1"][value="anonymised_record"]').check()
    da7.wait_for(state="visible")
    page.locator('input[name="DA1"][value="aggregate_only"]').check()
    da7.wait_for(state="hidden")
    # Nothing was saved: the page never left, and the assessment is untouched.
    assert page.url == data_section_url(live_server, project, assessment)
    assessment.refresh_from_db()
    assert "DA1" not in assessment.answers


# --------------------------------------------------------------------------- 3. section save


def test_a_full_data_section_saves_and_progress_increases(live_server, open_page, sign_in, custodian_project):
    project, assessment = custodian_project
    page = sign_in(open_page(), "custodian")
    page.goto(data_section_url(live_server, project, assessment))
    before, total = progress(page)
    assert total == 5

    page.locator('input[name="DA1"][value="pseudonymised"]').click()
    page.locator('input[name="DA2"][value="strong"]').click()
    page.locator('input[name="DA3"][value="health"]').click()
    page.locator('input[name="DA4"][value="none"]').click()
    page.locator('input[name="DA5"][value="false"]').click()
    page.locator('input[name="DA6"][value="small_area"]').click()
    page.locator('input[name="DA6"][value="exact_event_dates"]').click()
    page.get_by_label("Smallest equivalence class k").fill("12")
    page.get_by_label("Number of individuals").fill("10000")
    page.locator('input[name="DA9"][value="low"]').click()
    page.get_by_role("button", name="Save and continue").click()

    page.wait_for_url(re.compile(r"/questions/outputs/$"))
    status = page.get_by_role("status")
    assert "Data saved as a draft." in status.inner_text()
    after, _ = progress(page)
    assert after == before + 1, f"progress went from {before} to {after} of 5"
    data_step = page.locator(".steps li", has=page.locator("a", has_text="Data"))
    assert data_step.get_by_text("complete", exact=True).is_visible()
    assessment.refresh_from_db()
    assert assessment.answers["DA1"] == "pseudonymised"
    assert assessment.answers["DA6"] == ["small_area", "exact_event_dates"]
    assert assessment.answers["DA7"] == 12


# --------------------------------------------------------------------------- 4. validation error


def test_a_validation_error_shows_by_its_question_and_keeps_the_answers(
    live_server, open_page, sign_in, custodian_project
):
    project, assessment = custodian_project
    page = sign_in(open_page(), "custodian")
    page.goto(data_section_url(live_server, project, assessment))
    page.locator('input[name="DA1"][value="identifiable"]').click()
    page.locator('input[name="DA3"][value="none"]').click()
    page.locator('input[name="DA3"][value="health"]').click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()

    assert "Some answers need correcting" in page.get_by_role("alert").first.inner_text()
    error = page.locator("#q-DA3").get_by_text("“None” cannot be combined with other options.")
    assert error.is_visible(), "the DA3 error is not shown next to DA3"
    # The ticked answers are kept.
    assert page.locator('input[name="DA3"][value="none"]').is_checked()
    assert page.locator('input[name="DA3"][value="health"]').is_checked()
    assert page.locator('input[name="DA1"][value="identifiable"]').is_checked()
    # And a screen-reader user hears the error with the field (aria-describedby / aria-invalid).
    described = page.evaluate(
        """() => {
            const box = document.querySelector('input[name="DA3"][value="health"]');
            const group = box.closest('fieldset') || box.closest('[role=group]');
            const ids = [box, group].filter(Boolean)
                .map(el => el.getAttribute('aria-describedby') || '').join(' ').split(/\\s+/).filter(Boolean);
            const text = ids.map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
            return {text, invalid: box.getAttribute('aria-invalid') || (group && group.getAttribute('aria-invalid'))};
        }"""
    )
    assert "cannot be combined" in described["text"], (
        f"the DA3 error is not programmatically tied to its checkboxes (aria-describedby): {described}"
    )
    assessment.refresh_from_db()
    assert "DA3" not in assessment.answers


# --------------------------------------------------------------------------- 5. CSP


CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def test_the_strict_csp_holds_and_nothing_loads_from_elsewhere(
    live_server, open_page, sign_in, example_project, custodian_project
):
    evaluated = example_project("E1")
    project, assessment = custodian_project
    errors, requests, policies = [], [], set()

    def watched():
        page = open_page()
        context = page.context
        context.add_init_script(CSP_LISTENER)
        page.on("console", lambda m: errors.append(f"{page.url} console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url} page error: {e}"))
        context.on("request", lambda r: requests.append(r.url))
        # ERR_ABORTED is a load the next navigation cancelled (often the favicon), not a failure.
        context.on(
            "requestfailed",
            lambda r: (
                errors.append(f"request failed: {r.url} {r.failure}")
                if "ERR_ABORTED" not in (r.failure or "")
                else None
            ),
        )

        def on_response(response):
            if response.status >= 400:
                errors.append(f"HTTP {response.status}: {response.url}")
            if response.request.resource_type == "document":
                policies.add(response.headers.get("content-security-policy", ""))

        context.on("response", on_response)
        return page

    violations = {}
    page = watched()
    page.goto(live_server.url + reverse("login"))
    violations["login"] = page.evaluate("window.__csp")
    sign_in(page, "coordinator")
    pages = {
        "home": "/",
        "projects": reverse("projects"),
        "project": reverse("project_detail", args=[evaluated.pk]),
        "risk profile": reverse("risk_profile", args=[evaluated.pk]),
        "verify": reverse("verify"),
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.locator("h1").count() == 1, name
        violations[name] = page.evaluate("window.__csp")

    # A custodian's section page runs show_if.js: the questionnaire's one script.
    section = sign_in(watched(), "custodian")
    section.goto(data_section_url(live_server, project, assessment))
    section.locator('input[name="DA1"][value="pseudonymised"]').check()
    section.locator("#q-DA7").wait_for(state="visible")  # the script ran under the CSP
    violations["section"] = section.evaluate("window.__csp")

    # Every page came with the strict policy: no 'unsafe-inline' or 'unsafe-eval', nothing but 'self'.
    assert policies and all("script-src 'self'" in p and "style-src 'self'" in p for p in policies), policies
    assert not any("unsafe" in p for p in policies), policies
    assert not errors, "console errors:\n" + "\n".join(errors)
    assert not any(violations.values()), f"CSP violations: {violations}"
    # The recorder saw the page's own assets, so an empty "elsewhere" below means something.
    assert any(url.endswith("/bootstrap/css/bootstrap.min.css") for url in requests), requests
    assert any(url.endswith("/js/show_if.js") for url in requests), requests
    elsewhere = [url for url in requests if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert not elsewhere, f"requests that left {live_server.url}: {elsewhere}"

    # Control: the listeners do see a violation (an inline script) when there is one.
    page.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None, "an inline script ran despite the CSP"
    assert any("script-src" in v for v in page.evaluate("window.__csp"))


# --------------------------------------------------------------------------- 6. accessibility


def off_the_event_loop(function, *args, **kwargs):
    """Call function in a worker thread: Playwright's loop runs in this one, and the PDF
    signer (pyHanko) calls asyncio.run(), which refuses to run inside a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError as error:  # pragma: no cover - a failure, not a skip
        pytest.fail(f"axe-playwright-python is not installed ({error}); it bundles axe-core offline")
    return Axe()


def _describe(violation):
    nodes = "; ".join(
        f"{', '.join(n['target'])} {n['html'][:120]!r}: "
        + " ".join(c["message"] for c in n.get("any", []) + n.get("all", []) + n.get("none", []))
        for n in violation["nodes"][:5]
    )
    return f"{violation['id']} ({violation['impact']}): {violation['help']} – {nodes}"


STRUCTURE = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html has no lang');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  for (const sel of ['main', 'header', 'footer', 'nav']) {
    if (!document.querySelector(sel)) problems.push(`no <${sel}> landmark`);
  }
  if (document.querySelectorAll('main').length !== 1) problems.push('not exactly one <main>');
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('aria-hidden') === 'true') continue;
    const titled = svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby')
                   || svg.querySelector(':scope > title');
    if (!svg.getAttribute('role') || !titled) {
      problems.push('svg without role and title: ' + svg.outerHTML.slice(0, 80));
    }
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('img without alt: ' + img.outerHTML.slice(0, 80));
  }
  return problems;
}"""


def _refer_back(review):
    from assessments.models import User
    from assessments.services.panels import conflict_declare, review_decide, vote_cast

    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False)
        vote_cast(review=review, member=member, choice="refer_back", rationale="Questions.")
    review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="refer_back",
        conditions=[],
        rationale="Unclear.",
        questions="Where are the keys held?\nWho links the data?",
    )


def test_pages_have_no_serious_accessibility_violations(
    live_server, open_page, sign_in, example_project, issue_record, custodian_project
):
    from assessments.models import Panel, User
    from assessments.services.panels import review_send

    axe = _axe()
    record = off_the_event_loop(issue_record, example_project("E1"))
    with_panel = example_project("E2")
    review = review_send(
        project=with_panel,
        panel=Panel.objects.get(name="National Data Access Panel"),
        actor=User.objects.get(username="coordinator"),
        note="Please review.",
    )
    project, assessment = custodian_project

    found, structure = {}, {}

    def check(page, label, path):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.locator("h1").count() >= 1, f"{label}: page did not render ({page.url})"
        results = axe.run(
            page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        )
        serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
        if serious:
            found[label] = [_describe(v) for v in serious]
        problems = page.evaluate(STRUCTURE)
        if problems:
            structure[label] = problems

    anonymous = open_page()
    check(anonymous, "login", reverse("login"))
    check(anonymous, "verify", reverse("verify"))

    custodian_page = sign_in(open_page(), "custodian")
    check(custodian_page, "home (custodian)", "/")
    check(
        custodian_page, "questionnaire section", reverse("assessment_section", args=[project.pk, assessment.pk, "data"])
    )
    # The same section showing a validation error.
    custodian_page.locator('input[name="DA3"][value="none"]').click()
    custodian_page.locator('input[name="DA3"][value="health"]').click()
    with custodian_page.expect_navigation():
        custodian_page.get_by_role("button", name="Save draft").click()
    assert custodian_page.locator("#q-DA3 .invalid-feedback").count() >= 1, "the error state did not render"
    results = axe.run(
        custodian_page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    if serious:
        found["questionnaire section with an error"] = [_describe(v) for v in serious]

    coordinator_page = sign_in(open_page(), "coordinator")
    check(coordinator_page, "project list", reverse("projects"))
    check(coordinator_page, "project detail", reverse("project_detail", args=[record.project_id]))
    check(coordinator_page, "risk profile", reverse("risk_profile", args=[record.project_id]))

    chair_page = sign_in(open_page(), "chair")
    check(chair_page, "home (chair)", "/")
    check(chair_page, "review", reverse("review_detail", args=[review.pk]))
    check(chair_page, "record", reverse("record_detail", args=[record.number]))

    # After the review: the panel refers E2 back, and the coordinator reads and answers its questions.
    off_the_event_loop(_refer_back, review)
    check(coordinator_page, "home (coordinator, referral waiting)", "/")
    check(coordinator_page, "referral questions", reverse("project_referral", args=[with_panel.pk]))
    check(coordinator_page, "project detail (referred)", reverse("project_detail", args=[with_panel.pk]))
    check(coordinator_page, "request an amendment", reverse("project_amend", args=[record.project_id]))

    auditor_page = sign_in(open_page(), "auditor")
    check(auditor_page, "home (auditor)", "/")

    assert len(found) + len(structure) == 0, (
        "accessibility problems (axe-core, WCAG 2.0/2.1/2.2 A+AA, serious/critical):\n"
        + "\n".join(f"- {page}: {v}" for page, vs in found.items() for v in vs)
        + "\nstructure:\n"
        + "\n".join(f"- {page}: {p}" for page, ps in structure.items() for p in ps)
    )


def test_axe_finds_a_violation_when_there_is_one(live_server, open_page, demo):
    """Control for the check above: axe runs under the CSP and reports what it should."""
    axe = _axe()
    page = open_page()
    page.goto(live_server.url + reverse("login"))
    page.evaluate("document.querySelector('label[for=id_username]').remove()")
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    ids = {v["id"] for v in results.response["violations"]}
    assert "label" in ids, ids


# --------------------------------------------------------------------------- 7. screenshot


def test_risk_profile_screenshot(live_server, open_page, sign_in, example_project, tmp_path):
    project = example_project("E1")
    page = sign_in(open_page(), "coordinator")
    page.goto(live_server.url + reverse("risk_profile", args=[project.pk]))
    assert page.locator(".risk-chart svg").is_visible()
    path = tmp_path / "risk-profile.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000, len(data)
