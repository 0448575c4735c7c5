"""The inbox: one's own notifications only, newest first, unread ones said in words, each opened
through PRIAM (which marks it read and goes only to a page of this site); the unread count in the
navigation; the e-mail preference, audited."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditEvent, Notification, User
from assessments.services.notifications import notify

pytestmark = pytest.mark.django_db


def _notify(user, n=1, kind=Notification.Kind.REFERRAL, url="/projects/"):
    for i in range(n):
        notify(recipients=[user], kind=kind, subject=f"Subject {i}", body=f"Body {i}", url=url)
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def _items(html):
    return re.findall(r'data-notification="(\d+)" data-unread="(yes|no)"', html)


def test_it_lists_only_my_notifications_newest_first(login, genomics, custodian):
    older, newer = _notify(genomics, 2)
    _notify(custodian, 1)
    html = login(genomics).get(reverse("inbox")).content.decode()
    assert _items(html) == [(str(newer.pk), "yes"), (str(older.pk), "yes")]
    assert html.count(">Unread</span>") == 2  # said in words, not by colour alone
    assert f'href="/inbox/{newer.pk}/open/"' in html


def test_it_filters_unread_and_kind(login, genomics):
    first, second = _notify(genomics, 2)
    _notify(genomics, 1, kind=Notification.Kind.DECISION)
    client = login(genomics)
    client.post(reverse("notification_mark_read", args=[first.pk]))
    unread = _items(client.get(reverse("inbox"), {"show": "unread"}).content.decode())
    assert str(first.pk) not in dict(unread) and str(second.pk) in dict(unread)
    decisions = _items(client.get(reverse("inbox"), {"kind": "decision"}).content.decode())
    assert len(decisions) == 1


def test_mark_read_and_mark_all_read(login, genomics):
    first, second, third = _notify(genomics, 3)
    client = login(genomics)
    assert client.get(reverse("notification_mark_read", args=[first.pk])).status_code == 405  # POST only
    response = client.post(reverse("notification_mark_read", args=[first.pk]), {"next": "/inbox/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?show=unread"
    first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(reverse("notifications_mark_all_read"), {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("inbox")
    assert not Notification.objects.filter(recipient=genomics, read_at__isnull=True).exists()


def test_opening_marks_read_and_goes_to_the_link(login, genomics):
    [notification] = _notify(genomics, url="/projects/42/")
    response = login(genomics).get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/projects/42/"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_opening_refuses_a_link_off_this_site(login, genomics, url):
    [notification] = _notify(genomics, url=url)
    response = login(genomics).get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("inbox")


def test_someone_elses_notification_is_not_found(login, genomics, custodian):
    [theirs] = _notify(custodian)
    client = login(genomics)
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notification_mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_sign_in(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_inbox_queries_do_not_grow_with_its_rows(login, genomics, custodian, framework_v1):
    from assessments.models import Organisation, Project

    def count_for(user, n):
        project = Project.objects.create(
            coordinator=user,
            coordinating_organisation=Organisation.objects.first(),
            framework_version=framework_v1,
            title="P",
            start_date="2027-01-01",
            end_date="2027-02-01",
        )
        for i in range(n):
            notify(
                recipients=[user], kind=Notification.Kind.REFERRAL, subject=f"S{i}", body="b", url="/", project=project
            )
        client = login(user)
        client.get(reverse("inbox"))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("inbox"))
        assert len(_items(response.content.decode())) == n
        return len(queries)

    assert count_for(genomics, 2) == count_for(custodian, 20)


def test_the_navigation_shows_the_unread_count(login, genomics):
    first, *_ = _notify(genomics, 3)
    client = login(genomics)
    html = client.get(reverse("home")).content.decode()
    assert re.search(r"Inbox <span[^>]*>3</span><span class=\"visually-hidden\"> \(3 unread\)</span>", html)
    client.post(reverse("notifications_mark_all_read"))
    html = client.get(reverse("home")).content.decode()
    assert "data-inbox-link>Inbox</a>" in html and "unread)" not in html


def test_the_count_costs_one_query_and_none_for_anonymous_visitors(rf, genomics):
    from django.contrib.auth.models import AnonymousUser

    from assessments.context_processors import notifications

    request = rf.get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as queries:
        assert notifications(request) == {}
    assert len(queries) == 0
    _notify(genomics, 2)
    request.user = genomics
    with CaptureQueriesContext(connection) as queries:
        assert int(str(notifications(request)["unread_notifications"])) == 2
    assert len(queries) == 1


def test_the_preferences_page_changes_the_choice_and_audits_it(login, genomics):
    client = login(genomics)
    html = client.get(reverse("notification_preferences")).content.decode()
    assert "always e-mailed at once" in html and "A decision was issued" in html
    assert re.search(r'<input[^>]*value="immediate"[^>]*checked', html)  # the choice in force
    response = client.post(reverse("notification_preferences"), {"email_notifications": "digest"})
    assert response.status_code == 302
    genomics.refresh_from_db()
    assert genomics.email_notifications == User.EmailChoice.DIGEST
    event = AuditEvent.objects.get(action="user.notifications_changed")
    assert event.actor == "genomics" and event.data == {"before": "immediate", "after": "digest"}
    # Saving the same choice again changes nothing and audits nothing.
    client.post(reverse("notification_preferences"), {"email_notifications": "digest"})
    assert AuditEvent.objects.filter(action="user.notifications_changed").count() == 1
    assert client.post(reverse("notification_preferences"), {"email_notifications": "hourly"}).status_code == 400
