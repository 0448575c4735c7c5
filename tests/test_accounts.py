import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from assessments.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["coordinator", "custodian", "chair", "panel", "auditor", "admin", "outsider"]


def _sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_every_demo_user_can_sign_in(client, demo, username):
    response = _sign_in(client, username)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"].username == username


def test_the_login_page_is_served_with_a_labelled_form(client, db):
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<label\s+for="id_username"[^>]*>\s*Username', html)
    assert re.search(r'<label\s+for="id_password"[^>]*>\s*Password', html)


def test_it_rejects_a_wrong_password_and_keeps_the_username(client, demo):
    response = _sign_in(client, "custodian", "wrong")
    assert response.status_code == 200
    assert 'value="custodian"' in response.content.decode()
    assert "correct username and password" in response.content.decode()


def test_it_locks_out_after_repeated_failures(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "custodian", "wrong")
    response = _sign_in(client, "custodian")  # even the right password is refused now
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_affect_other_users(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "custodian", "wrong")
    assert _sign_in(client, "chair").status_code == 302


def test_sign_out_ends_the_session(login, custodian):
    client = login(custodian)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_a_user_can_change_their_password(login, custodian, client):
    response = login(custodian).post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-secret-9",
            "new_password2": "a-much-longer-secret-9",
        },
    )
    assert response.status_code == 302
    custodian.refresh_from_db()
    assert custodian.check_password("a-much-longer-secret-9")


def test_a_password_change_with_a_mismatch_names_the_field(login, custodian):
    response = login(custodian).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-much-longer-secret-9", "new_password2": "different-secret-9"},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(db):
    user = User.objects.create_user("hashed", password="correct horse battery staple")
    assert identify_hasher(user.password).algorithm == "argon2"
