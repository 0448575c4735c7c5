"""The auditor's pages: filters, pagination, constant queries, detail, timeline, permissions."""

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditAction, AuditEvent, AuditExport, Organisation, User
from assessments.selectors.audit import audit_events_filtered
from assessments.services.audit import audit_record

pytestmark = pytest.mark.django_db


def _at(when):
    return mock.patch("assessments.services.audit.timezone.now", return_value=when)


def _sequences(response):
    html = response.content.decode()
    return [int(n) for n in re.findall(r'href="/audit/events/(\d+)/"', html)]


@pytest.fixture
def events(demo, custodian, genomics):
    """A small, varied trail on top of the demo's own events."""
    cambridge = Organisation.objects.get(slug="cambridge-brc")
    genomics_org = Organisation.objects.get(slug="genomics-england")
    made = {}
    with _at(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)):  # 23:30 BST, 30 June
        made["june"] = audit_record(action=AuditAction.AUTH_LOGIN, actor=custodian, project_id=41)
    with _at(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):  # 00:30 BST, 1 July
        made["july1"] = audit_record(
            action=AuditAction.AUTH_LOGOUT, actor=genomics, organisation=genomics_org, project_id=41
        )
    with _at(datetime(2026, 7, 2, 12, 0, tzinfo=UTC)):
        made["july2"] = audit_record(
            action=AuditAction.ORGANISATION_UPDATED,
            actor=custodian,
            obj=cambridge,
            organisation=cambridge,
            project_id=42,
            data={"name": "Cambridge BRC"},
        )
    with _at(datetime(2026, 7, 3, 9, 0, tzinfo=UTC)):
        made["july3"] = audit_record(action=AuditAction.AUTH_LOGIN_FAILED, project_id=41)
    return made


def _mine(response, events):
    ours = {e.sequence for e in events.values()}
    return [s for s in _sequences(response) if s in ours]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"project": "41"}, ["june", "july1", "july3"]),
        ({"project": "42"}, ["july2"]),
        ({"user": "custodian"}, ["june", "july2"]),
        ({"action": "auth.login"}, ["june"]),
        ({"action": "auth."}, ["june", "july1", "july3"]),
        ({"action": "organisation.updated"}, ["july2"]),
        ({"date_from": "2026-07-01", "date_to": "2026-07-02"}, ["july1", "july2"]),
        ({"date_to": "2026-06-30"}, ["june"]),
        ({"date_from": "2026-07-03"}, ["july3"]),
        ({"project": "41", "action": "auth.", "date_from": "2026-07-01"}, ["july1", "july3"]),
    ],
)
def test_each_filter_narrows_the_list(login, auditor, events, query, expected):
    response = login(auditor).get(reverse("audit_events"), query)
    assert response.status_code == 200
    assert _mine(response, events) == [events[name].sequence for name in expected]
    everything = set(_sequences(response))
    matching = set(audit_events_filtered(filters=query).values_list("sequence", flat=True))
    assert everything <= matching


def test_the_organisation_filter_and_the_user_id_filter(login, auditor, events, genomics, custodian):
    client = login(auditor)
    genomics_org = Organisation.objects.get(slug="genomics-england")
    response = client.get(reverse("audit_events"), {"organisation": genomics_org.pk})
    assert _mine(response, events) == [events["july1"].sequence]
    assert set(_sequences(response)) == set(
        AuditEvent.objects.filter(organisation_id=genomics_org.pk).values_list("sequence", flat=True)
    )
    assert "Genomics England" in response.content.decode()
    by_id = client.get(reverse("audit_events"), {"user": str(custodian.pk)})
    assert _mine(by_id, events) == [events["june"].sequence, events["july2"].sequence]
    assert set(_sequences(by_id)) == set(
        AuditEvent.objects.filter(actor_id=custodian.pk).values_list("sequence", flat=True)
    )


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"date_from": "2026-02-31", "user": "custodian", "project": "41"}, "date_from", "From date"),
        ({"date_to": "tomorrow", "user": "custodian", "project": "41"}, "date_to", "To date"),
        (
            {"date_from": "2026-07-03", "date_to": "2026-07-01", "user": "custodian", "project": "41"},
            "date_to",
            "To date",
        ),
    ],
)
def test_a_bad_date_names_the_field_and_keeps_the_other_values(login, auditor, events, query, field, message):
    response = login(auditor).get(reverse("audit_events"), query)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in form.errors[field][0]
    html = response.content.decode()
    assert message in html
    assert 'name="user" value="custodian"' in html
    assert 'name="project" value="41"' in html
    assert _sequences(response) == []


def test_pagination_keeps_the_filters(login, auditor, demo):
    for i in range(120):
        audit_record(action=AuditAction.DEMO_LOADED, project_id=9, data={"i": i})
    audit_record(action=AuditAction.DEMO_LOADED, project_id=10)
    client = login(auditor)
    first = client.get(reverse("audit_events"), {"project": "9"})
    html = first.content.decode()
    assert len(_sequences(first)) == 50
    assert '<nav aria-label="Pagination">' in html
    assert 'href="?project=9&amp;page=2"' in html
    assert "Page 1 of 3" in html
    last = client.get(reverse("audit_events"), {"project": "9", "page": "3"})
    wanted = list(AuditEvent.objects.filter(project_id=9).values_list("sequence", flat=True))
    assert _sequences(last) == wanted[100:]
    assert 'href="?project=9&amp;page=2"' in last.content.decode()


def test_the_list_page_is_accessible_and_shows_the_chain_head(login, auditor, events):
    response = login(auditor).get(reverse("audit_events"))
    html = response.content.decode()
    head = AuditEvent.objects.order_by("-sequence").first()
    assert f"#{head.sequence}" in html and head.hash in html
    assert "python manage.py verify_audit" in html
    assert "<caption>" in html and html.count('scope="col"') == 8
    assert "<label" in html and 'for="id_date_from"' in html
    assert "style=" not in html and "<script>" not in html
    assert "Organisation changed" in html  # the action's label


def test_the_list_page_makes_the_same_number_of_queries_whatever_the_rows(login, auditor, demo):
    client = login(auditor)
    org = Organisation.objects.first()

    def count_for(n):
        for i in range(n):
            audit_record(action=AuditAction.DEMO_LOADED, organisation=org, project_id=500 + n, data={"i": i})
        client.get(reverse("audit_events"), {"project": 500 + n})  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("audit_events"), {"project": 500 + n})
        assert response.status_code == 200
        assert len(_sequences(response)) == min(n, 50)
        return len(queries)

    assert count_for(10) == count_for(200)


def test_the_event_page_shows_every_field(login, auditor, events):
    event = events["july2"]
    html = login(auditor).get(reverse("audit_event", args=[event.sequence])).content.decode()
    for value in (
        event.hash,
        event.prev_hash,
        event.actor,
        event.action,
        "Organisation changed",
        "Cambridge BRC",
        "2026-07-02 12:00:00",
        event.object_type,
        event.object_id,
    ):
        assert value in html
    assert "&quot;name&quot;: &quot;Cambridge BRC&quot;" in html  # pretty-printed data
    assert reverse("audit_project_timeline", args=[42]) in html


def test_an_unknown_event_is_404(login, auditor, demo):
    assert login(auditor).get(reverse("audit_event", args=[999999])).status_code == 404


def test_the_project_timeline_lists_its_history_oldest_first(login, auditor, events):
    response = login(auditor).get(reverse("audit_project_timeline", args=[41]))
    html = response.content.decode()
    assert "Project 41 history" in html
    assert "<ol" in html
    assert _sequences(response) == [events[n].sequence for n in ("june", "july1", "july3")]
    empty = login(auditor).get(reverse("audit_project_timeline", args=[77]))
    assert empty.status_code == 200 and _sequences(empty) == []


# --- who may see the audit trail --------------------------------------------


@pytest.fixture
def audit_urls(events, auditor, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "x.csv").write_text("sequence\n")
    export = AuditExport.objects.create(
        requested_by=auditor,
        format="csv",
        status=AuditExport.Status.DONE,
        file_name="x.csv",
        total=0,
        done=0,
    )
    return [
        reverse("audit_events"),
        reverse("audit_event", args=[events["june"].sequence]),
        reverse("audit_project_timeline", args=[41]),
        reverse("audit_export") + "?format=csv",
        reverse("audit_export_status", args=[export.pk]),
        reverse("audit_export_download", args=[export.pk]),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, audit_urls):
    for url in audit_urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("persona", ["custodian", "panel", "coordinator", "outsider", "chair", "nobody"])
def test_everyone_but_auditors_and_administrators_gets_404(request, login, audit_urls, persona):
    client = login(request.getfixturevalue(persona))
    for url in audit_urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_auditors_and_administrators_see_every_page(request, login, audit_urls, persona):
    client = login(request.getfixturevalue(persona))
    for url in audit_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)  # the test client closes it at the end


def test_another_auditors_export_is_404(login, audit_urls, demo):
    other = User.objects.create_user("auditor2", password="x", is_auditor=True)
    client = login(other)
    assert client.get(audit_urls[4]).status_code == 404
    assert client.get(audit_urls[5]).status_code == 404


def test_the_audit_trail_link_shows_only_to_auditors_and_administrators(login, auditor, admin_user, custodian):
    url = reverse("audit_events")
    for user in (auditor, admin_user):
        html = login(user).get(reverse("home")).content.decode()
        assert html.count(f'href="{url}"') == 2  # nav and home section
    assert f'href="{url}"' not in login(custodian).get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "user=%C2%B2",
        "date_to=9999-12-31",
        "project=99999999999999999999999",
        "organisation=99999999999999999999999",
    ],
)
def test_odd_filter_values_never_cause_a_server_error(db, auditor, query):
    from django.test import Client

    client = Client()
    client.force_login(auditor)
    for url in ("/audit/", "/api/v1/audit-events/"):
        assert client.get(f"{url}?{query}").status_code in (200, 400), (url, query)
