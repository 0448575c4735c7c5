"""One page under axe (WCAG 2.2 AA, desktop and phone, every <details> open) and the phone
layout check: what the register's and the received assessments' browser tests share."""

from tests.browser.test_accessibility_aa import AA_TAGS, OPEN_DETAILS, WIDTHS, _axe, _describe
from tests.browser.test_phone_layout import PHONE, _check


class PageChecks:
    """Collects axe violations (`found`) and phone-width problems (`too_wide`) per page."""

    def __init__(self, base_url):
        self.base_url, self.axe, self.found, self.too_wide = base_url, _axe(), {}, {}

    def look(self, page, path):
        for width_name, size in WIDTHS.items():
            page.set_viewport_size(size)
            assert page.goto(self.base_url + path).status == 200, path
            page.evaluate(OPEN_DETAILS)
            options = {"runOnly": {"type": "tag", "values": AA_TAGS}}
            violations = self.axe.run(page, options=options).response["violations"]
            if violations:
                self.found[f"{path} at {width_name}"] = [_describe(v) for v in violations]
        page.set_viewport_size(PHONE)
        page.goto(self.base_url + path)
        problems = _check(page)
        if problems:
            self.too_wide[path] = problems
