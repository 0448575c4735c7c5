"""Impact preview: a criteria manager re-scores every project the organisation is a custodian of
under its draft criteria or appetite, through a Celery task, and reads which projects' tiers,
outcome or routes would change; nobody else may run or read a preview."""

import copy
import datetime
import json
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.models import (
    AuditEvent,
    CustodianAssessment,
    Evaluation,
    ImpactChunk,
    ImpactPreview,
    Membership,
    Organisation,
    Project,
    User,
)
from assessments.selectors.impact import impact_rows
from assessments.services import impact
from assessments.services.criteria import (
    appetite_draft_save,
    appetite_publish,
    criteria_draft_save,
)
from assessments.services.impact import (
    impact_chunk_run,
    impact_preview_request,
    impact_preview_run,
    impact_preview_split,
)
from assessments.services.seeding import project_from_document

pytestmark = pytest.mark.django_db

E2 = json.loads(Path("fixtures/examples/E2.json").read_text())
GP = "GP records"
GP_01 = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "GP data access policy, section 3"}]
"""


@pytest.fixture
def organisations(demo, framework_v1):
    found = {}
    for custodian in E2["custodians"]:
        name = custodian["name"]
        organisation = Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        member = User.objects.create_user(f"{organisation.slug}-member")
        Membership.objects.create(user=member, organisation=organisation)
        found[name] = organisation
    return found


@pytest.fixture
def gp(organisations):
    return organisations[GP]


@pytest.fixture
def manager(gp):
    user = User.objects.create_user("gp-manager", first_name="Grace", last_name="Mensah")
    Membership.objects.create(user=user, organisation=gp, manages_criteria=True)
    return user


def _e2(organisations, framework_v1, da8, title):
    document = copy.deepcopy(E2)
    document["title"] = title
    next(c for c in document["custodians"] if c["name"] == GP)["answers"]["DA8"] = da8
    coordinator = User.objects.get(username="coordinator")
    return project_from_document(
        document=document,
        coordinator=coordinator,
        coordinating_organisation=coordinator.memberships.get().organisation,
        organisations=organisations,
        framework_version=framework_v1,
    )


@pytest.fixture
def projects(organisations, framework_v1, manager):
    """Two projects with GP records' DA8 above a million, one below; GP records' published appetite
    sends tier 4 to decline, the Met grid approves up to 3 automatically (both inline in the
    stored documents, no criteria yet)."""
    for name, data in (
        (GP, {"routes": [{"up_to": 3, "route": "panel"}], "otherwise": "decline"}),
        ("Met and pollution grid", {"routes": [{"up_to": 3, "route": "automatic"}], "otherwise": "panel"}),
    ):
        draft, problems = appetite_draft_save(organisation=organisations[name], data=data, actor=manager)
        assert problems == []
        appetite_publish(draft=draft, actor=manager)
    return [
        _e2(organisations, framework_v1, da8, title)
        for da8, title in ((1_200_000, "Big cohort"), (2_000_000, "Bigger cohort"), (10_000, "Small cohort"))
    ]


def _criteria_draft(gp, manager, text=GP_01):
    draft, problems = criteria_draft_save(organisation=gp, text=text, actor=manager)
    assert problems == []
    return draft


def _run(draft, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        preview = impact_preview_request(draft=draft, actor=actor)
    preview.refresh_from_db()
    return preview


# --- what a preview finds --------------------------------------------------------------------


def test_a_criteria_draft_changes_exactly_the_projects_its_rule_catches(
    gp, manager, projects, django_capture_on_commit_callbacks
):
    assert all(p.evaluations.get().overall == 3 for p in projects)
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)

    assert preview.status == ImpactPreview.Status.DONE, preview.error
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
    assert counts["other_framework"] == 0
    changes = {c["title"]: c for c in preview.result["changes"]}
    assert set(changes) == {"Big cohort", "Bigger cohort"}
    big = changes["Big cohort"]
    assert big["project"] == projects[0].pk and big["revision"] == 1
    assert (big["before"]["tiers"]["data"], big["after"]["tiers"]["data"]) == (3, 4)
    assert (big["before"]["overall"], big["after"]["overall"]) == (3, 4)
    assert (big["before"]["outcome"], big["after"]["outcome"]) == ("approve", "refer")
    assert {r["custodian"]: (r["before"], r["after"]) for r in big["routes_changed"]} == {
        GP: ("panel", "decline"),
        "Met and pollution grid": ("automatic", "panel"),
    }
    assert big["draft_fired"] == ["GP-01"]


def test_a_preview_writes_no_audit_event_and_changes_no_evaluation(
    gp, manager, projects, django_capture_on_commit_callbacks
):
    events = AuditEvent.objects.count()
    evaluations = list(Evaluation.objects.values_list("pk", "overall", "outcome"))
    _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    # The only new event is the draft save itself.
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-sequence").first().action == "criteria.draft_saved"
    assert list(Evaluation.objects.values_list("pk", "overall", "outcome")) == evaluations


def test_an_appetite_draft_changes_only_routes(
    organisations, gp, manager, projects, django_capture_on_commit_callbacks
):
    draft, problems = appetite_draft_save(
        organisation=gp, data={"routes": [{"up_to": 3, "route": "automatic"}], "otherwise": "decline"}, actor=manager
    )
    assert problems == []
    preview = _run(draft, manager, django_capture_on_commit_callbacks)
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["tier"], counts["outcome"], counts["route"]) == (3, 0, 0, 3)
    for change in preview.result["changes"]:
        assert change["routes_changed"] == [{"custodian": GP, "before": "panel", "after": "automatic"}]


def test_the_latest_evaluation_is_the_one_rescored_and_other_custodians_projects_are_not(
    organisations, gp, manager, projects, framework_v1, django_capture_on_commit_callbacks
):
    # A project GP records takes no part in.
    other = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    _bulk_projects(other, framework_v1, 2, revisions=1)
    # A later revision of "Small cohort" with a large DA8: that one is compared, not revision 1.
    small = projects[2]
    first = small.evaluations.get()
    document = copy.deepcopy(first.document)
    next(c for c in document["custodians"] if c["name"] == GP)["answers"]["DA8"] = 5_000_000
    Evaluation.objects.create(
        project=small,
        revision=2,
        framework_version=framework_v1,
        document=document,
        result=first.result,
        answers_sha256=first.answers_sha256,
        overall=first.overall,
        outcome=first.outcome,
    )
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    assert preview.result["counts"]["rescored"] == 3
    changed = {(c["title"], c["revision"]) for c in preview.result["changes"]}
    assert changed == {("Big cohort", 1), ("Bigger cohort", 1), ("Small cohort", 2)}


def test_a_renamed_custodian_is_skipped_and_said(gp, manager, projects, django_capture_on_commit_callbacks):
    gp.name = "GP records (renamed)"
    gp.save()
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["skipped"], counts["changed"]) == (0, 3, 0)
    assert "not a custodian in the evaluated document" in preview.result["skipped"][0]["reason"]


def test_a_draft_with_problems_is_not_previewed(gp, manager, projects):
    draft, problems = criteria_draft_save(organisation=gp, text="- id: X\n  phase: 2\n", actor=manager)
    assert problems
    with pytest.raises(Exception, match="problems"):
        impact_preview_request(draft=draft, actor=manager)
    assert not ImpactPreview.objects.exists()


def test_running_a_done_preview_again_changes_nothing(gp, manager, projects, django_capture_on_commit_callbacks):
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    again = impact_preview_run(preview_id=preview.pk)
    assert (again.finished_at, again.result) == (preview.finished_at, preview.result)


# --- the selection ---------------------------------------------------------------------------


def _bulk_projects(organisation, framework_version, n, revisions=2):
    coordinator = User.objects.get(username="coordinator")
    made = Project.objects.bulk_create(
        Project(
            title=f"Bulk {i}",
            summary="s",
            lead_researcher="r",
            lead_organisation="o",
            purpose="p",
            public_benefit="b",
            start_date=datetime.date(2027, 1, 1),
            end_date=datetime.date(2027, 2, 1),
            coordinator=coordinator,
            coordinating_organisation=organisation,
            framework_version=framework_version,
            revision=revisions,
        )
        for i in range(n)
    )
    CustodianAssessment.objects.bulk_create(CustodianAssessment(project=p, organisation=organisation) for p in made)
    Evaluation.objects.bulk_create(
        Evaluation(
            project=p,
            revision=r,
            framework_version=framework_version,
            document={"custodians": [{"name": organisation.name, "answers": {}}]},
            result={"tiers": {"data": r}},
            answers_sha256="0" * 64,
            overall=r,
            outcome="approve",
        )
        for p in made
        for r in range(1, revisions + 1)
    )
    return made


@pytest.mark.parametrize("n", [3, 40])
def test_the_selection_is_one_query_whatever_the_number_of_projects(gp, framework_v1, n, django_assert_num_queries):
    made = _bulk_projects(gp, framework_v1, n)
    with django_assert_num_queries(1):
        rows = list(impact_rows(gp, framework_v1))
    assert [(r[0], r[2], r[7]) for r in rows] == [(p.pk, 2, {"data": 2}) for p in made]


# --- pages and permissions -------------------------------------------------------------------


def test_a_manager_runs_a_preview_from_the_page_and_reads_it(
    login, gp, manager, projects, django_capture_on_commit_callbacks
):
    _criteria_draft(gp, manager)
    client = login(manager)
    assert (
        reverse("criteria_impact", args=[gp.slug])
        in client.get(reverse("criteria_edit", args=[gp.slug])).content.decode()
    )
    start = client.get(reverse("criteria_impact", args=[gp.slug]))
    assert start.status_code == 200 and "Preview the impact" in start.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("criteria_impact", args=[gp.slug]))
    preview = ImpactPreview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("impact_preview", args=[gp.slug, preview.pk])
    html = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in html
    assert '<strong data-count="rescored">3</strong>' in html
    assert '<strong data-count="tier">2</strong>' in html
    assert '<strong data-count="outcome">2</strong>' in html
    assert '<strong data-count="route">2</strong>' in html
    for project in projects[:2]:
        assert reverse("risk_profile_revision", args=[project.pk, 1]) in html
    assert reverse("risk_profile_revision", args=[projects[2].pk, 1]) not in html
    assert "GP-01" in html and "Declined" in html


def test_a_pending_preview_refreshes_itself(login, gp, manager, projects):
    draft = _criteria_draft(gp, manager)
    preview = impact_preview_request(draft=draft, actor=manager)  # on_commit never runs: still pending
    html = login(manager).get(reverse("impact_preview", args=[gp.slug, preview.pk])).content.decode()
    assert 'http-equiv="refresh"' in html and "<script" not in html.split("</main>")[0].split("<main")[-1]


def test_the_appetite_page_starts_an_appetite_preview(login, gp, manager, projects, django_capture_on_commit_callbacks):
    appetite_draft_save(
        organisation=gp, data={"routes": [{"up_to": 3, "route": "automatic"}], "otherwise": "decline"}, actor=manager
    )
    client = login(manager)
    assert (
        reverse("appetite_impact", args=[gp.slug])
        in client.get(reverse("appetite_edit", args=[gp.slug])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("appetite_impact", args=[gp.slug]))
    preview = ImpactPreview.objects.get()
    assert preview.kind == "appetite" and preview.result["counts"]["route"] == 3


@pytest.mark.parametrize("who", ["member", "auditor", "outsider", "other_manager"])
def test_only_the_organisations_criteria_managers_run_and_read_previews(
    login, gp, manager, projects, who, organisations, django_capture_on_commit_callbacks
):
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    if who == "member":
        user = User.objects.get(username="gp-records-member")
    elif who == "other_manager":  # a criteria manager of another custodian of the same projects
        user = User.objects.create_user("met-manager")
        Membership.objects.create(
            user=user, organisation=organisations["Met and pollution grid"], manages_criteria=True
        )
    else:
        user = User.objects.get(username=who)
    client = login(user)
    assert client.get(reverse("criteria_impact", args=[gp.slug])).status_code == 404
    assert client.post(reverse("criteria_impact", args=[gp.slug])).status_code == 404
    assert client.get(reverse("appetite_impact", args=[gp.slug])).status_code == 404
    assert client.get(reverse("impact_preview", args=[gp.slug, preview.pk])).status_code == 404
    assert ImpactPreview.objects.count() == 1


def test_a_preview_is_read_only_under_its_own_organisation(
    login, gp, manager, projects, organisations, django_capture_on_commit_callbacks
):
    preview = _run(_criteria_draft(gp, manager), manager, django_capture_on_commit_callbacks)
    met = organisations["Met and pollution grid"]
    Membership.objects.create(user=manager, organisation=met, manages_criteria=True)
    # Managing both does not make GP records' preview readable under the Met grid's address.
    assert login(manager).get(reverse("impact_preview", args=[met.slug, preview.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, gp):
    response = client.get(reverse("criteria_impact", args=[gp.slug]))
    assert response.status_code == 302 and "/login" in response["Location"]


# --- in chunks, for any number of workers ----------------------------------------------------


@pytest.fixture
def more_projects(organisations, framework_v1, projects):
    """Ten projects: the three above and seven more, three of them above GP-01's threshold."""
    return projects + [
        _e2(organisations, framework_v1, 1_500_000 if i % 2 else 20_000, f"Cohort {i}") for i in range(7)
    ]


@pytest.mark.parametrize("renamed", [False, True], ids=["changes", "skipped"])
def test_a_preview_in_several_chunks_stores_exactly_the_result_of_one(
    settings, monkeypatch, gp, manager, more_projects, renamed, django_capture_on_commit_callbacks
):
    if renamed:  # every project skipped, and listed only up to 4: each chunk lists its own 4
        gp.name = "GP records (renamed)"
        gp.save()
        monkeypatch.setattr(impact, "SKIPPED_LISTED", 4)
    draft = _criteria_draft(gp, manager)
    stored = {}
    for size in (1000, 3, 1):
        settings.PRIAM_RESCORE_CHUNK = size
        preview = _run(draft, manager, django_capture_on_commit_callbacks)
        assert preview.status == ImpactPreview.Status.DONE, preview.error
        assert (preview.chunks, preview.done, preview.total) == (-(-10 // size), 10, 10)
        stored[size] = preview.result
    counts = stored[1]["counts"]
    if renamed:
        assert (counts["skipped"], len(stored[1]["skipped"])) == (10, 4)
        assert [s["project"] for s in stored[1]["skipped"]] == sorted(p.pk for p in more_projects)[:4]
    else:
        assert (counts["rescored"], counts["changed"]) == (10, 5)
        assert [c["project"] for c in stored[1]["changes"]] == sorted(c["project"] for c in stored[1]["changes"])
    assert stored[3] == stored[1000]
    assert stored[1] == stored[1000]
    assert not ImpactChunk.objects.exists()  # merged, then removed


def test_a_chunk_delivered_twice_counts_once(settings, gp, manager, more_projects, django_capture_on_commit_callbacks):
    draft = _criteria_draft(gp, manager)
    whole = _run(draft, manager, django_capture_on_commit_callbacks).result
    settings.PRIAM_RESCORE_CHUNK = 4
    preview = impact_preview_request(draft=draft, actor=manager)  # on_commit never runs: split by hand
    assert impact_preview_split(preview_id=preview.pk) == [0, 1, 2]
    ids = list(ImpactChunk.objects.filter(preview=preview).values_list("ids", flat=True))
    impact_chunk_run(preview_id=preview.pk, number=1)
    impact_chunk_run(preview_id=preview.pk, number=1)
    preview.refresh_from_db()
    assert (preview.status, preview.done, preview.total) == (ImpactPreview.Status.RUNNING, 4, 10)
    # The dispatch delivered twice queues only the unfinished chunks, with the same ids.
    assert impact_preview_split(preview_id=preview.pk) == [0, 2]
    assert list(ImpactChunk.objects.filter(preview=preview).values_list("ids", flat=True)) == ids
    for number in (2, 1, 0, 0):
        impact_chunk_run(preview_id=preview.pk, number=number)
    preview.refresh_from_db()
    assert (preview.status, preview.done, preview.total) == (ImpactPreview.Status.DONE, 10, 10)
    assert preview.result == whole


def test_a_failing_chunk_fails_the_preview_with_its_reason(
    settings, gp, manager, more_projects, django_capture_on_commit_callbacks
):
    settings.PRIAM_RESCORE_CHUNK = 4
    preview = impact_preview_request(draft=_criteria_draft(gp, manager), actor=manager)
    # A draft the engine refuses (as if the engine had changed since it was checked).
    ImpactPreview.objects.filter(pk=preview.pk).update(draft_data=[{"id": "GP-01", "phase": 9}])
    with django_capture_on_commit_callbacks(execute=True):
        impact_preview_run(preview_id=preview.pk)
    preview.refresh_from_db()
    assert preview.status == ImpactPreview.Status.FAILED
    assert "GP-01" in preview.error or "phase" in preview.error, preview.error
    assert preview.result is None and preview.done < preview.total == 10


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_re_scores_a_preview_in_chunks_on_postgresql(settings, gp, manager, more_projects):
    """Five chunks through Redis to the harness's worker (two processes), which take them in
    parallel and count each under the preview's row lock."""
    import time

    from django.db import connection

    assert connection.vendor == "postgresql" and not settings.CELERY_TASK_ALWAYS_EAGER
    draft = _criteria_draft(gp, manager)
    # Made as impact_preview_request makes it, dispatched here (with chunks of 2) rather than by
    # the worker (whose chunk size is the default).
    preview = ImpactPreview.objects.create(
        organisation=gp,
        kind=ImpactPreview.Kind.CRITERIA,
        draft_data=draft.data,
        draft_updated_at=draft.updated_at,
        framework_version=draft.framework_version,
        requested_by=manager,
    )
    settings.PRIAM_RESCORE_CHUNK = 2
    impact_preview_run(preview_id=preview.pk)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        preview.refresh_from_db()
        if not preview.pending:
            break
        time.sleep(0.2)
    assert preview.status == ImpactPreview.Status.DONE, (preview.status, preview.error)
    assert (preview.chunks, preview.done, preview.total) == (5, 10, 10)
    counts = preview.result["counts"]
    assert (counts["rescored"], counts["changed"], counts["skipped"]) == (10, 5, 0)
    titles = [c["title"] for c in preview.result["changes"]]
    assert titles == ["Big cohort", "Bigger cohort", "Cohort 1", "Cohort 3", "Cohort 5"]
    assert not ImpactChunk.objects.filter(preview=preview).exists()
