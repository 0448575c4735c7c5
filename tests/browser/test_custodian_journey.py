"""Every data owner's route, end to end in a real browser, each step as its own persona.

Criteria managers publish their criteria and risk appetites through the criteria pages; the
project (E2) is then assessed through the services, to save time. Its three custodians take
three routes: GP records' approver signs off, Met and pollution grid approves automatically and
Census and education, with no appetite, goes to the panel. The chair's decision issues the
record, whose signed PDF the public verification page accepts. No page logs a console error,
fails a request or breaks the Content-Security-Policy on the way.
"""

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

GP, MET, CENSUS = "GP records", "Met and pollution grid", "Census and education"
PROJECT_TITLE = "Asthma, air pollution and weather"

# GP-01 is the spec's worked example and does not fire at E2's 10,000 patients; GP-02 does, so
# the published criteria visibly reach the project (as a condition attributed to GP records).
GP_CRITERIA = """\
- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "Data access policy, section 3"}]
- id: GP-02
  phase: 1
  when: {ge: [DA8, 5000]}
  effects: [{gap: true}]
  justification: Send the GP records team the study's output log every quarter
  sources: [{id: GP-DAP-4, title: "Data access policy, section 4"}]
"""
GP_CONDITION = "Send the GP records team the study's output log every quarter"
SIGN_OFF_CONDITION = "Tell us before linking any further data set."

# Reported through an exposed binding rather than a page global, so a violation on a page
# the journey has already left is still counted.
CSP_REPORTER = """
document.addEventListener('securitypolicyviolation', e => {
  window.__priamCsp(location.pathname + ': ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


class Watch:
    """Console errors, page errors, failed requests, HTTP errors and CSP violations of every
    context it opens."""

    def __init__(self, open_page, sign_in):
        self.open_page, self.sign_in = open_page, sign_in
        self.errors, self.violations, self.policies = [], [], set()

    def page(self, username=None):
        page = self.open_page()
        context = page.context
        context.expose_function("__priamCsp", self._violation)
        context.add_init_script(CSP_REPORTER)
        page.on("console", lambda m: self.errors.append(f"{page.url} console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url} page error: {e}"))
        # ERR_ABORTED is a load the next navigation cancelled (the record page refreshes itself).
        context.on(
            "requestfailed",
            lambda r: (
                None if "ERR_ABORTED" in (r.failure or "") else self.errors.append(f"failed: {r.url} {r.failure}")
            ),
        )
        context.on("response", self._response)
        return self.sign_in(page, username, PASSWORD) if username else page

    def _violation(self, text):
        self.violations.append(text)

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")
        if response.request.resource_type == "document":
            self.policies.add(response.headers.get("content-security-policy", ""))


def _custodians():
    """The three custodian organisations: a criteria manager for GP records and for Met and
    pollution grid, an approver for GP records; Census and education states nothing."""
    from assessments.models import Membership, Organisation, User

    people = {
        GP: [("gp-manager", {"manages_criteria": True}), ("gp-approver-a", {"approves": True})],
        MET: [("met-manager", {"manages_criteria": True})],
        CENSUS: [("census-member", {})],
    }
    organisations = {}
    for name, members in people.items():
        organisation = Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        for username, duties in members:
            user = User.objects.create_user(username, password=PASSWORD)
            Membership.objects.create(user=user, organisation=organisation, **duties)
        organisations[name] = organisation
    return organisations


def _publish_criteria(page, url, slug):
    page.goto(url + reverse("criteria_edit", args=[slug]))
    page.get_by_label("Rules (YAML)").fill(GP_CRITERIA)
    page.get_by_label("Note (optional)").fill("Our policy on large extracts and output logs.")
    page.get_by_role("button", name="Review and publish").click()
    page.wait_for_url(url + reverse("criteria_publish", args=[slug]))
    assert page.locator("#rule-GP-01").is_visible() and page.locator("#rule-GP-02").is_visible()
    page.get_by_role("button", name="Publish version 1").click()
    page.wait_for_url(url + reverse("criteria_version", args=[slug, 1]))
    assert "Criteria version 1 published." in page.get_by_role("status").first.inner_text()


def _publish_appetite(page, url, slug, routes):
    """routes: {tier level: the route's label in the form}."""
    page.goto(url + reverse("appetite_edit", args=[slug]))
    for level, label in routes.items():
        page.get_by_role("combobox", name=re.compile(rf"^Tier {level} \(")).select_option(label=label)
    page.get_by_role("button", name="Review and publish").click()
    page.wait_for_url(url + reverse("appetite_publish", args=[slug]))
    page.get_by_role("button", name="Publish version 1").click()
    page.wait_for_url(url + reverse("appetite_index", args=[slug]))
    assert "Risk appetite version 1 published." in page.get_by_role("status").first.inner_text()


def _sign_off_rows(page, table):
    rows = page.locator(f"table.{table} tbody tr")
    return {rows.nth(i).get_attribute("data-custodian"): rows.nth(i) for i in range(rows.count())}


def _panel_member_votes(page, url, review_path):
    page.goto(url + "/")
    page.locator('ul[data-list="reviews"]').get_by_role("link", name=PROJECT_TITLE).click()
    page.wait_for_url(url + review_path)
    declare = page.locator('section[aria-labelledby="declare-heading"]')
    declare.get_by_label("No, I have no conflict of interest").check()
    declare.get_by_role("button", name="Record my declaration").click()
    page.wait_for_url(url + review_path)
    vote = page.locator('section[aria-labelledby="vote-heading"]')
    vote.get_by_label("Approve with conditions").check()
    vote.get_by_label("Rationale").fill("Linked through a trusted third party; the conditions cover the rest.")
    vote.get_by_role("button", name="Cast my vote").click()
    page.wait_for_url(url + review_path)
    assert "You voted “Approve with conditions”" in vote.inner_text()


def test_every_data_owner_signs_off_through_the_browser(
    live_server, open_page, sign_in, example_project, signing_ca, tmp_path
):
    from assessments.models import DecisionRecord, PanelReview, SignOff

    url = live_server.url
    watch = Watch(open_page, sign_in)
    organisations = _custodians()
    gp, met = organisations[GP].slug, organisations[MET].slug

    # 1. The criteria managers publish, through the criteria pages.
    gp_manager = watch.page("gp-manager")
    _publish_criteria(gp_manager, url, gp)
    # The spec's appetite for GP records, except that its approver also takes tier 3 (E2's tier).
    gp_routes = {0: "Approved automatically", 1: "Approved automatically", 2: "Our approver reviews"}
    _publish_appetite(gp_manager, url, gp, gp_routes | {3: "Our approver reviews", 4: "We decline"})
    met_manager = watch.page("met-manager")
    met_routes = dict.fromkeys(range(4), "Approved automatically") | {4: "The approval panel"}
    _publish_appetite(met_manager, url, met, met_routes)

    # 2. The project is assessed (overall tier 3), through the services.
    project = example_project("E2")
    project_path = reverse("project_detail", args=[project.pk])

    # 3. Each custodian's route, on the project page.
    coordinator = watch.page("coordinator")
    coordinator.goto(url + project_path)
    rows = _sign_off_rows(coordinator, "project-sign-offs")
    assert set(rows) == {GP, MET, CENSUS}
    routes = {name: (row.get_attribute("data-route"), row.get_attribute("data-status")) for name, row in rows.items()}
    assert routes == {
        GP: ("custodian_review", "pending"),
        MET: ("automatic", "approved"),
        CENSUS: ("panel", "pending"),
    }
    assert "Approved automatically" in rows[MET].locator("td").first.inner_text()
    assert "Approved" in rows[MET].locator("td").nth(1).inner_text()

    # 4. GP records' approver finds it on the home page and signs off through the confirmation page.
    approver = watch.page("gp-approver-a")
    waiting = approver.locator('ul[data-list="sign-offs"]')
    assert approver.get_by_role("heading", name="Projects waiting for your sign-off").is_visible()
    assert f"for {GP}" in waiting.inner_text()
    waiting.get_by_role("link", name=PROJECT_TITLE).click()
    sign_off = SignOff.objects.get(project=project, organisation__name=GP)
    approver.wait_for_url(url + reverse("sign_off", args=[sign_off.pk]))
    approver.get_by_label("Approve with conditions").check()
    approver.get_by_label("Reason").fill("Pseudonymised, linked by a trusted third party.")
    approver.get_by_label("Conditions (one per line)").fill(SIGN_OFF_CONDITION)
    approver.get_by_role("button", name="Review your sign-off").click()
    assert approver.get_by_role("heading", level=1).inner_text() == f"Confirm your sign-off for {GP}"
    assert SIGN_OFF_CONDITION in approver.locator("main dl").inner_text()
    sign_off.refresh_from_db()
    assert sign_off.status == "pending", "the sign-off was recorded before it was confirmed"
    approver.get_by_role("button", name="Record the sign-off").click()
    approver.wait_for_url(url + project_path)
    assert (
        "The record is issued when every custodian has signed off." in approver.get_by_role("status").first.inner_text()
    )
    gp_row = _sign_off_rows(approver, "project-sign-offs")[GP]
    assert gp_row.get_attribute("data-status") == "approved_with_conditions"

    # 5. The coordinator sends it to the panel; the members vote; the chair decides.
    coordinator.goto(url + project_path)
    coordinator.get_by_role("combobox", name="Approval panel").select_option(label="National Data Access Panel")
    coordinator.get_by_label("Covering note to the panel").fill("Census and education's appetite sends it to you.")
    coordinator.get_by_role("button", name="Send to the panel").click()
    coordinator.wait_for_url(url + project_path)
    assert "Sent to National Data Access Panel." in coordinator.get_by_role("status").first.inner_text()
    review_path = reverse("review_detail", args=[PanelReview.objects.get(project=project).pk])

    for member in ("panel", "panel2"):
        _panel_member_votes(watch.page(member), url, review_path)
    chair = watch.page("chair")
    _panel_member_votes(chair, url, review_path)
    decide = chair.locator('section[aria-labelledby="decide-heading"]')
    # GP records' published GP-02 reached the project: its gap is pre-filled as a condition.
    assert "From rule GP-02" in decide.inner_text()
    assert decide.locator('input[name$="-text"]').first.input_value() == GP_CONDITION
    decide.get_by_label("Approve with conditions").check()
    # By its label: the decision form's ids are its own, so the label names this box, not the vote's.
    decide.get_by_label("The panel's rationale").fill("Acceptable with the custodians' conditions.")
    decide.get_by_role("button", name="Continue to confirm the decision").click()
    assert chair.get_by_role("heading", level=1).inner_text() == "Confirm the decision"
    assert GP_CONDITION in chair.locator("main dl").inner_text()
    chair.get_by_role("button", name="Issue the decision record").click()
    chair.wait_for_url(re.compile(r"/records/[^/]+/$"))

    # 6. The record lists every custodian's sign-off, and its signed PDF verifies.
    record = DecisionRecord.objects.get(project=project)
    assert chair.url == url + reverse("record_detail", args=[record.number])
    assert record.outcome == "approve_with_conditions"
    rows = _sign_off_rows(chair, "sign-offs")
    assert {name: row.get_attribute("data-status") for name, row in rows.items()} == {
        GP: "approved_with_conditions",
        MET: "approved",
        CENSUS: "approved_with_conditions",  # as the panel decided
    }
    assert "by gp-approver-a" in rows[GP].inner_text() and SIGN_OFF_CONDITION in rows[GP].inner_text()
    assert "criteria v1" in rows[GP].inner_text() and "appetite v1" in rows[GP].inner_text()
    assert "under its appetite" in rows[MET].inner_text() and "appetite v1" in rows[MET].inner_text()
    assert "by the panel's decision" in rows[CENSUS].inner_text()
    assert "no risk appetite stated" in rows[CENSUS].inner_text()
    # The PDF is made on the decision's commit (tasks run inline in tests); the page refreshes
    # itself every two seconds while it is not.
    download_link = chair.get_by_role("link", name="Download the signed PDF")
    download_link.wait_for(timeout=30_000)
    with chair.expect_download() as download:
        download_link.click()
    pdf = tmp_path / f"{record.number}.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    public = watch.page()
    public.goto(url + reverse("verify"))
    public.locator('input[type="file"][name="file"]').set_input_files(str(pdf))
    public.get_by_role("button", name="Verify").click()
    result = public.locator('section[aria-labelledby="result-heading"]')
    result.wait_for()
    assert result.get_by_role("heading").inner_text() == "Valid decision record"
    summary = result.locator("[data-summary]").inner_text()
    assert summary == f"Valid decision record {record.number}, issued by this PRIAM (current).", summary

    # Nothing went wrong in any browser, and every page came with the strict policy.
    assert not watch.errors, "console and network errors:\n" + "\n".join(watch.errors)
    assert not watch.violations, "CSP violations:\n" + "\n".join(watch.violations)
    assert watch.policies and all("script-src 'self'" in p and "unsafe" not in p for p in watch.policies)
    # Control: the reporter does report a violation when there is one.
    public.evaluate("""() => { const s = document.createElement('script');
                               s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    for _ in range(50):
        if watch.violations:
            break
        public.wait_for_timeout(100)
    assert public.evaluate("window.__ran") is None, "an inline script ran despite the CSP"
    assert any("script-src" in v for v in watch.violations), watch.violations
