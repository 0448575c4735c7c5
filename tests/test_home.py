import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def _roles_shown(response):
    html = response.content.decode()
    return {role for role in ("custodian", "panel", "auditor", "administrator") if f'data-role="{role}"' in html}


def test_it_shows_a_coordinator_their_organisation_and_projects(login, coordinator):
    response = login(coordinator).get(reverse("home"))
    assert _roles_shown(response) == {"custodian"}
    assert "Cambridge BRC" in response.content.decode()
    assert 'data-empty="coordinated"' in response.content.decode()


def test_it_shows_a_custodian_what_waits_without_coordinator_parts(login, custodian):
    response = login(custodian).get(reverse("home"))
    html = response.content.decode()
    assert _roles_shown(response) == {"custodian"}
    assert "North Thames GP Records" in html
    assert 'data-empty="assessments"' in html
    assert 'data-empty="coordinated"' not in html


def test_it_shows_the_chair_their_panel_and_role(login, chair):
    html = login(chair).get(reverse("home")).content.decode()
    assert 'data-role="panel"' in html
    assert "National Data Access Panel" in html
    assert "Chair" in html


def test_it_shows_a_panel_member_their_panel(login, panel):
    response = login(panel).get(reverse("home"))
    assert _roles_shown(response) == {"panel"}
    assert 'data-empty="panel"' in response.content.decode()


def test_it_shows_an_auditor_only_auditing(login, auditor):
    assert _roles_shown(login(auditor).get(reverse("home"))) == {"auditor"}


def test_it_shows_an_administrator_the_administration_links(login, admin_user):
    html = login(admin_user).get(reverse("home")).content.decode()
    assert 'data-role="administrator"' in html
    assert reverse("admin:assessments_user_changelist") in html


def test_it_tells_a_user_without_a_role_what_to_do(login, nobody):
    response = login(nobody).get(reverse("home"))
    assert _roles_shown(response) == set()
    assert "You have no role in PRIAM yet" in response.content.decode()


def test_it_does_not_offer_administration_to_others(login, custodian):
    html = login(custodian).get(reverse("home")).content.decode()
    assert reverse("admin:index") not in html


def test_the_page_has_landmarks_and_a_skip_link(login, custodian):
    html = login(custodian).get(reverse("home")).content.decode()
    assert '<html lang="en-GB">' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "<header>" in html and "<nav " in html and "<footer" in html


def test_it_sends_a_strict_content_security_policy(login, custodian):
    response = login(custodian).get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
