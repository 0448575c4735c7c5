"""Audit actions live in code (AuditAction), not in the column: a new one needs no migration,
labels come from the list, and an action the list no longer has still shows."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from assessments.models import AuditAction, AuditChainHead, AuditEvent
from assessments.services.audit import audit_record

pytestmark = pytest.mark.django_db

LEGACY = "legacy.retired_action"


def _legacy_event():
    """An event whose action has since left AuditAction, as an old trail may hold."""
    last = AuditEvent.objects.order_by("-sequence").first()
    event = AuditEvent.objects.create(
        sequence=(last.sequence if last else 0) + 1,
        timestamp=timezone.now(),
        actor="system",
        action=LEGACY,
        prev_hash=last.hash if last else "0" * 64,
        hash="f" * 64,
    )
    # Later events (signing in writes one) append after it.
    AuditChainHead.objects.update_or_create(pk=1, defaults={"sequence": event.sequence, "hash": event.hash})
    return event


def test_the_action_column_has_no_choices_in_the_model_or_the_migrations():
    assert not AuditEvent._meta.get_field("action").choices
    state = MigrationLoader(connection).project_state()
    assert not state.apps.get_model("assessments", "AuditEvent")._meta.get_field("action").choices


def test_the_models_need_no_new_migration():
    out = StringIO()
    # Exits non-zero (SystemExit) when a model change lacks its migration.
    call_command("makemigrations", check=True, dry_run=True, stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()


def test_a_listed_action_has_its_label_and_a_retired_one_its_value():
    assert AuditAction.label_of("auth.login") == "Signed in"
    assert AuditAction.label_of(AuditAction.REVIEW_VOTED) == "Panel member voted"
    assert AuditAction.label_of(LEGACY) == LEGACY


def test_an_unknown_action_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"Unknown audit action 'project\.teleported'"):
        audit_record(action="project.teleported")
    assert not AuditEvent.objects.filter(action="project.teleported").exists()


def test_the_auditor_pages_show_labels_and_a_retired_action_as_its_value(login, auditor):
    known = audit_record(action=AuditAction.AUTH_LOGIN, actor=auditor)
    legacy = _legacy_event()
    client = login(auditor)
    listing = client.get(reverse("audit_events")).content.decode()
    assert "Signed in" in listing and LEGACY in listing
    detail = client.get(reverse("audit_event", args=[known.sequence])).content.decode()
    assert "Signed in <code>auth.login</code>" in detail
    detail = client.get(reverse("audit_event", args=[legacy.sequence])).content.decode()
    assert f"{LEGACY} <code>{LEGACY}</code>" in detail


def test_the_admin_lists_filters_and_shows_actions_by_label(login, admin_user):
    known = audit_record(action=AuditAction.AUTH_LOGOUT, actor=admin_user)
    legacy = _legacy_event()
    client = login(admin_user)
    url = reverse("admin:assessments_auditevent_changelist")
    listing = client.get(url).content.decode()
    assert "Signed out" in listing and LEGACY in listing
    # The filter offers every listed action, including ones no event has yet.
    assert "Panel member voted" in listing
    filtered = client.get(url, {"action__exact": "auth.logout"}).content.decode()
    assert f"/{known.pk}/change/" in filtered and f"/{legacy.pk}/change/" not in filtered
    detail = client.get(reverse("admin:assessments_auditevent_change", args=[known.pk])).content.decode()
    assert "Signed out" in detail
    assert client.get(reverse("admin:assessments_auditevent_change", args=[legacy.pk])).status_code == 200


def test_the_api_lists_actions_by_value_and_its_schema_keeps_the_list(login, auditor):
    audit_record(action=AuditAction.AUTH_LOGIN, actor=auditor)
    _legacy_event()
    client = login(auditor)
    actions = [e["action"] for e in client.get("/api/v1/audit-events/").json()["results"]]
    assert "auth.login" in actions and LEGACY in actions
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert set(schema["components"]["schemas"]["ActionEnum"]["enum"]) == set(AuditAction.values)
