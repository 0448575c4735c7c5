"""Accessibility beyond axe's defaults, in real Chromium (issue 14, item 5).

- axe-core at WCAG 2.2 AA (every A and AA tag) on every page type, as each persona who reaches
  it, at desktop and phone widths, with every <details> open: no violation of any impact.
- Form-control borders and focus indicators at least 3:1 against what surrounds them
  (WCAG 1.4.11, 2.4.7), computed from the browser's computed colours; a focused element is
  never hidden behind other content (2.4.11).
- A keyboard-only journey, from signing in through a questionnaire section, the check page,
  submitting and confirming, to opening the risk profile's folded sections: Tab, Shift+Tab,
  Enter, Space and the arrow keys only, with a visible focus indicator at every step.
- The Five Safes chart's text alternative says what the chart draws, which is the evaluation.
"""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.page_types import demo_pages
from tests.conftest import EXAMPLES_DIR, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
OPEN_DETAILS = "() => { for (const d of document.querySelectorAll('details')) d.open = true; }"


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _describe(violation):
    nodes = "; ".join(
        f"{', '.join(map(str, n['target']))} {n['html'][:100]!r}: "
        + " ".join(c["message"] for c in n.get("any", []) + n.get("all", []) + n.get("none", []))
        for n in violation["nodes"][:4]
    )
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): {violation['help']} – {nodes}"


# ------------------------------------------------------------------ colour and focus, in the page

# Contrast from computed colours: each colour composited over the backgrounds behind it.
COLOUR_JS = r"""
window.__priamColour = (() => {
  const parse = text => {
    const m = /rgba?\(([^)]+)\)/.exec(text || '');
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  // The opaque colour behind an element: its own background and its ancestors', over white.
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((below, c) => over(c, below), {r: 255, g: 255, b: 255, a: 1});
  };
  const luminance = c => {
    const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = c => '#' + [c.r, c.g, c.b].map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  const describe = el => {
    const label = el.labels && el.labels[0] ? el.labels[0].textContent : (el.textContent || el.value || '');
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.name ? ' name=' + el.name : ''}`
      + `${el.type ? ' type=' + el.type : ''}> “${label.trim().replace(/\s+/g, ' ').slice(0, 40)}”`;
  };
  // The focus indicator's parts (outline, box-shadow rings), each with the thickness that shows.
  const focusParts = el => {
    const s = getComputedStyle(el);
    const parts = [];
    const outlineWidth = s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0;
    const offset = parseFloat(s.outlineOffset) || 0;
    if (outlineWidth > 0) parts.push({what: 'outline', colour: parse(s.outlineColor), thickness: outlineWidth});
    if (s.boxShadow && s.boxShadow !== 'none') {
      for (const shadow of s.boxShadow.split(/,(?![^(]*\))/)) {
        const colour = parse(shadow);
        const lengths = shadow.replace(/rgba?\([^)]*\)/, '').trim().split(/\s+/)
          .filter(v => v.endsWith('px')).map(parseFloat);
        const [x = 0, y = 0, blur = 0, spread = 0] = lengths;
        if (shadow.includes('inset') || !colour) continue;
        let thickness = Math.max(0, spread - Math.max(Math.abs(x), Math.abs(y)));
        // An outline drawn over the ring hides the part of it under the outline.
        if (outlineWidth > 0 && offset >= 0) {
          thickness = Math.min(thickness, offset) + Math.max(0, thickness - offset - outlineWidth);
        }
        parts.push({what: 'box-shadow', colour, thickness, blur});
      }
    }
    return parts;
  };
  return {parse, over, background, contrast, hex, describe, focusParts};
})();
"""

# The focused element: is its indicator at least 3:1 and 2 px thick, and can it be seen?
FOCUS_JS = """async () => {
  const C = window.__priamColour;
  const el = document.activeElement;
  if (!el || el === document.body) return {none: true};
  // Bootstrap scrolls smoothly: wait until the scroll that brought the element into view ends.
  for (let i = 0, last = ''; i < 120; i++) {
    await new Promise(resolve => requestAnimationFrame(resolve));
    const now = `${scrollX},${scrollY}`;
    if (now === last) break;
    last = now;
  }
  // Read the focused state itself, not a frame of Bootstrap's 0.15 s transition towards it.
  for (const animation of document.getAnimations()) animation.finish();
  const behind = C.background(el.parentElement || el);
  const parts = C.focusParts(el).map(p => {
    const colour = C.over(p.colour, behind);
    return {...p, colour: C.hex(colour), ratio: Math.round(C.contrast(colour, behind) * 100) / 100};
  });
  const good = parts.some(p => p.thickness >= 2 && p.ratio >= 3);
  // 2.4.11: scrolled into view by the browser, not wholly hidden behind other content.
  const box = el.getBoundingClientRect();
  const points = [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]].map(
    ([fx, fy]) => [box.left + box.width * fx, box.top + box.height * fy]);
  const seen = points.some(([x, y]) => {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
    const hit = document.elementFromPoint(x, y);
    return hit && (hit === el || el.contains(hit) || hit.contains(el)
                   || (el.labels && [...el.labels].some(l => l.contains(hit))));
  });
  return {none: false, what: C.describe(el), good, seen, behind: C.hex(behind), parts,
          tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
          href: el.getAttribute('href') || '', inMain: !!el.closest('main'), type: el.type || ''};
}"""

# Every enabled form control's boundary against the background around it (1.4.11).
BORDERS_JS = """() => {
  const C = window.__priamColour;
  for (const animation of document.getAnimations()) animation.finish();
  const found = [];
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not(:disabled), select:not(:disabled), textarea:not(:disabled)');
  for (const el of controls) {
    if (!el.getClientRects().length) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden') continue;
    const behind = C.background(el.parentElement);
    const sides = ['Top', 'Right', 'Bottom', 'Left'].map(side => ({
      width: parseFloat(s['border' + side + 'Width']),
      colour: C.parse(s['border' + side + 'Color']),
    })).filter(b => b.width > 0 && b.colour);
    const ratios = sides.map(b => C.contrast(C.over(b.colour, behind), behind));
    // A filled control (a ticked box) shows its bounds by its fill as well.
    const fill = C.background(el);
    const best = Math.max(0, ...ratios, C.contrast(fill, behind));
    found.push({what: C.describe(el), ratio: Math.round(best * 100) / 100, behind: C.hex(behind),
                border: sides.length ? C.hex(C.over(sides[0].colour, behind)) : 'none'});
  }
  return found;
}"""


def _prepare(page):
    page.add_init_script(COLOUR_JS)
    # Without Bootstrap's smooth scrolling the focused element is where it ends up at once: on
    # the long questionnaire pages (evidence and comments beside each question) a smooth scroll
    # could still be moving when the check looked, and the same page passed or failed by timing.
    page.emulate_media(reduced_motion="reduce")


def _focus(page):
    return page.evaluate(FOCUS_JS)


def _tab_through(page, limit=250):
    """Tab through the page once from the top; the indicator of every element that takes focus."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    first, seen = None, []
    for _ in range(limit):
        state = _focus(page)
        if state["none"]:
            break
        key = (state["what"], state["href"])
        if key == first:
            break
        first = first or key
        seen.append(state)
        page.keyboard.press("Tab")
    return seen


FOCUS_PAGES = {
    (None, "sign in"),
    (None, "verify a record"),
    ("coordinator", "home"),
    ("coordinator", "new project"),
    ("coordinator", "project, signing off"),
    ("coordinator", "risk profile, three custodians"),
    ("custodian", "questionnaire step"),
    ("custodian", "check answers"),
    ("custodian", "criteria draft"),
    ("custodian", "appetite draft"),
    ("gp-approver", "sign-off"),
    ("chair", "panel review, open"),
    ("auditor", "audit trail"),
}


def test_form_controls_and_focus_indicators_have_3_to_1_contrast(live_server, open_page, sign_in, signing_ca):
    pages = [p for p in demo_pages() if (p[0], p[1]) in FOCUS_PAGES]
    assert len(pages) == len(FOCUS_PAGES)
    weak_borders, weak_focus, hidden_focus = [], [], []
    controls = focused = 0
    for width_name, size in WIDTHS.items():
        current, page = object(), None
        for persona, label, path in pages:
            if persona != current:
                page = open_page()
                _prepare(page)
                page = sign_in(page, persona) if persona else page
                page.set_viewport_size(size)
                current = persona
            page.goto(live_server.url + path)
            page.evaluate(OPEN_DETAILS)
            where = f"{persona or 'anonymous'}: {label} ({width_name})"
            for control in page.evaluate(BORDERS_JS):
                controls += 1
                if control["ratio"] < 3:
                    weak_borders.append(f"{where}: {control}")
            for state in _tab_through(page):
                focused += 1
                if not state["good"]:
                    weak_focus.append(f"{where}: {state['what']} on {state['behind']}: {state['parts']}")
                if not state["seen"]:
                    hidden_focus.append(f"{where}: {state['what']}")
    # Enough was looked at for the absence of problems to mean something.
    assert controls >= 100 and focused >= 300, (controls, focused)
    assert not weak_borders, "form controls whose border is under 3:1:\n" + "\n".join(weak_borders[:40])
    assert not weak_focus, "focus indicators under 3:1 (or thinner than 2 px):\n" + "\n".join(weak_focus[:40])
    assert not hidden_focus, "focused elements hidden behind other content:\n" + "\n".join(hidden_focus[:40])


def test_the_contrast_checks_fail_a_faint_border_and_a_faint_focus_ring(live_server, open_page, demo):
    """Control: Bootstrap's own pale border and focus glow are what the checks above reject."""
    page = open_page()
    _prepare(page)
    page.goto(live_server.url + reverse("login"))
    # CSSOM styles: the CSP forbids style attributes, not scripts setting styles.
    page.evaluate("""() => {
      const field = document.querySelector('input[name=username]');
      Object.assign(field.style, {borderColor: '#dee2e6', outline: '0',
                                  boxShadow: '0 0 0 0.25rem rgba(13, 110, 253, 0.25)'});
    }""")
    borders = {c["what"]: c["ratio"] for c in page.evaluate(BORDERS_JS)}
    username = next(ratio for what, ratio in borders.items() if "name=username" in what)
    assert username < 3, borders
    page.locator("input[name=username]").focus()
    state = _focus(page)
    assert not state["good"] and state["seen"], state


# ------------------------------------------------------------------ axe, every page type


def test_every_page_type_passes_axe_at_wcag_22_aa_on_desktop_and_phone(live_server, open_page, sign_in, signing_ca):
    axe = _axe()
    pages = demo_pages()
    found, runs = {}, 0
    current, page = object(), None
    for persona, label, path in pages:
        if persona != current:
            page = sign_in(open_page(), persona) if persona else open_page()
            current = persona
        for width_name, size in WIDTHS.items():
            page.set_viewport_size(size)
            page.goto(live_server.url + path)
            page.evaluate(OPEN_DETAILS)
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AA_TAGS}})
            runs += 1
            violations = results.response["violations"]
            if violations:
                found[f"{persona or 'anonymous'}: {label} at {width_name} ({path})"] = [
                    _describe(v) for v in violations
                ]
    assert runs == 2 * len(pages) >= 100, runs
    assert not found, f"axe (WCAG 2.2 AA) violations on {len(found)} of {runs} page views:\n" + "\n".join(
        f"- {name}:\n    " + "\n    ".join(vs) for name, vs in found.items()
    )


# ------------------------------------------------------------------ keyboard only


def _tab_to(page, wanted, what, backwards=False, limit=150):
    """Tab (or Shift+Tab) until `wanted(state)`; every element passed on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = _focus(page)
        assert not state["none"], f"focus left the page while looking for {what}"
        assert state["good"], f"no visible focus indicator on {state['what']}: {state['parts']}"
        assert state["seen"], f"the focused {state['what']} is hidden behind other content"
        if wanted(state):
            return state
    raise AssertionError(f"Tab never reached {what}")


def _is(name):
    return lambda state: name in (state["what"] + " " + state["text"])


@pytest.fixture
def keyboard_project(custodian_project, custodian):
    """The custodian has answered its projects section (PR3) and nothing else; the data section
    is left for the keyboard."""
    from assessments.services.answers import section_save

    project, assessment = custodian_project
    section_save(
        project=project,
        assessment=assessment,
        safe="projects",
        base_version=0,
        actor=custodian,
        answers={"PR3": "public_task_research"},
    )
    return project, assessment


def test_a_keyboard_only_journey_from_sign_in_to_the_risk_profile(live_server, open_page, keyboard_project):
    project, assessment = keyboard_project
    page = open_page()
    _prepare(page)
    page.goto(live_server.url + reverse("login"))

    # Sign in: the username field has the focus from the start (autofocus), visibly.
    state = _focus(page)
    if "name=username" not in state.get("what", ""):
        state = _tab_to(page, lambda s: "name=username" in s["what"], "the username field")
    assert state["good"] and state["seen"], state
    page.keyboard.type("custodian")
    _tab_to(page, lambda s: "name=password" in s["what"], "the password field")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")

    # Home → the custodian's assessment → its data section, following links by keyboard.
    assessment_url = reverse("assessment_detail", args=[project.pk, assessment.pk])
    _tab_to(page, lambda s: s["href"] == assessment_url, "the link to the assessment")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + assessment_url)
    data_url = reverse("assessment_section", args=[project.pk, assessment.pk, "data"])
    _tab_to(page, lambda s: s["href"] == data_url, "the Data step")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + data_url)

    # Answer the section: arrows move within a radio group, Space ticks a checkbox.
    document = json.loads((Path(EXAMPLES_DIR) / "E2.json").read_text())
    gp = next(c["answers"] for c in document["custodians"] if c["name"] == "GP records")

    def radio(question, value):
        state = _tab_to(page, lambda s: f"name={question} " in s["what"] + " ", f"the {question} radio group")
        options = page.locator(f'input[name="{question}"]')
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        current = values.index(_value(page))
        target = values.index(value)
        # Tab lands on the group's first option (none ticked yet); arrows walk to the wanted one
        # and tick it on the way, Space ticks the one Tab landed on.
        for _ in range(abs(target - current)):
            page.keyboard.press("ArrowDown" if target > current else "ArrowUp")
        if target == current:
            page.keyboard.press("Space")
        assert page.locator(f'input[name="{question}"][value="{value}"]').is_checked(), state
        assert _focus(page)["good"]

    def ticks(question, values):
        options = page.locator(f'input[name="{question}"]')
        in_page_order = [options.nth(i).get_attribute("value") for i in range(options.count())]
        for value in sorted(values, key=in_page_order.index):
            _tab_to(page, lambda s, v=value: f"name={question} " in s["what"] + " " and _value(page) == v, value)
            page.keyboard.press("Space")
            assert page.locator(f'input[name="{question}"][value="{value}"]').is_checked()

    def number(question, value):
        _tab_to(page, lambda s: f"name={question} " in s["what"] + " ", f"the {question} field")
        page.keyboard.type(str(value))

    radio("DA1", gp["DA1"])
    radio("DA2", gp["DA2"])
    ticks("DA3", gp["DA3"])
    ticks("DA4", gp["DA4"])
    radio("DA5", "false")
    ticks("DA6", gp["DA6"])
    number("DA7", 12)  # shown once DA1 is pseudonymised (the live show-if)
    number("DA8", gp["DA8"])
    radio("DA9", gp["DA9"])
    _tab_to(page, _is("Save and continue"), "Save and continue")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/questions/outputs/$"))
    assessment.refresh_from_db()
    assert {q: assessment.answers.get(q) for q in gp if q != "PR3"} == {q: a for q, a in gp.items() if q != "PR3"}
    assert assessment.answers["DA7"] == 12

    # The steps lead on to checking the answers, and submitting them.
    check_url = reverse("assessment_check", args=[project.pk, assessment.pk])
    _tab_to(page, lambda s: s["href"] == check_url, "the Check answers step")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + check_url)
    _tab_to(page, _is("Submit assessment"), "Submit assessment")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + assessment_url)
    _tab_to(page, _is("Confirm project answers"), "Confirm project answers")
    page.keyboard.press("Space")
    page.wait_for_url(live_server.url + reverse("risk_profile", args=[project.pk]))
    assert project.evaluations.exists()

    # The risk profile: summary first; a folded section opens with Enter and closes with Space.
    assert page.locator("main h2").first.inner_text() == "Summary"
    fired = page.locator("details", has=page.locator("#fired-heading"))
    assert fired.get_attribute("open") is None
    _tab_to(page, _is("Rules that fired"), "the Rules that fired summary")
    assert _focus(page)["tag"] == "summary"
    page.keyboard.press("Enter")
    assert fired.get_attribute("open") is not None
    assert page.locator("table.fired-rules").is_visible()
    # Its table scrolls inside a focusable region, next in the tab order.
    state = _tab_to(page, lambda s: s["tag"] == "div", "the fired rules' scrolling region")
    assert "Every rule that fired" in page.evaluate("document.activeElement.getAttribute('aria-label')"), state
    _tab_to(page, _is("Rules that fired"), "the Rules that fired summary again", backwards=True)
    page.keyboard.press("Space")
    assert fired.get_attribute("open") is None


def _value(page):
    return page.evaluate("document.activeElement.value")


# ------------------------------------------------------------------ the chart's text alternative

ROW = re.compile(r"(?P<safe>[^,:]+?) (?P<tier>\d+) \((?P<name>[^)]+)\)")


def _parse_description(text):
    """The chart's description back into data: {safe label: tier} overall and per custodian."""
    head, _, rest = text.partition(" Overall ")
    overall_text, _, custodians_text = rest.partition(". ")
    tiers = {m["safe"].strip(): int(m["tier"]) for m in ROW.finditer(head.split(": ", 1)[1])}
    custodians = []
    for match in re.finditer(r"Custodian (\d+), (.+?): ((?:[^,.]+? \d+ \([^)]+\)(?:, )?)+)\.", custodians_text):
        custodians.append(
            (int(match[1]), match[2], {m["safe"].strip(): int(m["tier"]) for m in ROW.finditer(match[3])})
        )
    return tiers, int(overall_text.split(" ")[0]), custodians


CHART_JS = """() => {
  const svg = document.querySelector('svg.five-safes-chart');
  const name = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/)
    .map(id => document.getElementById(id).textContent).join(' ');
  // What the chart draws: each row's label and value text, and the numbered markers' positions.
  const rows = [...svg.querySelectorAll('g.five-safes-row')].map(g => {
    const texts = [...g.querySelectorAll(':scope > text')].map(t => t.textContent);
    const bar = g.querySelector('rect');
    const markers = [...g.querySelectorAll('circle')].map(c => ({
      x: parseFloat(c.getAttribute('cx')), number: c.nextElementSibling.textContent}));
    return {label: texts[0], value: texts[1], barWidth: parseFloat(bar.getAttribute('width')), markers};
  });
  const legend = [...svg.querySelectorAll('g.five-safes-legend text')].slice(1)
    .filter(t => !/^\\d+$/.test(t.textContent)).map(t => t.textContent);
  return {role: svg.getAttribute('role'), name, rows, legend,
          title: svg.querySelector('title').textContent, desc: svg.querySelector('desc').textContent};
}"""


def test_the_charts_text_alternative_says_what_the_chart_shows(live_server, open_page, sign_in, signing_ca):
    from assessments.charts import PLOT_X0, UNIT
    from assessments.models import Project
    from assessments.selectors.frameworks import engine_framework

    demo_pages()  # the demo world, with projects of one, two and three custodians under v1 and v2
    page = sign_in(open_page(), "auditor")
    checked = 0
    for project in Project.objects.filter(evaluations__isnull=False).distinct():
        evaluation = project.evaluations.order_by("-revision").first()
        result = evaluation.result
        page.goto(live_server.url + reverse("risk_profile", args=[project.pk]))
        chart = page.evaluate(CHART_JS)
        assert chart["role"] == "img"
        assert chart["name"] == chart["title"] + " " + chart["desc"]
        labels = [row["label"] for row in chart["rows"]]
        # The framework's order: PostgreSQL's jsonb does not keep a stored dict's key order.
        safes = list(engine_framework(evaluation.framework_version).safes)
        described, overall, custodians = _parse_description(chart["desc"])

        # The description, against the evaluation.
        expected_labels = page.locator("table.risk-tiers tbody th[scope=row]").all_inner_texts()
        assert list(described) == expected_labels == labels
        assert list(described.values()) == [result["tiers"][s] for s in safes]
        assert overall == result["overall"] and f"overall {result['overall']}" in chart["title"]
        names = [c["name"] for c in result.get("custodians", [])]
        assert [(n, name) for n, name, _ in custodians] == list(enumerate(names, start=1))
        for (_, _, tiers), data in zip(custodians, result.get("custodians", []), strict=True):
            assert list(tiers.values()) == [data["tiers"].get(s, 0) for s in safes]
        # Each bar's value label ("3 High") is in the description as "Data 3 (High)".
        for row, safe in zip(chart["rows"], safes, strict=True):
            tier, name = row["value"].split(" ", 1)
            assert int(tier) == result["tiers"][safe]
            assert f"{row['label']} {tier} ({name})" in chart["desc"].split(" Overall ")[0]

        # The drawing, against the same data: bar lengths, and each numbered marker's tier.
        assert chart["legend"] == names
        for row, safe in zip(chart["rows"], safes, strict=True):
            tier = result["tiers"][safe]
            assert row["barWidth"] == (UNIT * tier if tier else 3)
            drawn = {int(m["number"]): round((m["x"] - PLOT_X0) / UNIT) for m in row["markers"]}
            assert drawn == {n: custodians[n - 1][2][row["label"]] for n in range(1, len(names) + 1)}
        checked += 1
    assert checked >= 4, checked
