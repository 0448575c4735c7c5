"""The criteria rule builder in real headless Chromium: built by keyboard and labels, checked as it
is built, added to the draft and saved, under the strict CSP; hidden, and not needed, without JavaScript."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

GP = "north-thames-gp"  # the demo `custodian` manages its criteria
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _editor(live_server, open_page, sign_in):
    page = open_page()
    page.context.add_init_script(CSP_LISTENER)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, "custodian")
    page.goto(live_server.url + reverse("criteria_edit", args=[GP]))
    return page, errors


def test_a_rule_built_by_keyboard_is_checked_as_it_is_built_and_added_to_the_draft(
    live_server, open_page, sign_in, framework_v1, custodian
):
    page, errors = _editor(live_server, open_page, sign_in)
    builder = page.locator("#rule-builder")
    builder.get_by_role("heading", name="Build a rule").wait_for()
    draft = page.locator("#id_text")
    before = draft.input_value()

    builder.get_by_label("Rule id").fill("R-DA-01")
    first = builder.get_by_role("group", name="Condition 1")
    first.get_by_label("Question").select_option("DA1")
    first.get_by_label("Comparison").select_option(label="is")
    first.get_by_label("Value").select_option(label="identifiable")

    # A second condition by keyboard: focus goes to its question.
    builder.get_by_role("button", name="Add a condition").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "rb-clause-2-question"
    second = builder.get_by_role("group", name="Condition 2")
    second.get_by_label("Question").select_option("DA8")
    second.get_by_label("Comparison").select_option("ge")
    second.get_by_label("Value (a whole number)").fill("1000")

    builder.get_by_label("Safe", exact=True).select_option("data")
    builder.get_by_label("To at least tier").select_option("3")
    builder.get_by_label("Justification").fill("Identifiable records in number are high risk for us")
    builder.get_by_label("Source id").fill("GP-DAP-4")
    builder.get_by_label("Title", exact=True).fill("Data access policy, section 4")

    sentence = builder.locator("#rb-sentence")
    expect(sentence).to_contain_text("raises the data tier to at least 3")
    assert sentence.get_attribute("aria-live") == "polite"
    assert "Identifiability is identifiable and Number of individuals is at least 1000" in sentence.inner_text()
    expect(builder.locator("#rb-problems")).to_contain_text("is the id of a framework rule")

    # Not added while it has problems: the problems take the focus instead.
    builder.get_by_role("button", name="Add to draft").click()
    expect(builder.get_by_role("status")).to_have_text("Not added: fix the problems listed first.")
    assert page.evaluate("document.activeElement.id") == "rb-problems-heading"
    assert draft.input_value() == before

    builder.get_by_label("Rule id").fill("GP-02")
    expect(builder.locator("#rb-problems li")).to_have_count(0)
    builder.get_by_role("button", name="Add to draft").click()
    expect(builder.get_by_role("status")).to_contain_text("Rule GP-02 added at the end of the rules box")
    assert "- id: GP-02\n  phase: 1\n  when: {all: [{eq: [DA1, identifiable]}, {ge: [DA8, 1000]}]}" in (
        draft.input_value()
    )

    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    assert "It has no problems" in page.locator("main").inner_text()
    assert "- id: GP-02" in page.locator("#id_text").input_value()
    assert page.evaluate("window.__csp") == [] and errors == []


def test_phase_3_offers_tiers_and_the_comparisons_follow_the_question_type(
    live_server, open_page, sign_in, framework_v1, custodian
):
    page, errors = _editor(live_server, open_page, sign_in)
    builder = page.locator("#rule-builder")
    clause = builder.get_by_role("group", name="Condition 1")
    question = clause.get_by_label("Question")
    assert question.locator("option[value='tier:data']").count() == 0
    builder.get_by_label("The whole project").check()
    question.select_option("tier:data")
    assert clause.get_by_label("Comparison").locator("option").all_inner_texts() == ["is at least"]
    question.select_option("DA3")  # multi
    assert clause.get_by_label("Comparison").locator("option").all_inner_texts() == [
        "includes",
        "includes any of",
        "includes something other than",
    ]
    clause.get_by_label("Comparison").select_option("intersects")
    values = clause.get_by_role("group", name="Values")
    values.get_by_role("checkbox").first.check()
    expect(builder.locator("#rb-sentence")).to_contain_text("for at least one custodian")
    assert page.evaluate("window.__csp") == [] and errors == []

    # The page with the builder open and a condition built: no serious WCAG violations.
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]})
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_without_javascript_the_builder_stays_hidden_and_the_rules_box_is_the_editor(
    live_server, chromium_browser, framework_v1, custodian
):
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("custodian")
        page.get_by_label("Password").fill("priam-demo")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto(live_server.url + reverse("criteria_edit", args=[GP]))
        assert page.locator("#rule-builder").is_hidden()
        assert page.get_by_label("Rules (YAML)").is_visible()
    finally:
        context.close()
