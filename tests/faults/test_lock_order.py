"""Concurrent audited writes on PostgreSQL cannot deadlock.

Every audited write ends by locking the audit chain's head until it commits. A transaction that
holds the head and inserted a row referencing an organisation checks, at commit, that the
organisation still exists (a foreign key: FOR KEY SHARE on its row). So no write may hold a lock
on a row others reference that conflicts with that check (FOR UPDATE) while it waits for the
head: found by bench/serve_load.sh, where 0.2 % of requests under 50 users ended in a deadlock.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from assessments.models import Membership, User
from assessments.services.answers import answers_replace
from assessments.services.audit import audit_record

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _waiting_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_saving_answers_while_another_write_holds_the_audit_chain_does_not_deadlock(example_project):
    second = example_project("E1")
    assessment = second.assessments.select_related("organisation").first()
    organisation = assessment.organisation
    member = User.objects.filter(memberships__organisation=organisation).first()
    holding, release = threading.Event(), threading.Event()
    errors = []

    def holds_the_head_then_commits_a_row_naming_the_organisation():
        try:
            with transaction.atomic():
                audit_record(action="criteria.draft_saved", actor=member, organisation=organisation, data={})
                # Any row referencing the organisation (here a new member's).
                Membership.objects.create(user=User.objects.create_user("newcomer"), organisation=organisation)
                holding.set()
                release.wait(30)
        except Exception as error:  # the assertion below names it
            errors.append(("the first writer", error))
        finally:
            connection.close()

    def saves_the_custodians_answers_on_another_project():
        try:
            answers_replace(
                project=second,
                assessment=assessment,
                # A change, so the save writes its audit event (DA8: the number of individuals).
                answers={**assessment.answers, "DA8": (assessment.answers.get("DA8") or 0) + 1},
                matches_etag=lambda etag: True,
                actor=member,
            )
        except Exception as error:
            errors.append(("the answers' save", error))
        finally:
            connection.close()

    first_writer = threading.Thread(target=holds_the_head_then_commits_a_row_naming_the_organisation)
    first_writer.start()
    assert holding.wait(30), errors
    saver = threading.Thread(target=saves_the_custodians_answers_on_another_project)
    saver.start()
    deadline = time.monotonic() + 30
    while _waiting_on_a_lock() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the save waits for the head, holding whatever it locked first
    release.set()
    first_writer.join(60)
    saver.join(60)
    assert errors == []
