"""Every audited action writes exactly one event, with the right fields, for each way in."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessments.models import AuditAction, AuditEvent, Organisation, Panel, Project, User
from assessments.services.audit import audit_verify
from tests.conftest import FRAMEWORK_V1, PASSWORD
from tests.helpers import confirm

pytestmark = pytest.mark.django_db


def _admin_form_data(response):
    """What the admin change form would post back unchanged: the form and its inlines."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or getattr(field, "disabled", False):
            continue
        widget = field.widget
        if hasattr(widget, "decompress"):  # e.g. the admin's split date and time
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = part.isoformat() if hasattr(part, "isoformat") else str(part)
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = str(formset.management_form[name].value())
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value not in (None, False):
                    data[sub.add_prefix(name)] = "on" if value is True else str(value)
    return data


def _client(user):
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0", REMOTE_ADDR="10.9.8.7")
    client.force_login(user)
    return client


def _login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def _project(framework_v1):
    coordinator = User.objects.get(username="coordinator")
    from assessments.services.projects import project_create

    return project_create(
        actor=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        custodians=[Organisation.objects.get(slug="north-thames-gp")],
        framework_version=framework_v1,
        title="Audited",
        summary="s",
        lead_researcher="r",
        lead_organisation="o",
        purpose="p",
        public_benefit="b",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2027, 2, 1),
    )


# Each performer does the action once, the way a user would, and returns what the
# event must say: {"actor": username, "object_type": ..., plus optional keys}.
def perform_login(ctx):
    _login(Client(HTTP_USER_AGENT="pytest-browser/1.0"), "custodian")
    return {"actor": "custodian", "object_type": "user", "user_agent": "pytest-browser/1.0", "ip_address": "127.0.0.1"}


def perform_login_failed(ctx):
    _login(Client(), "custodian", "wrong")
    return {"actor": "anonymous", "object_type": "user", "data": {"username": "custodian"}}


def perform_locked_out(ctx, settings=None):
    client = Client()
    for _ in range(5):
        _login(client, "panel", "wrong")
    return {"actor": "anonymous", "object_type": "user"}


def perform_logout(ctx):
    _login(Client(), "chair")  # a real sign-in first, so only the sign-out is measured below
    client = Client()
    _login(client, "chair")
    ctx["before"] = AuditEvent.objects.count()
    client.post(reverse("logout"))
    return {"actor": "chair", "object_type": "user"}


def perform_password_changed(ctx):
    client = _client(User.objects.get(username="custodian"))
    client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-secret-42",
            "new_password2": "another-long-secret-42",
        },
    )
    return {"actor": "custodian", "object_type": "user", "ip_address": "10.9.8.7"}


def perform_password_reset_requested(ctx):
    Client(HTTP_USER_AGENT="pytest-browser/1.0", REMOTE_ADDR="10.9.8.6").post(
        reverse("password_reset"), {"email": "custodian@demo.priam.invalid"}
    )
    return {
        "actor": "anonymous",
        "object_type": "user",
        "ip_address": "10.9.8.6",
        "data": {"email": "custodian@demo.priam.invalid"},
    }


def perform_password_reset(ctx):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = User.objects.get(username="custodian")
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0", REMOTE_ADDR="10.9.8.7")
    link = reverse(
        "password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
    )
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": "another-long-secret-42", "new_password2": "another-long-secret-42"})
    return {"actor": "custodian", "object_type": "user", "ip_address": "10.9.8.7"}


def perform_user_created(ctx):
    _client(ctx["admin"]).post(
        reverse("admin:assessments_user_add"),
        {
            "username": "newbie",
            "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    return {"actor": "admin", "object_type": "user"}


def perform_user_updated(ctx):
    client = _client(ctx["admin"])
    user = User.objects.get(username="panel")
    url = reverse("admin:assessments_user_change", args=[user.pk])
    data = _admin_form_data(client.get(url))
    data["email"] = "ravi@example.org"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return {"actor": "admin", "object_type": "user", "data_keys": {"changed": ["email"]}}


def perform_user_deleted(ctx):
    victim = User.objects.create_user("leaver")
    _client(ctx["admin"]).post(reverse("admin:assessments_user_delete", args=[victim.pk]), {"post": "yes"})
    return {"actor": "admin", "object_type": "user"}


def perform_user_notifications_changed(ctx):
    _client(User.objects.get(username="genomics")).post(
        reverse("notification_preferences"), {"email_notifications": "digest"}
    )
    return {
        "actor": "genomics",
        "object_type": "user",
        "data": {"before": "immediate", "after": "digest"},
        "user_agent": "pytest-browser/1.0",
    }


def perform_organisation_created(ctx):
    _client(ctx["admin"]).post(
        reverse("admin:assessments_organisation_add"), {"name": "New Trust", "slug": "new-trust", "kind": "nhs_trust"}
    )
    return {"actor": "admin", "object_type": "organisation"}


def perform_organisation_updated(ctx):
    org = Organisation.objects.get(slug="valley-health-board")
    _client(ctx["admin"]).post(
        reverse("admin:assessments_organisation_change", args=[org.pk]),
        {"name": "Valley University Health Board", "slug": org.slug, "kind": org.kind},
    )
    return {
        "actor": "admin",
        "object_type": "organisation",
        "organisation_id": org.pk,
        "data_keys": {"changed": ["name"]},
    }


def perform_organisation_deleted(ctx):
    org = Organisation.objects.create(name="Short-lived", slug="short-lived")
    _client(ctx["admin"]).post(reverse("admin:assessments_organisation_delete", args=[org.pk]), {"post": "yes"})
    return {"actor": "admin", "object_type": "organisation"}


def perform_panel_created(ctx):
    _client(ctx["admin"]).post(
        reverse("admin:assessments_panel_add"),
        {
            "name": "Genomics Panel",
            "description": "",
            "seats-TOTAL_FORMS": "0",
            "seats-INITIAL_FORMS": "0",
        },
    )
    return {"actor": "admin", "object_type": "panel"}


def perform_panel_updated(ctx):
    client = _client(ctx["admin"])
    panel = Panel.objects.get()
    url = reverse("admin:assessments_panel_change", args=[panel.pk])
    data = _admin_form_data(client.get(url))
    data["quorum"] = "2"
    client.post(url, data)
    return {"actor": "admin", "object_type": "panel", "data_keys": {"changed": ["quorum"]}}


def perform_panel_deleted(ctx):
    panel = Panel.objects.create(name="Temporary panel")
    _client(ctx["admin"]).post(reverse("admin:assessments_panel_delete", args=[panel.pk]), {"post": "yes"})
    return {"actor": "admin", "object_type": "panel"}


def _framework_copy(version):
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp()) / f"v{version}"
    shutil.copytree(FRAMEWORK_V1, folder)
    header = folder / "framework.yaml"
    header.write_text(header.read_text().replace('version: "1"', f'version: "{version}"'))
    return folder


def perform_framework_loaded(ctx):
    call_command("load_framework", str(_framework_copy(9)), stdout=StringIO())
    return {"actor": "system", "object_type": "frameworkversion"}


def perform_framework_guide_loaded(ctx):
    import shutil
    import tempfile
    from pathlib import Path

    # The same version with a better text: the framework is unchanged, the guide is number 2.
    folder = Path(tempfile.mkdtemp()) / "v1"
    shutil.copytree(FRAMEWORK_V1, folder)
    guide = folder / "guide" / "guide.yaml"
    guide.write_text(guide.read_text().replace("The project is described.", "The project is described in plain words."))
    call_command("load_framework", str(folder), stdout=StringIO())
    return {
        "actor": "system",
        "object_type": "frameworkguide",
        "data_keys": {"framework": "five-safes", "version": "1", "number": 2, "replaces": 1},
    }


def perform_demo_loaded(ctx):
    User.objects.filter(username="outsider").delete()  # something for the demo loader to create
    call_command("load_demo", force=True, stdout=StringIO())
    return {"actor": "system", "object_type": "demo"}


def perform_audit_exported(ctx):
    response = _client(User.objects.get(username="auditor")).get(reverse("audit_export") + "?format=csv")
    b"".join(response.streaming_content)
    return {"actor": "auditor"}


def perform_project_created(ctx):
    coordinator = User.objects.get(username="coordinator")
    _client(coordinator).post(
        reverse("project_new"),
        {
            "title": "T",
            "summary": "s",
            "lead_researcher": "r",
            "lead_organisation": "o",
            "purpose": "p",
            "public_benefit": "b",
            "start_date": "2027-01-01",
            "end_date": "2027-02-01",
            "coordinating_organisation": coordinator.memberships.get().organisation.pk,
            "custodians": [Organisation.objects.get(slug="north-thames-gp").pk],
        },
    )
    return {"actor": "coordinator", "object_type": "project", "project": True}


def perform_project_updated(ctx):
    project = ctx["project"]
    _client(User.objects.get(username="coordinator")).post(
        reverse("project_edit", args=[project.pk]),
        {
            "title": "Renamed",
            "summary": "s",
            "lead_researcher": "r",
            "lead_organisation": "o",
            "purpose": "p",
            "public_benefit": "b",
            "start_date": "2027-01-01",
            "end_date": "2027-02-01",
        },
    )
    return {"actor": "coordinator", "object_type": "project", "project": True}


def perform_project_answers_saved(ctx):
    project = ctx["project"]
    _client(User.objects.get(username="coordinator")).post(
        reverse("project_section", args=[project.pk, "people"]), {"base_version": "0", "PE1": "none", "save": "1"}
    )
    return {"actor": "coordinator", "object_type": "project", "project": True, "data_keys": {"after": {"PE1": "none"}}}


def perform_assessment_answers_saved(ctx):
    project = ctx["project"]
    assessment = project.assessments.get()
    _client(User.objects.get(username="custodian")).post(
        reverse("assessment_section", args=[project.pk, assessment.pk, "data"]),
        {"base_version": "0", "DA1": "pseudonymised", "save": "1"},
    )
    return {
        "actor": "custodian",
        "object_type": "custodianassessment",
        "project": True,
        "organisation_id": assessment.organisation_id,
    }


def _complete_answers(project):
    import json
    from pathlib import Path

    document = json.loads(Path("fixtures/examples/E4.json").read_text())
    project.answers = document["answers"]
    project.save()
    assessment = project.assessments.get()
    assessment.answers = document["custodians"][0]["answers"]
    assessment.save()
    return assessment


def perform_assessment_submitted(ctx):
    project = ctx["project"]
    assessment = _complete_answers(project)
    ctx["before"] = AuditEvent.objects.count()
    _client(User.objects.get(username="custodian")).post(reverse("assessment_submit", args=[project.pk, assessment.pk]))
    return {
        "actor": "custodian",
        "object_type": "custodianassessment",
        "project": True,
        "organisation_id": assessment.organisation_id,
    }


def perform_assessment_confirmed(ctx):
    project = ctx["project"]
    assessment = _complete_answers(project)
    ctx["before"] = AuditEvent.objects.count()
    confirm(_client(User.objects.get(username="custodian")), project, assessment)
    return {
        "actor": "custodian",
        "object_type": "custodianassessment",
        "project": True,
        "data_keys": {"answers_version": 0},
    }


def perform_project_framework_changed(ctx, tmp_path=None):
    from assessments.services.frameworks import framework_load

    framework_load(path=_framework_copy(2))
    project = ctx["project"]
    ctx["before"] = AuditEvent.objects.count()
    _client(User.objects.get(username="coordinator")).post(
        reverse("project_framework", args=[project.pk]), {"version": "2"}
    )
    return {
        "actor": "coordinator",
        "object_type": "project",
        "project": True,
        "data_keys": {"before": "five-safes@1", "after": "five-safes@2"},
    }


def perform_token_created(ctx):
    _client(User.objects.get(username="custodian")).post(reverse("tokens"), {"name": "portal"})
    return {"actor": "custodian", "object_type": "apitoken", "data_keys": {"name": "portal", "read_only": False}}


def perform_token_revoked(ctx):
    from assessments.services.tokens import token_create

    user = User.objects.get(username="custodian")
    api_token, _ = token_create(user=user, name="old")
    _client(user).post(reverse("token_revoke", args=[api_token.pk]))
    return {"actor": "custodian", "object_type": "apitoken", "data_keys": {"name": "old"}}


PERFORMERS = {
    AuditAction.TOKEN_CREATED: perform_token_created,
    AuditAction.TOKEN_REVOKED: perform_token_revoked,
    AuditAction.AUTH_LOGIN: perform_login,
    AuditAction.AUTH_LOGIN_FAILED: perform_login_failed,
    AuditAction.AUTH_LOCKED_OUT: perform_locked_out,
    AuditAction.AUTH_LOGOUT: perform_logout,
    AuditAction.AUTH_PASSWORD_CHANGED: perform_password_changed,
    AuditAction.AUTH_PASSWORD_RESET_REQUESTED: perform_password_reset_requested,
    AuditAction.AUTH_PASSWORD_RESET: perform_password_reset,
    AuditAction.USER_CREATED: perform_user_created,
    AuditAction.USER_UPDATED: perform_user_updated,
    AuditAction.USER_DELETED: perform_user_deleted,
    AuditAction.USER_NOTIFICATIONS_CHANGED: perform_user_notifications_changed,
    AuditAction.ORGANISATION_CREATED: perform_organisation_created,
    AuditAction.ORGANISATION_UPDATED: perform_organisation_updated,
    AuditAction.ORGANISATION_DELETED: perform_organisation_deleted,
    AuditAction.PANEL_CREATED: perform_panel_created,
    AuditAction.PANEL_UPDATED: perform_panel_updated,
    AuditAction.PANEL_DELETED: perform_panel_deleted,
    AuditAction.FRAMEWORK_LOADED: perform_framework_loaded,
    AuditAction.FRAMEWORK_GUIDE_LOADED: perform_framework_guide_loaded,
    AuditAction.DEMO_LOADED: perform_demo_loaded,
    AuditAction.AUDIT_EXPORTED: perform_audit_exported,
    AuditAction.PROJECT_CREATED: perform_project_created,
    AuditAction.PROJECT_UPDATED: perform_project_updated,
    AuditAction.PROJECT_ANSWERS_SAVED: perform_project_answers_saved,
    AuditAction.PROJECT_FRAMEWORK_CHANGED: perform_project_framework_changed,
    AuditAction.ASSESSMENT_ANSWERS_SAVED: perform_assessment_answers_saved,
    AuditAction.ASSESSMENT_SUBMITTED: perform_assessment_submitted,
    AuditAction.ASSESSMENT_CONFIRMED: perform_assessment_confirmed,
}
# Actions whose performers live beside their feature's tests (panels and records).
PERFORMED_ELSEWHERE = {
    AuditAction.REVIEW_SENT: "tests/panels/test_review_flow.py",
    AuditAction.REVIEW_CONFLICT_DECLARED: "tests/panels/test_review_flow.py",
    AuditAction.REVIEW_VOTED: "tests/panels/test_review_flow.py",
    AuditAction.REVIEW_DECIDED: "tests/panels/test_review_flow.py",
    AuditAction.RECORD_PDF_SIGNED: "tests/panels/test_review_flow.py",
    AuditAction.RECORD_EXPORTED: "tests/records/test_commands.py",
    AuditAction.RECORD_CRATE_EXPORTED: "tests/crates/test_export_audit.py",
    AuditAction.PROJECT_AMENDMENT_REQUESTED: "tests/projects/test_decision_integrity.py",
    AuditAction.REFERRAL_REPLIED: "tests/projects/test_decision_integrity.py",
    AuditAction.CRITERIA_DRAFT_SAVED: "tests/criteria/test_criteria_services.py",
    AuditAction.CRITERIA_PUBLISHED: "tests/criteria/test_criteria_services.py",
    AuditAction.APPETITE_DRAFT_SAVED: "tests/criteria/test_criteria_services.py",
    AuditAction.APPETITE_PUBLISHED: "tests/criteria/test_criteria_services.py",
    AuditAction.SIGNOFF_RECORDED: "tests/criteria/test_sign_offs.py",
    AuditAction.SIGNOFF_DECIDED: "tests/criteria/test_sign_offs.py",
    AuditAction.APPROVAL_GRANTED: "tests/obligations/test_obligations.py",
    AuditAction.APPROVAL_REMINDED: "tests/obligations/test_scheduled.py",
    AuditAction.APPROVAL_EXPIRED: "tests/obligations/test_scheduled.py",
    AuditAction.PROJECT_RENEWAL_REQUESTED: "tests/obligations/test_scheduled.py",
    AuditAction.OBLIGATION_EVIDENCE_SUBMITTED: "tests/obligations/test_obligations.py",
    AuditAction.OBLIGATION_MET: "tests/obligations/test_obligations.py",
    AuditAction.OBLIGATION_WAIVED: "tests/obligations/test_obligations.py",
    AuditAction.OBLIGATION_RETURNED: "tests/obligations/test_obligations.py",
    AuditAction.OBLIGATION_DUE_CHANGED: "tests/obligations/test_obligations.py",
    AuditAction.OBLIGATION_REMINDED: "tests/obligations/test_scheduled.py",
    AuditAction.OBLIGATION_OVERDUE: "tests/obligations/test_scheduled.py",
    AuditAction.EVIDENCE_UPLOADED: "tests/evidence/test_evidence_upload.py",
    AuditAction.EVIDENCE_DOWNLOADED: "tests/evidence/test_evidence_pages.py",
    AuditAction.COMMENT_POSTED: "tests/comments/test_comment_service.py",
    AuditAction.PROJECT_PUBLISHED: "tests/register/test_publish.py",
    AuditAction.PROJECT_PUBLICATION_UPDATED: "tests/register/test_publish.py",
    AuditAction.APPROVAL_WITHDRAWN: "tests/register/test_withdraw.py",
    AuditAction.PEER_CREATED: "tests/crates/test_import.py",
    AuditAction.PEER_UPDATED: "tests/crates/test_import.py",
    AuditAction.PEER_DELETED: "tests/crates/test_import.py",
    AuditAction.CRATE_RECEIVED: "tests/crates/test_import.py",
    AuditAction.PROJECT_CREATED_FROM_RECEIVED: "tests/crates/test_import_pages.py",
}


def test_every_action_has_a_test():
    assert set(PERFORMERS) | set(PERFORMED_ELSEWHERE) == set(AuditAction)
    for action, path in PERFORMED_ELSEWHERE.items():
        from pathlib import Path

        assert f'"{action.value}"' in Path(path).read_text(), (action, path)


@pytest.mark.parametrize("action", list(PERFORMERS), ids=lambda a: a.value)
def test_each_action_writes_exactly_one_event(action, demo, framework_v1, settings):
    settings.DEBUG = True
    ctx = {"admin": User.objects.get(username="admin"), "project": _project(framework_v1)}
    ctx["before"] = AuditEvent.objects.count()
    started = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    expected = PERFORMERS[action](ctx)
    new = AuditEvent.objects.filter(sequence__gt=started)
    matching = [e for e in new if e.action == action.value]
    assert len(matching) == 1, [e.action for e in new]
    event = matching[0]
    assert event.actor == expected["actor"]
    if "object_type" in expected:
        assert event.object_type == expected["object_type"]
    if expected.get("project"):
        assert event.project_id is not None and Project.objects.filter(pk=event.project_id).exists()
    for key in ("organisation_id", "user_agent", "ip_address"):
        if key in expected:
            assert getattr(event, key) == expected[key]
    if "data" in expected:
        assert event.data == expected["data"]
    for key, value in expected.get("data_keys", {}).items():
        actual = event.data[key]
        if isinstance(value, dict):
            assert {k: actual.get(k) for k in value} == value
        else:
            assert actual == value
    assert event.timestamp.tzinfo is not None
    assert audit_verify().ok


def test_the_admin_password_page_goes_through_the_audited_view(demo):
    client = _client(User.objects.get(username="admin"))
    response = client.get("/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert Client().get("/admin/login/?next=/admin/")["Location"] == reverse("login") + "?next=/admin/"


def test_a_failed_admin_delete_leaves_no_event(demo, framework_v1):
    """The admin writes the event and deletes in one transaction: if the delete fails, no event."""
    from django.contrib.admin.sites import site
    from django.db.models import ProtectedError
    from django.test import RequestFactory

    org = Organisation.objects.get(slug="valley-health-board")
    _project(framework_v1).assessments.create(organisation=org)  # an assessment PROTECTs the organisation
    request = RequestFactory().post("/admin/")
    request.user = User.objects.get(username="admin")
    with pytest.raises(ProtectedError):
        site._registry[Organisation].delete_queryset(request, Organisation.objects.filter(pk=org.pk))
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert not AuditEvent.objects.filter(action="organisation.deleted").exists()
    assert audit_verify().ok
