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
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
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
    # For v1 by name: the default framework is the latest loaded, which may already be v2.
    draft, problems = criteria_draft_save(
        organisation=organisations[GP], text=GP_01, actor=manager, framework_version=framework_v1
    )
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


def test_with_one_version_loaded_there_is_nothing_to_preview(login, framework_v1):
    # An administrator of their own: the demo may load more than one version.
    administrator = User.objects.create_user("root", is_superuser=True, is_staff=True)
    html = login(administrator).get(reverse("framework_impact")).content.decode()
    assert "data-no-versions" in html and "data-start-preview" not in html


# --- five-safes@2: a new required question (DA10) and changed rules ----------------------------
#
# Expected results below are derived from the v2 spec (../shared/spec/five-safes-v2.md) and v1's
# rules, not read off the code: v2 only adds risk (R-DA-02 also catches anonymised records of a
# special category; R-DA-12 raises low consequences to 2; R-DA-13 trivial to 1; R-DA-14 raises to
# 4 when DA10 is sophisticated and DA2 weak or DA9 high), and every v1 document lacks DA10, whose
# least risky answer is "opportunistic" and worst "sophisticated" (its unknown_as).

FRAMEWORK_V2 = "fixtures/frameworks/five-safes/v2"
SURVEY = "Survey archive"
MET = "Met and pollution grid"
CENSUS = "Census and education"


@pytest.fixture
def v2(framework_v1):
    version, _ = framework_load(path=FRAMEWORK_V2)  # the demo may have loaded it already
    assert version.spec == "five-safes@2"
    return version


@pytest.fixture
def example(framework_v1, demo):
    """A worked example as a project evaluated under v1, with some custodians' answers changed;
    custodians are organisations of the same name (made once)."""
    coordinator = User.objects.get(username="coordinator")

    def build(name, title=None, **answers):
        document = json.loads((Path("fixtures/examples") / f"{name}.json").read_text())
        document["title"] = title or document["title"]
        for custodian in document["custodians"]:
            custodian["answers"].update(answers.get(custodian["name"], {}))
        organisations = {}
        for custodian in document["custodians"]:
            slug = custodian["name"].lower().replace(" ", "-")
            organisation, created = Organisation.objects.get_or_create(name=custodian["name"], defaults={"slug": slug})
            organisations[custodian["name"]] = organisation
        return project_from_document(
            document=document,
            coordinator=coordinator,
            coordinating_organisation=coordinator.memberships.get().organisation,
            organisations=organisations,
            framework_version=framework_v1,
        )

    return build


def _by_title(preview):
    return {c["title"]: c for c in preview.result["changes"]}


def test_under_v2_the_worked_examples_keep_their_result_and_e2_fires_r_da_13(
    example, v2, admin_user, django_capture_on_commit_callbacks
):
    # Spec: E1, E2 and E4 give the same tiers, outcome and conditions under v2. None of their
    # custodians has weak confidence (DA2) or high consequences (DA9), so R-DA-14 cannot fire
    # whatever DA10 is: the same result at both ends. E2's Met grid (DA9 trivial) now fires R-DA-13
    # (data 1 alone), and its low-consequence custodians fire R-DA-12 at 2, but GP records'
    # pseudonymised health records (R-DA-02) keep the project at data 3.
    made = {name: example(name) for name in ("E1", "E2", "E4")}
    preview = _run(v2, admin_user, django_capture_on_commit_callbacks)

    assert preview.status == ImpactPreview.Status.DONE, preview.error
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["skipped"], counts["unanswered"]) == (3, 0, 3)
    assert preview.result["unanswered_by"] == {"DA10": 3}
    for dimension in ("tier", "outcome", "route"):
        assert (counts[dimension], counts[f"{dimension}_depends"]) == (0, 0)
    assert (counts["changed"], counts["depends"]) == (0, 0)
    assert preview.result["changes"] == []
    # Only E2's reasons differ: R-DA-13 fires for the Met grid, nothing fires only at the worst.
    assert counts["rules_only"] == 1
    [e2] = preview.result["rules_only"]
    assert e2["project"] == made["E2"].pk
    assert (e2["fired_added"], e2["fired_removed"], e2["fired_if_worst"]) == (["R-DA-13"], [], [])


def test_tier_4_only_with_a_sophisticated_attacker_depends_on_the_answers(
    example, v2, admin_user, django_capture_on_commit_callbacks
):
    # E4 with high consequences (the spec's worked example): v1 data 3 (R-DA-11), so the licensed
    # download is a blocking gap (R-SE-01): not approvable. Under v2, DA10 opportunistic leaves it
    # there; sophisticated adds R-DA-14: data 4, still not approvable (spec: conditions R-OU-08,
    # R-PE-01, R-PR-08, R-SE-01, R-SE-06). Its tier depends on the answer, its outcome and route
    # (declined when not approvable) do not.
    stakes = example("E4", "High stakes", **{SURVEY: {"DA9": "high"}})
    # E4 as anonymised records of a special category (v2's third change): v1 data 2 (R-DA-04),
    # approved, the default appetite's panel; v2 data 3 by R-DA-02 whatever DA10 is (DA2 strong,
    # DA9 low: R-DA-14 cannot fire), so R-SE-01 blocks: not approvable, declined.
    special = example("E4", "Anonymised special", **{SURVEY: {"DA1": "anonymised_record", "DA3": ["health"]}})
    preview = _run(v2, admin_user, django_capture_on_commit_callbacks)

    counts = preview.result["counts"]
    assert counts["rescored"] == 2 and counts["unanswered"] == 2
    assert (counts["changed"], counts["depends"]) == (1, 1)
    assert (counts["tier"], counts["tier_depends"]) == (1, 1)
    assert (counts["outcome"], counts["outcome_depends"]) == (1, 0)
    assert (counts["route"], counts["route_depends"]) == (1, 0)
    assert preview.result["depends_on"] == {"tier": {"DA10": 1}, "outcome": {}, "route": {}}
    changes = _by_title(preview)

    high = changes["High stakes"]
    assert high["project"] == stakes.pk
    assert (high["tier"], high["outcome"], high["route"]) == ("depends", None, None)
    data = (high["before"]["tiers"]["data"], high["after"]["tiers"]["data"], high["worst"]["tiers"]["data"])
    assert data == (3, 3, 4)
    assert (high["before"]["overall"], high["after"]["overall"], high["worst"]["overall"]) == (3, 3, 4)
    outcomes = (high["before"]["outcome"], high["after"]["outcome"], high["worst"]["outcome"])
    assert outcomes == ("not_approvable",) * 3
    assert high["routes_changed"] == []
    assert high["unanswered"] == high["deciding"] == [{"custodian": SURVEY, "question": "DA10"}]
    assert (high["fired_added"], high["fired_removed"]) == ([], [])
    assert {"R-DA-14", "R-OU-08", "R-PR-08", "R-SE-06"} <= set(high["fired_if_worst"])
    assert not {"R-PE-01", "R-SE-01"} & set(high["fired_if_worst"])  # they fire at 3 already

    anonymised = changes["Anonymised special"]
    assert anonymised["project"] == special.pk
    assert (anonymised["tier"], anonymised["outcome"], anonymised["route"]) == ("changes",) * 3
    assert (anonymised["before"]["tiers"]["data"], anonymised["after"]["tiers"]["data"]) == (2, 3)
    assert anonymised["worst"] == anonymised["after"]
    assert (anonymised["before"]["outcome"], anonymised["after"]["outcome"]) == ("approve", "not_approvable")
    assert anonymised["routes_changed"] == [
        {"custodian": SURVEY, "before": "panel", "after": "decline", "worst": "decline"}
    ]
    assert {"R-DA-02", "R-SE-01", "R-PE-01"} <= set(anonymised["fired_added"])
    assert anonymised["fired_removed"] == [] and anonymised["fired_if_worst"] == []
    assert anonymised["deciding"] == []  # nothing depends on the answers


@pytest.mark.parametrize("published_for_v2", [True, False])
def test_criteria_published_for_v2_are_used_and_only_the_others_reported_ignored(
    organisations, projects, v2, manager, admin_user, published_for_v2, django_capture_on_commit_callbacks
):
    # GP-01 (a million patients or more: data 4) is published for v1, inline in every document.
    if published_for_v2:
        draft, problems = criteria_draft_save(
            organisation=organisations[GP], text=GP_01, actor=manager, framework_version=v2
        )
        assert problems == []
        criteria_publish(draft=draft, actor=manager)
    # High consequences for GP records: R-DA-14 fires for it alone when it answers DA10
    # sophisticated; the Met grid (trivial) and Census (low) have strong confidence, so their
    # DA10 decides nothing. Data 4 means overall 4: a referral (its tier-4 gaps do not block).
    stakes = _e2(organisations, projects["small"].framework_version, "High stakes", DA9="high")
    preview = _run(v2, admin_user, django_capture_on_commit_callbacks)

    counts = preview.result["counts"]
    assert counts["rescored"] == 4 and counts["unanswered"] == 4
    changes = _by_title(preview)
    if published_for_v2:
        # Scored with GP-01 for v2: the big cohort stays at 4, and nobody's criteria are ignored.
        assert "Big cohort" not in changes
        assert counts["criteria_ignored"] == 0 and preview.result["criteria_ignored_by"] == {}
        assert counts["criteria_published"] == 4
        assert preview.result["criteria_published_by"] == {GP: 4}
        assert (counts["changed"], counts["tier"], counts["outcome"], counts["route"]) == (0, 0, 0, 0)
    else:
        # Without it the v1 criteria are ignored: the big cohort falls to 3, whatever DA10 is.
        big = changes["Big cohort"]
        assert (big["tier"], big["before"]["overall"], big["after"]["overall"], big["worst"]["overall"]) == (
            "changes",
            4,
            3,
            3,
        )
        assert big["criteria_ignored"] == [GP] and big["criteria_published"] == []
        assert "GP-01" in big["fired_removed"]
        assert preview.result["criteria_ignored_by"] == {GP: 4}
        assert counts["criteria_published"] == 0
        assert (counts["changed"], counts["tier"]) == (1, 1)

    high = changes["High stakes"]
    assert high["project"] == stakes.pk
    assert (high["tier"], high["outcome"], high["route"]) == ("depends",) * 3
    assert (high["before"]["overall"], high["after"]["overall"], high["worst"]["overall"]) == (3, 3, 4)
    outcomes = (high["before"]["outcome"], high["after"]["outcome"], high["worst"]["outcome"])
    assert outcomes == ("approve", "approve", "refer")
    # GP records' appetite declines above tier 3; the Met grid's sends tier 4 to the panel.
    assert {r["custodian"]: (r["before"], r["after"], r["worst"]) for r in high["routes_changed"]} == {
        GP: ("panel", "panel", "decline"),
        MET: ("automatic", "automatic", "panel"),
    }
    assert {(u["custodian"], u["question"]) for u in high["unanswered"]} == {
        (GP, "DA10"),
        (MET, "DA10"),
        (CENSUS, "DA10"),
    }
    assert high["deciding"] == [{"custodian": GP, "question": "DA10"}]
    assert "R-DA-14" in high["fired_if_worst"]
    assert (counts["depends"], counts["tier_depends"], counts["outcome_depends"], counts["route_depends"]) == (
        1,
        1,
        1,
        1,
    )


def test_a_document_that_does_not_validate_even_filled_in_is_skipped_with_its_reason(
    example, v2, admin_user, django_capture_on_commit_callbacks
):
    project = example("E4")
    evaluation = project.evaluations.get()
    # Filling in DA10 cannot mend an answer v2 refuses: an option neither version has, written
    # straight into the stored document.
    document = copy.deepcopy(evaluation.document)
    document["custodians"][0]["answers"]["DA9"] = "catastrophic"
    Evaluation.objects.filter(pk=evaluation.pk).update(document=document)
    preview = _run(v2, admin_user, django_capture_on_commit_callbacks)
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["skipped"]) == (0, 1)
    [skipped] = preview.result["skipped"]
    assert skipped["project"] == project.pk
    assert "does not evaluate under five-safes@2" in skipped["reason"] and "DA9" in skipped["reason"]
    assert "Survey archive's DA10" in skipped["reason"]


def test_the_preview_reads_as_many_queries_for_six_projects_as_for_two(
    organisations, framework_v1, v2, manager, admin_user, django_capture_on_commit_callbacks
):
    draft, problems = criteria_draft_save(
        organisation=organisations[GP], text=GP_01, actor=manager, framework_version=v2
    )
    assert problems == []
    criteria_publish(draft=draft, actor=manager)
    queries = []
    for n in (2, 6):
        while Evaluation.objects.count() < n:
            _e2(organisations, framework_v1, f"P{Evaluation.objects.count()}", DA9="high")
        with CaptureQueriesContext(connection) as captured:
            preview = _run(v2, admin_user, django_capture_on_commit_callbacks)
        assert preview.result["counts"]["rescored"] == n
        assert preview.result["counts"]["depends"] == n  # each one scored twice, and once more for DA10
        queries.append(len(captured))
    assert queries[0] == queries[1], queries


def test_an_administrator_reads_what_v2_changes_and_what_depends_on_da10(
    login, example, v2, admin_user, django_capture_on_commit_callbacks
):
    stakes = example("E4", "High stakes", **{SURVEY: {"DA9": "high"}})
    example("E4", "Anonymised special", **{SURVEY: {"DA1": "anonymised_record", "DA3": ["health"]}})
    example("E2")
    preview = _run(v2, admin_user, django_capture_on_commit_callbacks)
    html = login(admin_user).get(reverse("framework_impact_preview", args=[preview.pk])).content.decode()
    for key, n in (
        ("rescored", 3),
        ("unanswered", 3),
        ("tier", 1),
        ("tier_depends", 1),
        ("outcome", 1),
        ("outcome_depends", 0),
        ("route", 1),
        ("route_depends", 0),
        ("rules_only", 1),
    ):
        assert f'<strong data-count="{key}">{n}</strong>' in html, key
    assert "depending on the answers to DA10 (Likely attacker)" in html
    assert '<caption id="counts-caption">How many projects would change under five-safes@2</caption>' in html
    row = html[html.index(f'<tr data-project="{stakes.pk}">') :]
    row = row[: row.index("</tr>")]
    assert 'data-tier="depends"' in row and 'data-outcome=""' in row
    assert "Data: 3 → 3–4" in row and "Overall: 3 → 3–4" in row
    assert "DA10 (Likely attacker) from Survey archive" in row and "R-DA-14" in row
    assert "Asthma, air pollution and weather</a>: now fire R-DA-13" in html
    # Both tables scroll sideways at phone width inside a focusable, named region.
    for caption in ("counts-caption", "changes-caption"):
        assert f'<div class="table-responsive" tabindex="0" role="region" aria-labelledby="{caption}">' in html
    assert 'scope="row"' in html


@pytest.mark.parametrize("version", ["v9", "v2"])
def test_a_framework_preview_in_several_chunks_stores_exactly_the_result_of_one(
    settings, request, version, organisations, framework_v1, projects, admin_user, django_capture_on_commit_callbacks
):
    """Tallies (whose criteria, which unanswered question, what depends on it) add up across
    chunks, and lists come out in project order, whatever the chunk size."""
    for i in range(3):
        _e2(organisations, framework_v1, f"Attacked {i}", DA9="high", DA7=50 if i else 500)
    new = request.getfixturevalue(version)
    stored = {}
    for size in (1000, 4, 1):
        settings.PRIAM_RESCORE_CHUNK = size
        preview = _run(new, admin_user, django_capture_on_commit_callbacks)
        assert preview.status == ImpactPreview.Status.DONE, preview.error
        assert (preview.chunks, preview.done, preview.total) == (-(-6 // size), 6, 6)
        stored[size] = preview.result
    assert stored[1]["counts"]["rescored"] == 6
    assert stored[1]["criteria_ignored_by"] == {GP: 6}
    if version == "v2":
        assert stored[1]["unanswered_by"] == {"DA10": 6}
    assert stored[4] == stored[1000]
    assert stored[1] == stored[1000]
