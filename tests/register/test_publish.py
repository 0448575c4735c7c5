"""Publishing on the public register: the coordinator's deliberate, audited step, and no one else's."""

import pytest
from django.test import Client

from assessments.errors import FieldInvalid, Forbidden, PriamError, TextTooLong
from assessments.models import AuditEvent, Membership, Publication, User
from assessments.services import register as register_service
from assessments.services.register import project_publish
from tests.register.conftest import user

pytestmark = pytest.mark.django_db

SUMMARY = "A plain summary of what the project does."


def test_nothing_is_public_until_the_coordinator_publishes(approved, client):
    assert client.get("/register/").context["page"].paginator.count == 0
    assert client.get(f"/register/{approved.number}/").status_code == 404
    assert client.get("/register.json").json() == {"count": 0, "results": []}


def test_the_coordinator_publishes_and_the_event_says_what_became_public(approved):
    project = approved.project
    publication = project_publish(
        project=project, user=project.coordinator, lay_summary=f"  {SUMMARY}  ", condition_wording={}
    )
    assert (publication.lay_summary, publication.published_by) == (SUMMARY, project.coordinator)
    event = AuditEvent.objects.get(action="project.published")
    assert (event.project_id, event.actor_id, event.object_id) == (
        project.pk,
        project.coordinator.pk,
        str(publication.pk),
    )
    assert event.data == {"lay_summary": SUMMARY, "condition_wording": {}}


@pytest.mark.parametrize("username", ["custodian", "genomics", "chair", "panel", "auditor", "admin", "outsider"])
def test_no_one_but_the_coordinator_publishes(approved, username):
    with pytest.raises(Forbidden):
        project_publish(project=approved.project, user=user(username), lay_summary=SUMMARY)
    assert not Publication.objects.exists()
    assert not AuditEvent.objects.filter(action="project.published").exists()


@pytest.mark.parametrize("username", ["genomics", "chair", "panel", "auditor", "admin", "outsider", None])
def test_the_publish_page_is_the_coordinators_only(approved, username, login, client):
    browser = login(user(username)) if username else client
    page = browser.get(f"/projects/{approved.project.pk}/publish/")
    sent = browser.post(f"/projects/{approved.project.pk}/publish/", {"lay_summary": SUMMARY})
    if username is None:  # sign in first
        assert page.status_code == sent.status_code == 302 and "/accounts/login/" in page["Location"]
    else:
        assert page.status_code == sent.status_code == 404
    assert not Publication.objects.exists()


def test_a_project_without_an_approving_record_is_refused_with_the_reason(assessed_project, issue_record, login):
    rejected = issue_record(assessed_project, outcome="reject", rationale="No.", pdf=False)
    project = rejected.project
    with pytest.raises(PriamError, match="no approving decision record"):
        project_publish(project=project, user=project.coordinator, lay_summary=SUMMARY)
    page = login(project.coordinator).get(f"/projects/{project.pk}/publish/", follow=True)
    assert "only an approved project can be published" in page.content.decode()
    assert (
        "Publish on the public register"
        not in login(project.coordinator).get(f"/projects/{project.pk}/").content.decode()
    )
    assert not Publication.objects.exists()


def test_an_unfinished_project_is_refused_too(assessed_project):
    with pytest.raises(PriamError, match="no approving decision record"):
        project_publish(project=assessed_project, user=assessed_project.coordinator, lay_summary=SUMMARY)


def test_a_lay_summary_is_required_and_limited(approved):
    coordinator = approved.project.coordinator
    with pytest.raises(FieldInvalid) as blank:
        project_publish(project=approved.project, user=coordinator, lay_summary="   ")
    assert blank.value.field == "lay_summary"
    with pytest.raises(TextTooLong, match="at most 1,500 characters"):
        project_publish(project=approved.project, user=coordinator, lay_summary="x" * 1501)


def test_wordings_only_for_this_projects_conditions(approved):
    coordinator = approved.project.coordinator
    with pytest.raises(FieldInvalid, match="not an approving record"):
        project_publish(
            project=approved.project, user=coordinator, lay_summary=SUMMARY, condition_wording={"PRIAM-1999-0001": {}}
        )
    with pytest.raises(FieldInvalid, match="no condition 9"):
        project_publish(
            project=approved.project,
            user=coordinator,
            lay_summary=SUMMARY,
            condition_wording={approved.number: {"9": "x"}},
        )


def test_the_audit_event_is_written_with_the_publication_or_neither(approved, monkeypatch):
    def broken_audit(**kwargs):
        raise RuntimeError("audit chain unavailable")

    monkeypatch.setattr(register_service, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        project_publish(project=approved.project, user=approved.project.coordinator, lay_summary=SUMMARY)
    assert not Publication.objects.exists()


def test_rewording_is_audited_and_there_is_no_second_publication(published):
    project = published.project
    project_publish(
        project=project,
        user=project.coordinator,
        lay_summary="Reworded.",
        condition_wording={published.number: {"2": "Only tables of counts leave."}},
    )
    publication = Publication.objects.get(project=project)
    assert publication.lay_summary == "Reworded."
    assert publication.condition_wording == {published.number: {"2": "Only tables of counts leave."}}
    assert publication.updated_at > publication.published_at
    event = AuditEvent.objects.get(action="project.publication_updated")
    assert event.data["lay_summary"] == "Reworded."
    assert AuditEvent.objects.filter(action="project.published").count() == 1


def test_the_web_form_prefills_the_conditions_and_keeps_input_on_error(approved, login):
    project = approved.project
    browser = login(project.coordinator)
    detail = browser.get(f"/projects/{project.pk}/").content.decode()
    assert f'href="/projects/{project.pk}/publish/"' in detail and "Publish on the public register" in detail
    form = browser.get(f"/projects/{project.pk}/publish/")
    field = f"wording_{approved.number}_1"
    assert form.context["form"][field].value() == "Outputs are checked by two people before release."
    html = form.content.decode()
    assert f'for="id_{field}"' in html and 'for="id_lay_summary"' in html
    typed = {"lay_summary": "", field: "My public wording.", f"wording_{approved.number}_2": ""}
    refused = browser.post(f"/projects/{project.pk}/publish/", typed)
    assert refused.status_code == 400
    assert refused.context["form"].errors["lay_summary"]
    assert "My public wording." in refused.content.decode()
    assert not Publication.objects.exists()
    typed["lay_summary"] = SUMMARY
    done = browser.post(f"/projects/{project.pk}/publish/", typed)
    assert done.status_code == 302 and done["Location"] == f"/register/{approved.number}/"
    publication = Publication.objects.get()
    # A blank wording stays unpublished rather than falling back to the private text.
    assert publication.condition_wording == {approved.number: {"1": "My public wording."}}
    after = browser.get(f"/projects/{project.pk}/").content.decode()
    assert "Published on the public register" in after
    again = browser.get(f"/projects/{project.pk}/publish/")
    assert again.context["form"][f"wording_{approved.number}_2"].value() == ""
    assert f'href="/register/{approved.number}/"' in again.content.decode()


def test_publishing_through_the_api(approved):
    from tests.api.test_api import token_for

    project = approved.project
    body = {"lay_summary": SUMMARY, "condition_wording": {approved.number: {"1": "Checked twice."}}}
    coordinator = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('coordinator')}")
    answer = coordinator.post(f"/api/v1/projects/{project.pk}/publication/", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["condition_wording"] == {approved.number: {"1": "Checked twice."}}
    genomics = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('genomics')}")
    refused = genomics.post(f"/api/v1/projects/{project.pk}/publication/", body, content_type="application/json")
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="project.published").count() == 1
    blank = coordinator.post(
        f"/api/v1/projects/{project.pk}/publication/", {"lay_summary": " "}, content_type="application/json"
    )
    assert blank.status_code == 400


def test_a_custodian_member_who_coordinates_another_project_still_cannot_publish_this_one(approved):
    genomics = User.objects.get(username="genomics")
    Membership.objects.filter(user=genomics).update(role=Membership.Role.COORDINATOR)
    with pytest.raises(Forbidden):
        project_publish(project=approved.project, user=genomics, lay_summary=SUMMARY)
