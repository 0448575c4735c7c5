"""comment_post: who may write, which threads exist, who is told, and what the audit trail keeps."""

import pytest
from django.db import IntegrityError, connection, transaction

from assessments.models import AuditEvent, Comment, Notification, User
from assessments.permissions import can_comment, project_commenters
from assessments.selectors.comments import mentioned_names, project_threads
from assessments.services.audit import audit_verify
from assessments.services.comments import CommentInvalid, CommentNotAllowed, comment_post
from tests.comments.conftest import member_of

pytestmark = pytest.mark.django_db


def _about_comments():
    """Notifications a comment sent (the project's other work sends its own kinds)."""
    return Notification.objects.filter(kind__in=[Notification.Kind.MENTION, Notification.Kind.COMMENT])


def test_it_posts_on_the_projects_own_thread_as_the_coordinator(e2, coordinator):
    comment = comment_post(project=e2, user=coordinator, text="  Kick-off on Monday.\n")
    assert (comment.question, comment.assessment, comment.text) == ("", None, "Kick-off on Monday.")
    assert comment.role == "Coordinator"
    assert project_threads(e2).project_thread == [comment]


def test_a_custodian_speaks_as_its_organisation_about_its_own_answer(e2):
    assessment, member = member_of(e2, "GP records")
    comment = comment_post(project=e2, user=member, text="Our DA2 is cautious.", question="DA2", assessment=assessment)
    assert comment.role == "GP records (custodian)"
    # The thread is this custodian's answer's: another custodian's answer to DA2 has its own.
    other, _ = member_of(e2, "Census and education")
    threads = project_threads(e2)
    assert threads.of("DA2", assessment) == [comment]
    assert threads.of("DA2", other) == []


def test_a_panel_member_speaks_as_the_panel(reviewed, chair, panel):
    project = reviewed.project
    assert comment_post(project=project, user=chair, text="One question.").role == "National Data Access Panel (chair)"
    assert comment_post(project=project, user=panel, text="Agreed.").role == "National Data Access Panel (member)"


def test_auditors_and_administrators_read_but_never_write(e2, auditor, admin_user, outsider, coordinator):
    for user in (auditor, admin_user, outsider):
        assert not can_comment(user, e2)
        with pytest.raises(CommentNotAllowed):
            comment_post(project=e2, user=user, text="Hello")
    # An auditor who also coordinates still only reads.
    coordinator.is_auditor = True
    coordinator.save()
    assert not can_comment(coordinator, e2)
    assert coordinator not in project_commenters(e2)
    assert not Comment.objects.exists()


def test_conversations_go_on_after_the_decision(assessed_project, issue_record, genomics, panel):
    issue_record(assessed_project)
    assessed_project.refresh_from_db()
    assert assessed_project.status == "decided"
    assert comment_post(project=assessed_project, user=genomics, text="Condition 1 is in hand.").pk
    assert comment_post(project=assessed_project, user=panel, text="Thank you.").pk


def test_an_unknown_question_is_refused_naming_it(e2, coordinator):
    with pytest.raises(CommentInvalid) as refused:
        comment_post(project=e2, user=coordinator, text="?", question="ZZ99")
    assert "ZZ99" in str(refused.value) and "five-safes@1" in str(refused.value)
    assert refused.value.field == "question"


def test_a_custodian_question_needs_whose_answer_and_a_project_question_refuses_one(e2, coordinator):
    assessment, _ = member_of(e2, "GP records")
    with pytest.raises(CommentInvalid) as refused:
        comment_post(project=e2, user=coordinator, text="Which?", question="DA2")
    assert refused.value.field == "assessment"
    with pytest.raises(CommentInvalid):
        comment_post(project=e2, user=coordinator, text="No.", question="PE1", assessment=assessment)
    with pytest.raises(CommentInvalid):
        comment_post(project=e2, user=coordinator, text="No.", assessment=assessment)


def test_an_assessment_of_another_project_is_refused(e2, assessed_project, coordinator):
    elsewhere = assessed_project.assessments.first()
    with pytest.raises(CommentInvalid) as refused:
        comment_post(project=e2, user=coordinator, text="x", question="DA2", assessment=elsewhere)
    assert refused.value.field == "assessment"


def test_empty_and_over_long_text_are_refused_naming_the_field(e2, coordinator):
    with pytest.raises(CommentInvalid) as empty:
        comment_post(project=e2, user=coordinator, text=" \n ")
    assert empty.value.field == "text"
    with pytest.raises(CommentInvalid) as long:
        comment_post(project=e2, user=coordinator, text="x" * 5001)
    assert "Your comment is too long" in str(long.value) and "5,000" in str(long.value)
    assert comment_post(project=e2, user=coordinator, text="x" * 5000).pk
    assert Comment.objects.count() == 1


def test_mentions_are_usernames_not_e_mail_addresses_or_full_stops():
    assert mentioned_names("Ask @chair. Or (@gp-approver), mail a.b@example.org, @chair again") == [
        "chair",
        "gp-approver",
    ]


def test_a_mention_notifies_the_mentioned_person_and_not_the_author(e2, coordinator, outsider, auditor):
    _, member = member_of(e2, "GP records")
    comment = comment_post(
        project=e2,
        user=coordinator,
        text=f"@{member.username} please check. cc @coordinator @outsider @auditor @nobody-here",
    )
    assert set(comment.mentions.values_list("username", flat=True)) == {member.username, "coordinator"}
    # People who do not work on the project are not told, and the author hears which names they were.
    assert comment.not_notified == ["outsider", "auditor", "nobody-here"]
    told = _about_comments().filter(project=e2)
    assert [(n.recipient.username, n.kind) for n in told] == [(member.username, Notification.Kind.MENTION)]
    assert told[0].url == f"/projects/{e2.pk}/#conversation"
    assert "please check" in told[0].body


def test_everyone_already_in_the_thread_hears_of_a_new_comment_except_its_author(e2, coordinator):
    assessment, gp = member_of(e2, "GP records")
    _, census = member_of(e2, "Census and education")
    comment_post(project=e2, user=gp, text="Our answer is cautious.", question="DA2", assessment=assessment)
    comment_post(project=e2, user=census, text="Ours too.", question="DA2", assessment=assessment)
    # Someone in another thread is not a follower of this one.
    comment_post(project=e2, user=coordinator, text="Elsewhere.")
    _about_comments().delete()

    comment_post(project=e2, user=census, text=f"@{gp.username} is it final?", question="DA2", assessment=assessment)
    assert [(n.recipient, n.kind) for n in _about_comments()] == [(gp, Notification.Kind.MENTION)]
    _about_comments().delete()

    comment_post(project=e2, user=gp, text="Yes.", question="DA2", assessment=assessment)
    told = list(_about_comments())
    assert [(n.recipient, n.kind) for n in told] == [(census, Notification.Kind.COMMENT)]
    assert told[0].url == f"/projects/{e2.pk}/custodians/{assessment.pk}/questions/data/#comments-DA2"


def test_it_records_comment_posted_with_the_project_and_the_question(e2):
    assessment, member = member_of(e2, "GP records")
    comment = comment_post(project=e2, user=member, text="Noted.", question="DA2", assessment=assessment)
    event = AuditEvent.objects.get(action="comment.posted")
    assert (event.project_id, event.object_type, event.object_id) == (e2.pk, "comment", str(comment.pk))
    assert event.actor == member.username and event.organisation_id == assessment.organisation_id
    assert event.data["question"] == "DA2" and event.data["custodian"] == "GP records"
    assert event.data["text"] == "Noted."
    assert audit_verify().ok


def _refuse_audit_events():
    """A real failure of the audit write, inside the database: a trigger that aborts the insert."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused' "
                "USING ERRCODE = 'integrity_constraint_violation'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
            )


def test_the_comment_and_its_audit_event_commit_together_or_not_at_all(e2, coordinator):
    _, member = member_of(e2, "GP records")
    comment_post(project=e2, user=member, text="First, so that there is a follower.")
    before = AuditEvent.objects.count()
    with transaction.atomic():
        _refuse_audit_events()
        with pytest.raises(IntegrityError):
            comment_post(project=e2, user=coordinator, text=f"@{member.username} second")
        assert Comment.objects.count() == 1
        assert not _about_comments().filter(recipient=member).exists()
        assert AuditEvent.objects.count() == before
        transaction.set_rollback(True)  # drops the trigger with everything else in this block


def test_a_mention_of_someone_no_longer_active_tells_nobody(e2, coordinator):
    _, member = member_of(e2, "GP records")
    User.objects.filter(pk=member.pk).update(is_active=False)
    comment = comment_post(project=e2, user=coordinator, text=f"@{member.username}?")
    assert comment.not_notified == [member.username]
    assert not _about_comments().exists()
