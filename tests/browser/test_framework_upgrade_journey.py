"""Moving a project from five-safes@1 to five-safes@2, end to end in a real browser (issue 13 item 5).

E2 is assessed under v1 through the services, then v2 is loaded. The coordinator follows
"Compare with five-safes@2" from the project page by keyboard, reads DA10 unanswered for each
custodian and the tiers under both versions, and applies v2. Two custodians answer DA10 through
the test client; the third does it in the browser (home page, Data step, the radio by keyboard,
check, submit, confirm) and lands on a risk profile made under five-safes@2, where R-DA-13 fires
(spec five-safes-v2: E2's Met and pollution grid has DA9 = trivial). A custodian reads the
comparison without an Apply button, and the comparison fits a phone's width.
"""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import EXAMPLES_DIR, FRAMEWORK_V2, PASSWORD
from tests.helpers import confirm, post_section

pytestmark = pytest.mark.django_db(transaction=True)

E2 = json.loads((Path(EXAMPLES_DIR) / "E2.json").read_text())
# E2's tiers under v1 (the worked example); spec five-safes-v2 keeps them under v2, whatever DA10
# is: R-DA-14 needs DA2 = weak or DA9 = high, and no E2 custodian has either.
E2_TIERS = json.loads((Path(EXAMPLES_DIR) / "E2.expected.json").read_text())["tiers"]
# DA10 answers as the v2 worked example gives them.
DA10 = {
    c["name"]: c["answers"]["DA10"]
    for c in json.loads((Path(EXAMPLES_DIR) / "v2" / "E2.json").read_text())["custodians"]
}
CUSTODIANS = [c["name"] for c in E2["custodians"]]
IN_BROWSER = "GP records"  # answers "motivated": one arrow key past the first option
DA10_TEXT = "Who might try to re-identify people in this data or misuse it?"  # spec five-safes-v2
R_DA_13 = "Confidential data with trivial consequences of disclosure"  # spec five-safes-v2, rule changes
TRIVIAL = [c["name"] for c in E2["custodians"] if c["answers"]["DA9"] == "trivial"]

# Every table on the comparison page, and the page itself, at a phone's width.
TABLES = """() => Array.from(document.querySelectorAll('main table')).map(t => ({
  caption: t.caption ? t.caption.textContent.trim() : '',
  unscoped: Array.from(t.querySelectorAll('th')).filter(th => !['col', 'row'].includes(th.getAttribute('scope')))
                 .map(th => th.textContent.trim()),
  wrapped: !!t.closest('.table-responsive'),
  scrolls: !!t.closest('.table-responsive') && t.closest('.table-responsive').scrollWidth > t.closest('.table-responsive').clientWidth,
  focusable: !!t.closest('.table-responsive') && t.closest('.table-responsive').tabIndex === 0,
}))"""
OVERFLOW = """() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
  wide: Array.from(document.querySelectorAll('main *')).filter(el => {
    if (el.closest('.table-responsive')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
  }).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + el.textContent.trim().slice(0, 40))})"""


def _member(name):
    """The username example_project gives the one member of E2's custodian `name`."""
    return f"e2-{name}".lower().replace(" ", "-") + "-member"


class Problems:
    """Console errors, uncaught page errors and HTTP errors of every page it watches."""

    def __init__(self, open_page, sign_in):
        self.open_page, self.sign_in, self.seen = open_page, sign_in, []

    def page(self, username):
        page = self.open_page()
        page.on("console", lambda m: self.seen.append(f"{page.url} console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.seen.append(f"{page.url} page error: {e}"))
        page.on("response", lambda r: self.seen.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        return self.sign_in(page, username, PASSWORD)


@pytest.fixture
def e2_then_v2(example_project):
    """E2 assessed under five-safes@1 (every custodian submitted and confirmed), then v2 loaded."""
    from assessments.models import Project
    from assessments.services.frameworks import framework_load

    project = example_project("E2")
    assert project.status == Project.Status.ASSESSED and project.framework_version.spec == "five-safes@1"
    version, _ = framework_load(path=FRAMEWORK_V2)
    assert version.spec == "five-safes@2"
    return project


def _compare_url(url, project):
    return url + reverse("project_framework", args=[project.pk]) + "?version=2"


def _tier_rows(page):
    """{row heading: (v1 cell, v2 cell)} of the tiers table."""
    table = page.locator("table", has=page.locator("caption", has_text="Each safe’s tier under both versions"))
    rows = table.locator("tbody tr")
    return {
        rows.nth(i).locator("th").inner_text().strip(): tuple(
            c.strip() for c in rows.nth(i).locator("td").all_inner_texts()
        )
        for i in range(rows.count())
    }


def _answer_da10_through_the_client(project, name):
    from assessments.models import User

    client = Client()
    client.force_login(User.objects.get(username=_member(name)))
    assessment = project.assessments.get(organisation__name=name)
    saved = post_section(client, project, "data", {**assessment.answers, "DA10": DA10[name]}, assessment)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    submitted = client.post(reverse("assessment_submit", args=[project.pk, assessment.pk]))
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    assert confirm(client, project, assessment).status_code == 302


def test_the_coordinator_applies_v2_and_custodians_answer_da10(live_server, open_page, sign_in, e2_then_v2):
    from assessments.models import CustodianAssessment
    from assessments.selectors.frameworks import engine_framework

    project, url = e2_then_v2, live_server.url
    project_url = url + reverse("project_detail", args=[project.pk])
    watch = Problems(open_page, sign_in)

    # 1. The coordinator follows the comparison link from the project page, by keyboard.
    coordinator = watch.page("coordinator")
    coordinator.goto(project_url)
    newer = coordinator.locator('section[aria-labelledby="framework-heading"]')
    assert newer.get_by_role("heading", name="Newer framework versions").is_visible()
    compare = newer.get_by_role("link", name="Compare with five-safes@2")
    compare.focus()
    coordinator.keyboard.press("Enter")
    coordinator.wait_for_url(_compare_url(url, project))
    assert coordinator.get_by_role("heading", level=1).inner_text() == (
        f"{E2['title']} under five-safes@1 and five-safes@2"
    )

    unanswered = coordinator.locator('section[aria-labelledby="unanswered-heading"]')
    assert unanswered.get_by_role("heading").inner_text() == "Questions still to answer under five-safes@2"
    items = unanswered.get_by_role("listitem").all_inner_texts()
    assert sorted(items) == sorted(f"{name}: DA10 – {DA10_TEXT} (unanswered)" for name in CUSTODIANS), items

    labels = {**engine_framework(project.framework_version).safe_labels, "overall": "Overall"}
    expected = {labels[safe]: tier for safe, tier in E2_TIERS.items()} | {"Overall": max(E2_TIERS.values())}
    rows = _tier_rows(coordinator)
    assert {heading: rows[heading] for heading in expected} == {h: (str(t), str(t)) for h, t in expected.items()}, rows
    headers = coordinator.locator("table").first.locator("thead th").all_inner_texts()
    assert headers == ["Safe", "five-safes@1", "five-safes@2"], headers
    r_da_13 = coordinator.locator("table tbody tr", has=coordinator.locator("th", has_text="R-DA-13"))
    assert "new" in r_da_13.locator("th").inner_text()
    assert r_da_13.locator("td").all_inner_texts()[1:] == ["–", "fires"]

    coordinator.get_by_role("button", name="Apply five-safes@2").click()
    coordinator.wait_for_url(project_url)
    assert "The project now uses five-safes@2 as revision 2" in coordinator.get_by_role("status").first.inner_text()
    assert "Revision 2 · framework five-safes@2" in coordinator.locator("main").inner_text()
    assert coordinator.locator('section[aria-labelledby="framework-heading"]').count() == 0
    project.refresh_from_db()
    assert (project.framework_version.spec, project.revision, project.status) == ("five-safes@2", 2, "assessing")
    assert set(project.assessments.values_list("status", flat=True)) == {CustodianAssessment.Status.DRAFT}

    # 2. The other custodians answer DA10 through the test client; nothing is evaluated yet.
    for name in CUSTODIANS:
        if name != IN_BROWSER:
            _answer_da10_through_the_client(project, name)
    assert not project.evaluations.filter(revision=2).exists()

    # ... and GP records' member does it in the browser, starting from the home page.
    custodian = watch.page(_member(IN_BROWSER))
    waiting = custodian.locator('ul[data-list="assessments"]')
    assert f"{E2['title']} – {IN_BROWSER}: answers to complete and submit" in waiting.inner_text()
    waiting.get_by_role("link", name=E2["title"]).click()
    assessment = project.assessments.get(organisation__name=IN_BROWSER)
    custodian.wait_for_url(url + reverse("assessment_detail", args=[project.pk, assessment.pk]))
    steps = custodian.get_by_role("navigation", name="Questionnaire sections")
    data_step = steps.locator("li", has=custodian.get_by_role("link", name=re.compile(r"^\d+\. Data$")))
    assert data_step.get_by_text("incomplete", exact=True).is_visible()
    data_step.get_by_role("link").click()
    custodian.wait_for_url(url + reverse("assessment_section", args=[project.pk, assessment.pk, "data"]))

    # DA10 ("Likely attacker"): a group named by the question, its three options and "unknown",
    # reached with Tab from DA9's chosen answer and answered with the arrow keys.
    group = custodian.get_by_role("group", name=DA10_TEXT)
    assert group.locator('input[type="radio"]').evaluate_all("rs => rs.map(r => r.value)") == [
        "opportunistic",
        "motivated",
        "sophisticated",
        "unknown",
    ]
    # On the way: DA9's evidence and comments, each folded into one stop.
    custodian.locator('input[name="DA9"]:checked').focus()
    passed = []
    for _ in range(3):
        custodian.keyboard.press("Tab")
        focused = custodian.evaluate("[document.activeElement.name, document.activeElement.value]")
        if focused[0] == "DA10":
            break
        passed.append(custodian.evaluate("document.activeElement.textContent.trim()"))
    assert focused == ["DA10", "opportunistic"], f"Tab from DA9 reached {focused}"
    assert passed == ["Attach a document to question DA9", "Comments on question DA9 (0)"], passed
    custodian.keyboard.press("Space")
    custodian.keyboard.press("ArrowDown")
    assert DA10[IN_BROWSER] == "motivated"
    assert group.get_by_role("radio", name=re.compile(r"^motivated", re.I)).is_checked()
    custodian.get_by_role("button", name="Save and continue").click()
    custodian.wait_for_url(re.compile(r"/questions/outputs/$"))
    assert "Data saved as a draft." in custodian.get_by_role("status").first.inner_text()
    assert (
        steps.locator("li", has=custodian.get_by_role("link", name=re.compile(r"^\d+\. Data$")))
        .get_by_text("complete", exact=True)
        .is_visible()
    )

    steps.get_by_role("link", name=re.compile(r"Check your answers$")).click()
    custodian.wait_for_url(url + reverse("assessment_check", args=[project.pk, assessment.pk]))
    assert custodian.locator("#missing").count() == 0
    da10_row = custodian.locator('section[aria-labelledby="safe-data"] dl.check-answers > div', has_text=DA10_TEXT)
    assert da10_row.locator("dd").first.inner_text().lower().startswith("motivated"), da10_row.inner_text()
    custodian.get_by_role("button", name="Submit assessment").click()
    custodian.wait_for_url(url + reverse("assessment_detail", args=[project.pk, assessment.pk]))
    assert "Assessment submitted." in custodian.get_by_role("status").first.inner_text()
    assert not project.evaluations.filter(revision=2).exists(), "evaluated before the project answers were confirmed"
    custodian.get_by_role("button", name="Confirm project answers").click()

    # 3. Every custodian has answered DA10 and confirmed: the risk profile is made under v2.
    custodian.wait_for_url(url + reverse("risk_profile", args=[project.pk]))
    assert "the risk profile is ready" in custodian.get_by_role("status").first.inner_text()
    # The evaluation record and the fired rules are folded sections: open them as a reader does.
    custodian.locator("summary", has_text="Evaluation record").click()
    custodian.locator("summary", has_text="Rules that fired").click()
    assert custodian.locator("code.framework-spec").inner_text() == "five-safes@2"
    fired = custodian.locator('table.fired-rules tr[data-rule="R-DA-13"]')
    assert fired.count() == len(TRIVIAL) == 1
    cells = fired.locator("td").all_inner_texts()
    assert (cells[0], cells[3]) == (TRIVIAL[0], R_DA_13), cells
    evaluation = project.evaluations.get(revision=2)
    assert evaluation.result["framework"]["version"] == "2" and evaluation.result["tiers"] == E2_TIERS

    assert not watch.seen, "errors in the browser:\n" + "\n".join(watch.seen)


def test_a_custodian_reads_the_comparison_without_an_apply_button(live_server, open_page, sign_in, e2_then_v2):
    project, url = e2_then_v2, live_server.url
    watch = Problems(open_page, sign_in)
    page = watch.page(_member("Census and education"))
    page.goto(url + reverse("project_detail", args=[project.pk]))
    page.get_by_role("link", name="Compare with five-safes@2").click()
    page.wait_for_url(_compare_url(url, project))
    items = page.locator('section[aria-labelledby="unanswered-heading"]').get_by_role("listitem").all_inner_texts()
    assert sorted(item.split(":")[0] for item in items) == sorted(CUSTODIANS)
    assert "the coordinator applies it" in page.locator("main").inner_text()
    assert page.get_by_role("button", name=re.compile("Apply")).count() == 0
    assert page.locator('main form[method="post"]').count() == 0
    assert "Only the project’s coordinator moves it to five-safes@2." in page.locator("main").inner_text()
    assert not watch.seen, "errors in the browser:\n" + "\n".join(watch.seen)


@pytest.mark.parametrize("username", ["coordinator", _member("Met and pollution grid")])
def test_the_comparison_fits_a_phone_and_its_tables_are_captioned_and_scoped(
    live_server, open_page, sign_in, e2_then_v2, username
):
    from axe_playwright_python.sync_playwright import Axe

    project = e2_then_v2
    watch = Problems(open_page, sign_in)
    page = watch.page(username)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(_compare_url(live_server.url, project))
    page.wait_for_load_state("load")

    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["inner"], f"the page scrolls sideways at 375px: {overflow}"
    assert not overflow["wide"], f"elements outside the viewport at 375px: {overflow['wide']}"

    tables = page.evaluate(TABLES)
    assert len(tables) >= 2, tables  # the tiers and the rules at least
    for table in tables:
        assert table["caption"], f"a table without a caption: {table}"
        assert not table["unscoped"], f"header cells without scope in “{table['caption']}”: {table['unscoped']}"
        assert table["wrapped"], f"“{table['caption']}” does not scroll inside its own .table-responsive"
        if table["scrolls"]:
            assert table["focusable"], f"“{table['caption']}” scrolls sideways but the keyboard cannot reach it"
    # At 375px the rules table is wider than the screen (it has four columns of prose): a keyboard
    # user reaches its region with Tab and scrolls it with the arrow keys.
    assert any(t["scrolls"] for t in tables), tables
    region = page.get_by_role("region", name="Every rule that fires under either version, and why")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-labelledby')") == "rules-caption":
            break
    else:
        pytest.fail("Tab never reached the scrolling rules table")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.activeElement.scrollLeft > 0")
    assert region.evaluate("r => r === document.activeElement")

    if username == "coordinator":
        apply = page.get_by_role("button", name="Apply five-safes@2")
        apply.scroll_into_view_if_needed()
        box = apply.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, f"the Apply button at 375px: {box}"

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]},
            "resultTypes": ["violations"],
        },
    )
    serious = [
        f"{v['id']}: {v['help']} – {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "accessibility violations on the comparison page:\n" + "\n".join(serious)
    assert not watch.seen, "errors in the browser:\n" + "\n".join(watch.seen)
