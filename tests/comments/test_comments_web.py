"""Conversations in the pages: the project page, beside each question, and the panel's review."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Comment, User
from assessments.services.comments import comment_post
from tests.comments.conftest import member_of

pytestmark = pytest.mark.django_db

# E1 once decided (every status allows conversations). Its custodians are Cambridge BRC (the
# coordinator's own organisation) and Genomics England (`genomics`); its panel has reviewed it.
READERS = {"coordinator", "genomics", "chair", "panel", "auditor", "admin"}
WRITERS = {"coordinator", "genomics", "chair", "panel"}


@pytest.fixture
def decided(assessed_project, issue_record):
    issue_record(assessed_project)
    assessed_project.refresh_from_db()
    return assessed_project


@pytest.mark.parametrize(
    "username", ["coordinator", "custodian", "genomics", "chair", "panel", "auditor", "admin", "outsider"]
)
def test_each_persona_reads_and_writes_the_conversation_as_the_policy_says(client, decided, username):
    comment_post(project=decided, user=User.objects.get(username="chair"), text="Condition 2 is due in March.")
    client.force_login(User.objects.get(username=username))
    page = client.get(reverse("project_detail", args=[decided.pk]))
    posted = client.post(reverse("project_comments", args=[decided.pk]), {"text": f"From {username}"})
    if username not in READERS:
        assert page.status_code == 404 and posted.status_code == 404
    elif username not in WRITERS:
        assert page.status_code == 200 and "Condition 2 is due in March." in page.content.decode()
        assert 'id="comment-form-project"' not in page.content.decode()
        assert posted.status_code == 403
    else:
        assert 'id="comment-form-project"' in page.content.decode()
        assert posted.status_code == 302 and posted["Location"] == f"/projects/{decided.pk}/#conversation"
    assert Comment.objects.filter(text=f"From {username}").exists() == (username in WRITERS)


def test_a_comment_posted_on_the_project_page_shows_in_its_conversation(client, e2, coordinator):
    client.force_login(coordinator)
    page_url = reverse("project_detail", args=[e2.pk])
    _, member = member_of(e2, "GP records")
    response = client.post(
        reverse("project_comments", args=[e2.pk]),
        {"text": f"Line one <b>bold?</b>\nline two, @{member.username}", "question": "", "next": page_url},
        follow=True,
    )
    assert response.redirect_chain == [(page_url + "#conversation", 302)]
    html = response.content.decode()
    section = html[html.index('id="conversation"') :]
    assert "Comment posted." in html
    # Escaped, with its line break kept and the notified mention marked in text, not colour alone.
    assert "Line one &lt;b&gt;bold?&lt;/b&gt;<br>line two" in section
    assert f'<strong class="mention">@{member.username}</strong>' in section
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">', section)
    assert "Coordinator" in section and coordinator.display_name in section


def test_unknown_names_are_listed_back_as_not_notified(client, e2, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("project_comments", args=[e2.pk]), {"text": "cc @outsider"}, follow=True)
    html = response.content.decode()
    assert "Nobody was notified for @outsider" in html
    assert '<strong class="mention">@outsider' not in html and "cc @outsider" in html


def test_an_over_long_comment_is_refused_with_the_text_kept_and_the_field_named(client, e2, coordinator):
    client.force_login(coordinator)
    text = "Too long, " * 500 + "end."
    response = client.post(
        reverse("project_comments", args=[e2.pk]),
        {"text": text, "next": reverse("project_detail", args=[e2.pk])},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your comment is too long: at most 5,000 characters (it has 5,004)." in html
    assert f">{text}</textarea>" in html
    assert 'class="form-control is-invalid"' in html
    assert not Comment.objects.exists()


def test_an_unknown_question_is_refused_naming_it(client, e2, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("project_comments", args=[e2.pk]), {"text": "Hello", "question": "XQ42"})
    assert response.status_code == 400
    assert "There is no question “XQ42”" in response.content.decode()
    assert ">Hello</textarea>" in response.content.decode()


def test_next_leads_only_to_a_page_of_this_site(client, e2, coordinator):
    client.force_login(coordinator)
    url = reverse("project_comments", args=[e2.pk])
    for unsafe in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(url, {"text": "x", "next": unsafe})
        assert response["Location"] == f"/projects/{e2.pk}/#conversation", unsafe


def _queries_for_project_page(client, project):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("project_detail", args=[project.pk])).status_code == 200
    return len(queries)


def test_the_project_page_reads_any_number_of_comments_in_the_same_queries(client, e2, coordinator):
    _, gp = member_of(e2, "GP records")
    _, census = member_of(e2, "Census and education")
    client.force_login(coordinator)

    def post(n):
        for i in range(n):
            author = (coordinator, gp, census)[i % 3]
            comment_post(project=e2, user=author, text=f"Comment {i} for @{gp.username} and @{census.username}")

    post(2)
    with_two = _queries_for_project_page(client, e2)
    post(18)
    assert Comment.objects.count() == 20
    assert _queries_for_project_page(client, e2) == with_two


def test_the_questionnaire_shows_each_questions_thread_beside_it_outside_the_answers_form(client, e2, coordinator):
    comment_post(project=e2, user=coordinator, text="Is PE1 right?", question="PE1")
    client.force_login(coordinator)
    page_url = reverse("project_section", args=[e2.pk, "people"])
    html = client.get(page_url).content.decode()
    question = html.index('id="q-PE1"')
    thread = html.index('<details class="comments-beside', question)
    assert thread < html.index('id="q-PE2"')
    assert 'Comments<span class="visually-hidden"> on question PE1</span> (1)' in html
    assert "Is PE1 right?" in html[thread : html.index('id="q-PE2"')]
    # Forms cannot nest: the fields beside the question belong to a form after the answers' form.
    answers_form_end = html.index("</form>", html.index('id="section-form"'))
    assert 'form="comment-form-PE1"' in html[question:answers_form_end]
    comment_form = html.index(f'<form method="post" action="/projects/{e2.pk}/comments/" id="comment-form-PE1"')
    assert comment_form > answers_form_end
    hidden = html[comment_form : html.index("</form>", comment_form)]
    assert 'name="question" value="PE1"' in hidden and f'name="next" value="{page_url}"' in hidden

    # What that form sends: the thread's fields and the text typed beside the question.
    response = client.post(
        reverse("project_comments", args=[e2.pk]),
        {"question": "PE1", "assessment": "", "next": page_url, "text": "Yes."},
    )
    assert response["Location"] == page_url + "#comments-PE1"
    assert [c.text for c in Comment.objects.filter(question="PE1")] == ["Is PE1 right?", "Yes."]


def test_a_custodians_own_question_has_a_thread_per_custodian(client, e2, coordinator):
    gp_assessment, gp = member_of(e2, "GP records")
    census_assessment, census = member_of(e2, "Census and education")
    comment_post(project=e2, user=gp, text="GP on DA2.", question="DA2", assessment=gp_assessment)
    client.force_login(gp)
    gp_page = reverse("assessment_section", args=[e2.pk, gp_assessment.pk, "data"])
    html = client.get(gp_page).content.decode()
    assert "GP on DA2." in html and f'name="assessment" value="{gp_assessment.pk}"' in html
    # Project-wide questions shown for review carry the project's thread for that question.
    comment_post(project=e2, user=coordinator, text="About PR1 for everyone.", question="PR1")
    client.force_login(census)
    html = client.get(reverse("assessment_section", args=[e2.pk, census_assessment.pk, "data"])).content.decode()
    assert "GP on DA2." not in html
    html = client.get(reverse("assessment_section", args=[e2.pk, census_assessment.pk, "projects"])).content.decode()
    assert "About PR1 for everyone." in html


def test_the_panel_review_shows_the_threads_and_lets_members_post(client, reviewed, chair, coordinator, auditor):
    project = reviewed.project
    comment_post(project=project, user=coordinator, text="Over to the panel.")
    comment_post(project=project, user=coordinator, text="PE1 explained.", question="PE1")
    client.force_login(chair)
    html = client.get(reverse("review_detail", args=[reviewed.pk])).content.decode()
    conversation = html[html.index('id="conversation"') : html.index('id="quorum-heading"')]
    assert "Over to the panel." in conversation and "PE1 explained." in conversation
    assert f'href="/projects/{project.pk}/questions/people/#comments-PE1"' in conversation
    assert conversation.count("<textarea") == 1  # question threads are read here, answered beside the question
    review_url = reverse("review_detail", args=[reviewed.pk])
    response = client.post(
        reverse("project_comments", args=[project.pk]), {"text": "We will meet on 3 May.", "next": review_url}
    )
    assert response["Location"] == review_url + "#conversation"
    assert Comment.objects.get(text="We will meet on 3 May.").role == "National Data Access Panel (chair)"

    client.force_login(auditor)
    html = client.get(review_url).content.decode()
    assert "Over to the panel." in html and "<textarea" not in html[html.index('id="conversation"') :]


def test_one_thread_opens_on_its_own_page(client, e2, coordinator):
    assessment, gp = member_of(e2, "GP records")
    comment_post(project=e2, user=gp, text="GP on DA2.", question="DA2", assessment=assessment)
    client.force_login(coordinator)
    url = reverse("project_comments", args=[e2.pk])
    html = client.get(url, {"question": "DA2", "assessment": assessment.pk}).content.decode()
    assert "Comments on question DA2" in html and "GP records&#x27; answer" in html and "GP on DA2." in html
    assert client.get(url, {"question": "NOPE"}).status_code == 404
    assert client.get(url, {"question": "DA2", "assessment": "x"}).status_code == 404
