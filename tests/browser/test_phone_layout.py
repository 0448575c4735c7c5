"""On a phone (390 px wide) no page runs wider than the screen and nothing is cut off.

Every page type, as each persona who reaches it (tests/browser/page_types.py), is checked
as loaded and again with every <details> and the folded main menu open: the page does not
scroll sideways, no element outside a scrolling region sticks out past either edge, nothing
is clipped by overflow: hidden, and whatever scrolls sideways is a focusable, named region
(so a keyboard user can scroll it and a screen reader announces it).
"""

import re

import pytest
from django.urls import reverse

from tests.browser.page_types import demo_pages

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${scroller.scrollWidth}px wide at ${window.innerWidth}px`);
  }
  const describe = el => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    return `<${el.tagName.toLowerCase()}${id}${cls}> “${text}”`;
  };
  // Clipped to nothing on purpose: .visually-hidden text for screen readers.
  const visuallyHidden = el => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)') return true;
      if (s.overflow === 'hidden' && e.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  const scrolls = s => s.overflowX === 'auto' || s.overflowX === 'scroll';
  const clips = s => s.overflowX === 'hidden' || s.overflowX === 'clip';
  const named = el => el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') || '')
      .split(/\\s+/).some(id => id && document.getElementById(id)
                            && document.getElementById(id).textContent.trim());
  const seen = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.getClientRects().length || visuallyHidden(el)) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // Whatever scrolls sideways must be reachable and named.
    if (scrolls(style) && el.scrollWidth > el.clientWidth + 1) {
      if (el.tabIndex < 0 || el.getAttribute('role') !== 'region' || !named(el)) {
        problems.push(`scrolls sideways but is not a focusable, named region: ${describe(el)}`);
      }
    }
    // Text cut off inside a box that hides its overflow.
    if (clips(style) && el.scrollWidth > el.clientWidth + 1 && el !== document.body
        && el !== document.documentElement) {
      problems.push(`cuts off ${el.scrollWidth - el.clientWidth}px of its content: ${describe(el)}`);
    }
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 && box.left >= -1) continue;
    // Past an edge: fine only inside something that scrolls sideways.
    let parent = el.parentElement, inScroller = false;
    for (; parent && parent !== document.body; parent = parent.parentElement) {
      const s = getComputedStyle(parent);
      if (scrolls(s)) { inScroller = true; break; }
      if (clips(s)) break;
    }
    if (inScroller) continue;
    // Report the outermost element that sticks out, not each of its descendants.
    let outer = el;
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const r = e.getBoundingClientRect();
      if (r.right > width + 1 || r.left < -1) outer = e;
    }
    if (seen.has(outer)) continue;
    seen.add(outer);
    const ob = outer.getBoundingClientRect();
    problems.push(`sticks out ${Math.round(Math.max(ob.right - width, -ob.left))}px: ${describe(outer)}`);
  }
  return problems;
}"""

OPEN_EVERYTHING = """() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
}"""


def _check(page):
    problems = page.evaluate(OVERFLOW)
    page.evaluate(OPEN_EVERYTHING)
    menu = page.get_by_role("button", name="Menu")
    if menu.count() and menu.is_visible():
        menu.click()
        page.locator("#main-nav.show").wait_for()
    opened = [p for p in page.evaluate(OVERFLOW) if p not in problems]
    return problems + [f"(opened) {p}" for p in opened]


def test_every_page_fits_a_phone_for_every_persona(live_server, open_page, sign_in, signing_ca):
    pages = demo_pages()
    found, checked, current, page = {}, 0, object(), None
    for persona, label, path in pages:
        if persona != current:
            page = sign_in(open_page(), persona) if persona else open_page()
            page.set_viewport_size(PHONE)
            current = persona
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{persona} {label}: HTTP {response.status} at {path}"
        assert page.locator("h1").count() == 1, f"{persona} {label}: no page at {page.url}"
        if "confirmation lapsed" in label:  # the state the page is there for
            assert page.locator('[data-confirmation="lapsed"] table').count() == 1, label
        problems = _check(page)
        checked += 1
        if problems:
            found[f"{persona or 'anonymous'}: {label} ({path})"] = problems
    assert checked == len(pages) >= 50, checked
    assert not found, f"{len(found)} of {checked} pages do not fit 390 px:\n" + "\n".join(
        f"- {name}:\n    " + "\n    ".join(problems) for name, problems in found.items()
    )


def test_the_check_finds_a_page_that_is_too_wide(live_server, open_page, demo):
    """Control: the check sees an element sticking out, a clipped box and an unreachable scroller."""
    page = open_page()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/accounts/login/")
    assert _check(page) == []
    # CSSOM styles: the CSP forbids style attributes, not scripts setting styles.
    page.evaluate("""() => {
      const main = document.querySelector('main');
      const add = (id, text, styles) => {
        const el = document.createElement('div'); el.id = id; el.textContent = text;
        Object.assign(el.style, styles); main.append(el);
      };
      add('too-wide', 'x', {width: '600px'});
      add('clipped', 'A sentence much longer than a hundred pixels',
          {overflow: 'hidden', width: '100px', whiteSpace: 'nowrap'});
      add('scroller', 'Another sentence much longer than a hundred pixels',
          {overflowX: 'auto', width: '100px', whiteSpace: 'nowrap'});
    }""")
    problems = "\n".join(_check(page))
    assert "the page scrolls sideways" in problems
    assert "sticks out" in problems and "#too-wide" in problems
    assert "cuts off" in problems and "#clipped" in problems
    assert "not a focusable, named region" in problems and "#scroller" in problems


def test_the_risk_profile_puts_the_summary_first_and_folds_the_detail(live_server, open_page, sign_in, example_project):
    project = example_project("E4b")  # approve with conditions; no custodian states an appetite
    result = project.evaluations.get().result
    assert result["conditions"], "E4b should carry a condition"
    page = sign_in(open_page(), "coordinator")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("risk_profile", args=[project.pk]))

    assert page.locator("main h2").all_inner_texts()[:2] == ["Summary", "What is needed next"]
    summary = page.locator("section.risk-summary")
    assert summary.locator("[data-overall]").get_attribute("data-overall") == str(result["overall"])
    assert summary.locator("[data-outcome]").get_attribute("data-outcome") == result["outcome"]
    tiers = {
        item.get_attribute("data-summary-safe"): int(re.search(r"(\d+) ", item.inner_text())[1])
        for item in summary.locator("li[data-summary-safe]").all()
    }
    assert tiers == result["tiers"]
    # What is needed next: whose sign-off, and which conditions.
    needed = page.locator("section.risk-next").inner_text()
    assert "the approval panel decides for every custodian" in needed
    for condition in result["conditions"]:
        assert condition["text"] in needed
    # On a phone both come within the first two screens.
    assert page.locator("#next-heading").bounding_box()["y"] < 2 * PHONE["height"]

    # The detail is on the page but folded: fired rules, every answer, the fingerprints.
    for heading in ("fired-heading", "answers-heading", "record-heading"):
        details = page.locator(f"details:has(> summary #{heading})")
        assert details.count() == 1 and details.get_attribute("open") is None, heading
    for hidden in ("table.fired-rules", "table.risk-answers", "code.sha256"):
        assert page.locator(hidden).count() and not page.locator(hidden).first.is_visible(), hidden
    page.locator("#fired-heading").click()
    assert page.locator("table.fired-rules").is_visible()
