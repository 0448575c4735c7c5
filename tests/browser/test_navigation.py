"""The main navigation on a phone folds behind a Menu button that opens by keyboard; on a
desktop every link shows at once."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_navigation_folds_on_a_phone_and_opens_from_the_keyboard(open_page, sign_in, demo, live_server):
    page = sign_in(open_page(), "coordinator")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/")
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Custodians' criteria").is_visible()
    # Folded, the header is one bar, not a quarter of the screen.
    assert page.evaluate("document.querySelector('header').getBoundingClientRect().height") < 80
    menu.focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Custodians' criteria").wait_for(state="visible")
    assert menu.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Home"


def test_on_a_desktop_every_link_shows_without_a_menu_button(open_page, sign_in, demo, live_server):
    page = sign_in(open_page(), "coordinator")
    assert not page.get_by_role("button", name="Menu").is_visible()
    for name in ("Home", "Projects", "Custodians' criteria", "API tokens"):
        assert page.get_by_role("link", name=name).is_visible()
