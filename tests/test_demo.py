import pytest
from django.core.management import CommandError, call_command

from assessments.models import Membership, Organisation, PanelMembership, User

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(User.objects.values_list("username", "password", "is_auditor", "is_superuser")),
        sorted(Organisation.objects.values_list("slug", "name")),
        sorted(Membership.objects.values_list("user__username", "organisation__slug", "role")),
        sorted(PanelMembership.objects.values_list("user__username", "panel__name", "role")),
    )


def test_load_demo_twice_changes_nothing(capsys, settings):
    settings.DEBUG = True
    call_command("load_demo")
    first = _snapshot()
    call_command("load_demo")
    assert _snapshot() == first
    assert "0 created" in capsys.readouterr().out.splitlines()[-13]


def test_load_demo_prints_the_logins(capsys, settings):
    settings.DEBUG = True
    call_command("load_demo")
    out = capsys.readouterr().out
    for username in ("coordinator", "custodian", "chair", "panel", "auditor", "admin", "outsider"):
        assert f"  {username} " in out
    assert "priam-demo" in out


def test_the_demo_personas_have_their_roles(demo):
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles["coordinator"] == "coordinator"
    assert roles["custodian"] == "custodian"
    assert Membership.objects.get(user__username="custodian").organisation.slug != (
        Membership.objects.get(user__username="coordinator").organisation.slug
    )
    assert PanelMembership.objects.get(user__username="chair").role == "chair"
    assert PanelMembership.objects.get(user__username="panel").role == "member"
    assert User.objects.get(username="auditor").is_auditor
    assert User.objects.get(username="admin").is_superuser


def test_load_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_load_demo_force_loads_with_debug_off(settings):
    settings.DEBUG = False
    call_command("load_demo", force=True)
    assert User.objects.filter(username="admin").exists()
