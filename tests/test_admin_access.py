"""/admin/ for people who are not administrators: a clear refusal, never a redirect loop."""

from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.django_db


def test_it_refuses_a_signed_in_non_administrator_with_a_403_naming_who_can_grant_access(login, custodian):
    client = login(custodian)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2
    text = response.content.decode()
    assert "an administrator of this PRIAM" in text
    assert "administration pages" in text


def test_it_sends_an_anonymous_visitor_to_the_sign_in_page(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert unquote(response.redirect_chain[-1][0]) == "/accounts/login/?next=/admin/"
    assert "Sign in to PRIAM" in response.content.decode()


def test_after_signing_in_a_non_administrator_gets_the_refusal_not_a_loop(client, custodian):
    from tests.conftest import PASSWORD

    response = client.post(
        "/accounts/login/?next=/admin/",
        {"username": "custodian", "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    assert response.status_code == 403
    assert "an administrator of this PRIAM" in response.content.decode()


def test_an_administrator_still_reaches_the_admin(login, admin_user):
    response = login(admin_user).get("/admin/")
    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_giving_a_member_the_approver_duty_is_audited_as_a_user_change(demo):
    from django.test import Client
    from django.urls import reverse

    from assessments.models import AuditEvent, Membership, User
    from tests.audit.test_actions import _admin_form_data

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    census = User.objects.get(username="census")
    url = reverse("admin:assessments_user_change", args=[census.pk])
    data = _admin_form_data(client.get(url))
    data["memberships-0-approves"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    assert Membership.objects.get(user=census).approves
    event = AuditEvent.objects.filter(action="user.updated").latest("sequence")
    assert "memberships" in event.data["changed"]
