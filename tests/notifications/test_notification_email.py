"""Notifications by e-mail, through a real SMTP server: at once, in the daily digest, mandatory ones
at once whatever was chosen, only after the change commits, and never to the person who acted."""

import datetime

import pytest
from django.db import transaction

from assessments.models import Notification, User
from assessments.services.notification_email import notifications_digest_send
from assessments.services.notifications import notify

pytestmark = pytest.mark.django_db


def _user(username, choice=User.EmailChoice.IMMEDIATE):
    user = User.objects.get(username=username)
    user.email_notifications = choice
    user.save(update_fields=["email_notifications"])
    return user


def test_it_mails_a_decision_at_once_even_to_someone_who_chose_the_digest(
    smtp, assessed_project, issue_record, django_capture_on_commit_callbacks
):
    coordinator = _user("coordinator", User.EmailChoice.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        record = issue_record(assessed_project)
    [message] = smtp.to(coordinator.email)
    assert message["Subject"].startswith("[Test TRE] ")
    assert record.number in message["Subject"]
    body = smtp.body(message)
    assert f"https://priam.example.org/records/{record.number}/" in body
    assert "https://priam.example.org/account/notifications/" in body  # how to change the choice

    # E1's other custodian hears too; the chair who decided does not (only that a vote waited).
    def decisions_to(username):
        return [m for m in smtp.to(User.objects.get(username=username).email) if record.number in m["Subject"]]

    assert len(decisions_to("genomics")) == 1
    assert decisions_to("chair") == []
    assert len(smtp.to(User.objects.get(username="chair").email)) == 1
    decision = Notification.objects.get(recipient=coordinator, kind=Notification.Kind.DECISION)
    assert decision.mandatory and decision.email == Notification.Email.SENT and decision.emailed_at


def test_it_mails_an_immediate_notification_with_its_link(smtp, demo, django_capture_on_commit_callbacks):
    genomics = _user("genomics")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(
            recipients=[genomics],
            kind=Notification.Kind.ASSESSMENT_WAITING,
            subject="Your part waits",
            body="Answer your questions.",
            url="/projects/7/",
        )
    [message] = smtp.to(genomics.email)
    assert message["Subject"] == "[Test TRE] Your part waits"
    assert message["To"] == genomics.email
    body = smtp.body(message)
    assert "Answer your questions." in body and "https://priam.example.org/projects/7/" in body
    assert "as it happens" in body  # the footer names the choice in force


def test_the_digest_sends_one_mail_with_everything_then_nothing_more(smtp, demo, django_capture_on_commit_callbacks):
    genomics = _user("genomics", User.EmailChoice.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        for n, path in ((1, "/projects/1/"), (2, "/reviews/2/")):
            notify(
                recipients=[genomics],
                kind=Notification.Kind.VOTE_WAITING,
                subject=f"Item {n}",
                body=f"Body {n}",
                url=path,
            )
    assert smtp.messages == []  # a digest user's ordinary notifications wait for the digest
    assert notifications_digest_send() == 1
    [message] = smtp.to(genomics.email)
    assert message["Subject"] == "[Test TRE] Your daily digest: 2 notifications"
    body = smtp.body(message)
    for text in ("Item 1", "Body 1", "https://priam.example.org/projects/1/", "Item 2", "/reviews/2/"):
        assert text in body
    assert "one e-mail a day" in body
    assert set(Notification.objects.filter(recipient=genomics).values_list("email", flat=True)) == {"sent"}
    assert notifications_digest_send() == 0
    assert len(smtp.messages) == 1


def test_the_digest_leaves_what_came_after_its_time_for_the_next(smtp, demo):
    genomics = _user("genomics", User.EmailChoice.DIGEST)
    notify(recipients=[genomics], kind=Notification.Kind.REFERRAL, subject="Later", body="b", url="/")
    earlier = Notification.objects.get().created_at - datetime.timedelta(seconds=1)
    assert notifications_digest_send(now=earlier) == 0
    assert notifications_digest_send() == 1


def test_nothing_is_mailed_or_kept_when_the_change_rolls_back(smtp, demo, django_capture_on_commit_callbacks):
    genomics = _user("genomics")

    class Refused(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Refused),
        transaction.atomic(),
    ):
        notify(recipients=[genomics], kind=Notification.Kind.DECISION, subject="s", body="b", url="/", mandatory=True)
        raise Refused
    assert callbacks == []
    assert smtp.messages == []
    assert not Notification.objects.exists()


def test_the_person_who_acted_is_not_told(smtp, assessed_project, django_capture_on_commit_callbacks):
    """The coordinator is also a member of Cambridge BRC, one of E1's custodians: changing the
    project-wide answers lapses both custodians' confirmations, but only Genomics England hears."""
    from assessments.services.answers import section_save

    coordinator = User.objects.get(username="coordinator")
    project = assessed_project
    with django_capture_on_commit_callbacks(execute=True):
        section_save(
            project=project,
            safe="people",
            answers={"PE1": "none"},
            base_version=project.sections["people"]["version"],
            actor=coordinator,
        )
    genomics = User.objects.get(username="genomics")
    [message] = smtp.to(genomics.email)
    assert "confirmation lapsed" in message["Subject"]
    assert smtp.to(coordinator.email) == []
    assert not Notification.objects.filter(recipient=coordinator, kind=Notification.Kind.CONFIRMATION_LAPSED).exists()


def test_a_person_without_an_address_keeps_the_inbox_row(smtp, demo, django_capture_on_commit_callbacks):
    genomics = _user("genomics")
    User.objects.filter(pk=genomics.pk).update(email="")
    genomics.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[genomics], kind=Notification.Kind.REFERRAL, subject="s", body="b", url="/")
    assert smtp.messages == []
    assert Notification.objects.get(recipient=genomics).email == Notification.Email.NONE
