"""Impact of a new framework version: an administrator re-scores, under a newly loaded version,
every project whose latest evaluation is under an older version of the same framework, through
the impact preview's task and progress page, and reads which projects' tiers, outcome or routes
would change and whose criteria would no longer apply; nobody else sees those pages."""

import copy
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments.errors import PriamError
from assessments.models import AuditEvent, Evaluation, ImpactPreview, Membership, Organisation, User
from assessments.selectors.impact import framework_impact_rows
from assessments.services.criteria import appetite_draft_save, appetite_publish, criteria_draft_save, criteria_publish
from assessments.services.frameworks import framework_load
from assessments.services.impact import framework_impact_request
from assessments.services.seeding import project_from_document
from tests.conftest import FRAMEWORK_V1

pytestmark = pytest.mark.django_db

E2 = json.loads(Path("fixtures/examples/E2.json").read_text())
GP = "GP records"
# v9's one change: R-DA-09 catches equivalence classes below 100 (not 10) and raises data to 4.
R_DA_09_V1 = """        - {lt: [DA7, 10]}
        - {in: [DA1, [anonymised_record, pseudonymised]]}
    effects: [{raise: data, to: 3}]"""
R_DA_09_V9 = """        - {lt: [DA7, 100]}
        - {in: [DA1, [anonymised_record, pseudonymised]]}
    effects: [{raise: data, to: 4}]"""
GP_01 = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP data access policy, section 3"}]
"""


def _framework_copy(version, stricter=True):
    """fixtures' five-safes v1 as another version (as tests/audit/test_actions.py makes them)."""
    folder = Path(tempfile.mkdtemp()) / f"v{version}"
    shutil.copytree(FRAMEWORK_V1, folder)
    header = folder / "framework.yaml"
    header.write_text(header.read_text().replace('version: "1"', f'version: "{version}"'))
    if stricter:
        rules = folder / "rules.yaml"
        text = rules.read_text()
        assert text.count(R_DA_09_V1) == 1
        rules.write_text(text.replace(R_DA_09_V1, R_DA_09_V9))
    return folder


@pytest.fixture
def organisations(demo, framework_v1):
    found = {}
    for custodian in E2["custodians"]:
        name = custodian["name"]
        organisation = Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        Membership.objects.create(
            user=User.objects.create_user(f"{organisation.slug}-member"), organisation=organisation
        )
        found[name] = organisation
    return found


@pytest.fixture
def manager(organisations):
    user = User.objects.create_user("gp-manager")
    Membership.objects.create(user=user, organisation=organisations[GP], manages_criteria=True)
    return user


def _e2(organisations, framework_version, title, **gp_answers):
    document = copy.deepcopy(E2)
    document["title"] = title
    next(c for c in document["custodians"] if c["name"] == GP)["answers"].update(gp_answers)
    coordinator = User.objects.get(username="coordinator")
    return project_from_document(
        document=document,
        coordinator=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        organisations=organisations,
        framework_version=framework_version,
    )


@pytest.fixture
def projects(organisations, framework_v1, manager):
    """Under v1, with GP records' published criteria GP-01 (for five-safes@1) and appetites inline:
    small equivalence classes (v9's R-DA-09 catches them), large ones (it does not), and a big
    cohort that only GP-01 makes tier 4."""
    for name, data in (
        (GP, {"routes": [{"up_to": 3, "route": "panel"}], "otherwise": "decline"}),
        ("Met and pollution grid", {"routes": [{"up_to": 3, "route": "automatic"}], "otherwise": "panel"}),
    ):
        draft, problems = appetite_draft_save(organisation=organisations[name], data=data, actor=manager)
        assert problems == []
        appetite_publish(draft=draft, actor=manager)
    draft, problems = criteria_draft_save(organisation=organisations[GP], text=GP_01, actor=manager)
    assert problems == []
    criteria_publish(draft=draft, actor=manager)
    return {
        "small": _e2(organisations, framework_v1, "Small cells", DA7=50),
        "large": _e2(organisations, framework_v1, "Large cells", DA7=500),
        "big": _e2(organisations, framework_v1, "Big cohort", DA8=1_200_000),
    }


@pytest.fixture
def v9(framework_v1):
    version, created = framework_load(path=_framework_copy(9))
    assert created
    return version


def _run(version, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        preview = framework_impact_request(version=version, actor=actor)
    preview.refresh_from_db()
    return preview


# --- what a preview finds --------------------------------------------------------------------


def test_a_stricter_rule_and_criteria_left_behind_are_found(
    projects, v9, admin_user, django_capture_on_commit_callbacks
):
    assert {k: p.evaluations.get().overall for k, p in projects.items()} == {"small": 3, "large": 3, "big": 4}
    preview = _run(v9, admin_user, django_capture_on_commit_callbacks)

    assert preview.status == ImpactPreview.Status.DONE, preview.error
    assert (preview.kind, preview.organisation, preview.framework_version) == ("framework", None, v9)
    assert preview.done == preview.total == 3
    counts = preview.result["counts"]
    assert {k: counts[k] for k in ("rescored", "changed", "tier", "outcome", "route", "skipped")} == {
        "rescored": 3,
        "changed": 2,
        "tier": 2,
        "outcome": 2,
        "route": 2,
        "skipped": 0,
    }
    # Every project carries GP records' criteria for five-safes@1: none applies under @9.
    assert counts["criteria_ignored"] == 3
    assert preview.result["criteria_ignored_by"] == {GP: 3}
    assert counts["not_older"] == 0
    changes = {c["title"]: c for c in preview.result["changes"]}
    assert set(changes) == {"Small cells", "Big cohort"}

    small = changes["Small cells"]
    assert small["project"] == projects["small"].pk and small["revision"] == 1
    assert (small["before"]["tiers"]["data"], small["after"]["tiers"]["data"]) == (3, 4)
    assert (small["before"]["outcome"], small["after"]["outcome"]) == ("approve", "refer")
    # R-DA-09 now fires, and the rules that follow from tier 4.
    assert "R-DA-09" in small["fired_added"] and small["fired_removed"] == []
    assert {r["custodian"]: (r["before"], r["after"]) for r in small["routes_changed"]} == {
        GP: ("panel", "decline"),
        "Met and pollution grid": ("automatic", "panel"),
    }
    # The big cohort was tier 4 by GP-01 alone: without it, tier 3 again.
    big = changes["Big cohort"]
    assert (big["before"]["overall"], big["after"]["overall"]) == (4, 3)
    assert big["criteria_ignored"] == [GP]
    assert "GP-01" in big["fired_removed"] and big["fired_added"] == []


def test_only_each_projects_latest_evaluation_under_an_older_version_is_rescored(
    organisations, projects, admin_user, django_capture_on_commit_callbacks
):
    # A project under another framework, loaded before v9: not an older five-safes.
    other_folder = _framework_copy(1, stricter=False)
    header = other_folder / "framework.yaml"
    header.write_text(header.read_text().replace("id: five-safes", "id: other-safes", 1))
    other, _ = framework_load(path=other_folder)
    _e2(organisations, other, "Elsewhere")
    v9, _ = framework_load(path=_framework_copy(9))
    # "Large cells" was evaluated again, under @9: already there, not re-scored.
    first = projects["large"].evaluations.get()
    Evaluation.objects.create(
        project=projects["large"],
        revision=2,
        framework_version=v9,
        document=first.document,
        result=first.result,
        answers_sha256=first.answers_sha256,
        overall=first.overall,
        outcome=first.outcome,
    )
    preview = _run(v9, admin_user, django_capture_on_commit_callbacks)
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["not_older"]) == (2, 1)
    assert {c["title"] for c in preview.result["changes"]} == {"Small cells", "Big cohort"}


def test_a_version_with_no_older_one_is_refused(framework_v1, admin_user):
    with pytest.raises(PriamError, match="No older version"):
        framework_impact_request(version=framework_v1, actor=admin_user)
    assert not ImpactPreview.objects.exists()


def test_a_preview_writes_no_audit_event_and_changes_no_evaluation(
    projects, v9, admin_user, django_capture_on_commit_callbacks
):
    events = AuditEvent.objects.count()
    evaluations = list(Evaluation.objects.values_list("pk", "framework_version", "overall", "outcome"))
    _run(v9, admin_user, django_capture_on_commit_callbacks)
    assert AuditEvent.objects.count() == events
    assert list(Evaluation.objects.values_list("pk", "framework_version", "overall", "outcome")) == evaluations
    assert {p.framework_version_id for p in projects.values()} == {projects["small"].framework_version_id}


@pytest.mark.parametrize("n", [3, 40])
def test_the_selection_is_one_query_whatever_the_number_of_projects(
    organisations, framework_v1, v9, n, django_assert_num_queries
):
    made = [_e2(organisations, framework_v1, f"P{i}") for i in range(n)]
    with django_assert_num_queries(1):
        rows = list(framework_impact_rows(v9))
    assert [r[0] for r in rows] == sorted(p.pk for p in made)


def test_a_framework_preview_needs_no_organisation_and_a_draft_preview_does(v9, admin_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        ImpactPreview.objects.create(kind=ImpactPreview.Kind.CRITERIA, framework_version=v9, requested_by=admin_user)


# --- pages and permissions -------------------------------------------------------------------


def test_an_administrator_runs_a_preview_from_the_home_page_and_reads_it(
    login, projects, v9, admin_user, django_capture_on_commit_callbacks
):
    client = login(admin_user)
    start_url = reverse("framework_impact")
    assert start_url in client.get(reverse("home")).content.decode()
    start = client.get(start_url).content.decode()
    assert "Preview the impact" in start and 'value="five-safes@9"' in start
    assert 'value="five-safes@1"' not in start  # nothing is older than v1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url, {"version": "five-safes@9"})
    preview = ImpactPreview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("framework_impact_preview", args=[preview.pk])
    html = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in html
    for key, n in (("rescored", 3), ("tier", 2), ("outcome", 2), ("route", 2), ("criteria_ignored", 3)):
        assert f'<strong data-count="{key}">{n}</strong>' in html
    assert reverse("risk_profile_revision", args=[projects["small"].pk, 1]) in html
    assert reverse("risk_profile_revision", args=[projects["big"].pk, 1]) in html
    assert reverse("risk_profile_revision", args=[projects["large"].pk, 1]) not in html
    assert "R-DA-09" in html and "GP records: 3 projects" in html
    assert 'aria-valuenow="100"' in html
    assert f"Preview {preview.pk}</a> of five-safes@9" in client.get(start_url).content.decode()


def test_a_pending_preview_refreshes_itself(login, v9, admin_user):
    preview = framework_impact_request(version=v9, actor=admin_user)  # on_commit never runs: still pending
    html = login(admin_user).get(reverse("framework_impact_preview", args=[preview.pk])).content.decode()
    assert 'http-equiv="refresh"' in html and 'data-preview-status="pending"' in html


def test_an_unknown_or_too_old_version_is_not_previewed(login, v9, admin_user):
    client = login(admin_user)
    for spec in ("five-safes@1", "five-safes@7", ""):
        response = client.post(reverse("framework_impact"), {"version": spec})
        assert response.status_code == 302 and response["Location"] == reverse("framework_impact")
    assert not ImpactPreview.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "custodian", "auditor", "chair", "outsider", "gp-manager"])
def test_only_administrators_run_and_read_framework_previews(
    login, projects, v9, admin_user, who, django_capture_on_commit_callbacks
):
    preview = _run(v9, admin_user, django_capture_on_commit_callbacks)
    client = login(User.objects.get(username=who))
    assert client.get(reverse("framework_impact")).status_code == 404
    assert client.post(reverse("framework_impact"), {"version": "five-safes@9"}).status_code == 404
    assert client.get(reverse("framework_impact_preview", args=[preview.pk])).status_code == 404
    assert reverse("framework_impact") not in client.get(reverse("home")).content.decode()
    assert ImpactPreview.objects.count() == 1


def test_a_framework_preview_is_not_readable_under_an_organisations_address(
    login, organisations, projects, v9, admin_user, manager, django_capture_on_commit_callbacks
):
    preview = _run(v9, admin_user, django_capture_on_commit_callbacks)
    gp = organisations[GP]
    assert login(manager).get(reverse("impact_preview", args=[gp.slug, preview.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("framework_impact"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_with_one_version_loaded_there_is_nothing_to_preview(login, framework_v1, admin_user):
    html = login(admin_user).get(reverse("framework_impact")).content.decode()
    assert "data-no-versions" in html and "data-start-preview" not in html
