import pytest
from django.core.management import CommandError, call_command

from assessments.models import Membership, Organisation, PanelMembership, User

pytestmark = pytest.mark.django_db


def _snapshot():
    from assessments.models import AuditEvent, DecisionRecord, Project, RecordPdf

    return (
        AuditEvent.objects.count(),
        sorted(Project.objects.values_list("title", "status", "revision")),
        sorted(DecisionRecord.objects.values_list("number", flat=True)),
        RecordPdf.objects.count(),
        sorted(User.objects.values_list("username", "password", "is_auditor", "is_superuser")),
        sorted(Organisation.objects.values_list("slug", "name")),
        sorted(Membership.objects.values_list("user__username", "organisation__slug", "role")),
        sorted(PanelMembership.objects.values_list("user__username", "panel__name", "role")),
    )


def test_load_demo_twice_changes_nothing(capsys, settings, signing_ca, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")
    first = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")
    assert _snapshot() == first
    summary = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Demo data:")]
    assert summary[-1].startswith("Demo data: 0 created, ")


def test_load_demo_prints_the_logins(capsys, settings, signing_ca):
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


def test_load_demo_force_loads_with_debug_off(settings, signing_ca):
    settings.DEBUG = False
    call_command("load_demo", force=True)
    assert User.objects.filter(username="admin").exists()


def test_the_demo_has_e1_decided_with_a_signed_record_and_e2_part_way(
    settings, signing_ca, django_capture_on_commit_callbacks
):
    from assessments.models import Project

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")
    e1 = Project.objects.get(title="Federated genomics across two TREs")
    assert e1.status == Project.Status.DECIDED
    record = e1.records.get()
    assert record.snapshot["decision"]["outcome"] == "approve_with_conditions"
    assert record.pdf.size > 1000 and bytes(record.pdf.data).startswith(b"%PDF")
    assert e1.evaluations.get().result["tiers"] == {"people": 0, "projects": 0, "settings": 0, "data": 3, "outputs": 2}
    e2 = Project.objects.get(title="Asthma, air pollution and weather")
    assert e2.status == Project.Status.ASSESSING
    states = {a.organisation.slug: (a.status, a.is_confirmed) for a in e2.assessments.all()}
    assert states == {
        "north-thames-gp": ("draft", False),
        "met-pollution-grid": ("submitted", True),
        "census-education": ("submitted", True),
    }


def test_a_newcomer_can_finish_e2_in_the_browser(settings, client, signing_ca):
    import json
    from pathlib import Path

    from django.urls import reverse

    from assessments.models import Project
    from tests.helpers import confirm, fill_custodian_answers

    settings.DEBUG = True
    call_command("load_demo")
    client.force_login(User.objects.get(username="custodian"))
    e2 = Project.objects.get(title="Asthma, air pollution and weather")
    assessment = e2.assessments.get(organisation__slug="north-thames-gp")
    gp_answers = json.loads(Path("fixtures/examples/E2.json").read_text())["custodians"][0]["answers"]
    fill_custodian_answers(client, e2, assessment, gp_answers)
    client.post(reverse("assessment_submit", args=[e2.pk, assessment.pk]))
    response = confirm(client, e2, assessment)
    assert response["Location"] == reverse("risk_profile", args=[e2.pk])
    e2.refresh_from_db()
    assert e2.evaluations.get().result["fired"] == ["R-C-01", "R-DA-02", "R-DA-03", "R-DA-12", "R-OU-04"]


def test_the_demo_custodians_published_criteria_and_appetites_lead_to_different_routes(settings, signing_ca):
    from assessments.models import AppetiteVersion, CriteriaVersion, Project

    settings.DEBUG = True
    call_command("load_demo")
    # Published once for each framework version the demo loads, v1's first.
    published = CriteriaVersion.objects.filter(organisation__slug="north-thames-gp").order_by("number")
    assert [(c.number, c.framework_version.spec) for c in published] == [(1, "five-safes@1"), (2, "five-safes@2")]
    assert published[0].data["rules"] == published[1].data["rules"]
    assert AppetiteVersion.objects.filter(status="published").count() == 2
    project = Project.objects.get(title__endswith="(every custodian finished)")
    routes = project.evaluations.get().result["routes"]
    assert routes == {
        "North Thames GP Records": "custodian_review",
        "Met and Pollution Grid Service": "automatic",
        "Census and Education Data Service": "panel",
    }
    duties = Membership.objects.filter(approves=True).values_list("user__username", flat=True)
    assert sorted(duties) == ["gp-approver", "met-approver"]


def test_the_demo_loads_both_framework_versions_and_new_projects_use_the_latest(settings, signing_ca):
    from assessments.models import Project
    from assessments.selectors.frameworks import framework_default, framework_version_get

    settings.DEBUG = True
    call_command("load_demo")
    assert framework_default().spec == framework_version_get().spec == "five-safes@2"
    assert framework_version_get("five-safes@1").version == "1"
    by_version = {}
    for project in Project.objects.select_related("framework_version"):
        by_version.setdefault(project.framework_version.spec, []).append(project.title)
    # The worked examples were assessed before v2 was loaded; one project was opened after it.
    assert by_version["five-safes@2"] == ["Asthma, air pollution and weather: 2027 extension (five-safes@2)"]
    assert len(by_version["five-safes@1"]) == 4
    v2_project = Project.objects.get(framework_version__version="2")
    result = v2_project.evaluations.get().result
    assert result["framework"]["version"] == "2"
    assert "R-DA-13" in result["fired"]  # the grid's trivial consequences, new in v2
    # The anonymised special-category records: tier 2 under v1 (what v2 changes to 3).
    anonymised = Project.objects.get(title__startswith="School absence")
    assert anonymised.evaluations.get().result["tiers"]["data"] == 2
