"""People read times as "1 Jul 2026, 13:00" in the instance's time zone, and people by name."""

import re
from datetime import UTC, datetime
from html import unescape
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from assessments.display import possessive, readable_time
from assessments.models import ApiToken, AuditAction, Organisation, Panel
from assessments.services.audit import audit_record
from assessments.services.panels import conflict_declare, review_send
from assessments.services.records import record_pdf_html
from assessments.services.tokens import token_create

pytestmark = pytest.mark.django_db
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 British Summer Time
READABLE = "1 Jul 2026, 13:00"
ISO_OR_UTC = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\(UTC\)|\+00:00")


def text(html):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_instance_reads_times_in_london_by_default(settings):
    assert settings.TIME_ZONE == "Europe/London" and settings.USE_TZ


@pytest.mark.parametrize(
    "value, shown",
    [
        (SUMMER, READABLE),
        ("2026-07-01T12:00:00+00:00", READABLE),
        ("2026-11-29T00:11:00+00:00", "29 Nov 2026, 00:11"),
        ("2027-03-01", "1 Mar 2027"),
        (None, None),
        ("not a time", "not a time"),
    ],
)
def test_readable_time(value, shown):
    assert readable_time(value) == shown


@pytest.mark.parametrize(
    "name, shown",
    [
        ("Dr Nair", "Dr Nair's"),
        ("North Thames GP Records", "North Thames GP Records'"),
    ],
)
def test_possessive(name, shown):
    assert possessive(name) == shown


def test_a_page_shows_times_readably_in_local_time(login, custodian):
    api_token, _ = token_create(user=custodian, name="laptop")
    ApiToken.objects.filter(pk=api_token.pk).update(created_at=SUMMER)
    page = text(login(custodian).get(reverse("tokens")).content.decode())
    assert READABLE in page


def test_the_audit_trail_shows_local_times_and_names(login, auditor, custodian):
    with mock.patch("assessments.services.audit.timezone.now", return_value=SUMMER):
        event = audit_record(action=AuditAction.AUTH_LOGIN, actor=custodian, project_id=7)
    client = login(auditor)
    listing = text(client.get(reverse("audit_events")).content.decode())
    assert f"{READABLE} Dev Okafor (custodian, id {custodian.pk})" in listing
    assert "Times are Europe/London time." in listing
    detail = text(client.get(reverse("audit_event", args=[event.sequence])).content.decode())
    assert READABLE in detail and "Dev Okafor (custodian" in detail
    assert "2026-07-01 12:00:00.000000 UTC, as hashed" in detail
    timeline = text(client.get(reverse("audit_project_timeline", args=[7])).content.decode())
    assert READABLE in timeline and "by Dev Okafor" in timeline


def test_exports_keep_iso_8601(login, auditor, custodian):
    with mock.patch("assessments.services.audit.timezone.now", return_value=SUMMER):
        audit_record(action=AuditAction.AUTH_LOGIN, actor=custodian)
    response = login(auditor).get(reverse("audit_export"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "2026-07-01T12:00:00" in body and READABLE not in body


@pytest.fixture
def summer_record(assessed_project, issue_record):
    with mock.patch("django.utils.timezone.now", return_value=SUMMER):
        return issue_record(assessed_project)


def test_the_record_pdf_shows_readable_local_times_and_names(summer_record):
    html = text(record_pdf_html(summer_record))
    # Printed, a time says its zone in words, as the record may be read anywhere.
    assert "Issued on 1 July 2026 at 13:00 BST" in html
    assert "Recorded by Hannah Brooks (chair) on 1 July 2026 at 13:00 BST" in html
    assert "Ravi Sharma" in html and "Elin Roberts" in html
    assert not ISO_OR_UTC.search(html), ISO_OR_UTC.search(html).group(0)


def test_the_record_page_shows_the_decision_time_readably(summer_record, login, auditor):
    page = text(login(auditor).get(reverse("record_detail", args=[summer_record.number])).content.decode())
    assert f"recorded by Hannah Brooks on {READABLE}" in page


def test_verify_shows_the_signing_time_readably(summer_record):
    from django.core.files.uploadedfile import SimpleUploadedFile

    html = Client().post(reverse("verify"), {"file": SimpleUploadedFile("r.pdf", bytes(summer_record.pdf.data))})
    signed_at = re.search(r"Signed at[^<]*</th><td>([^<]*)</td>", html.content.decode()).group(1)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", signed_at), signed_at


def test_a_declared_conflict_reads_as_one_sentence(assessed_project, login, panel):
    national = Panel.objects.get(name="National Data Access Panel")
    review = review_send(project=assessed_project, panel=national, actor=assessed_project.coordinator)
    with mock.patch("django.utils.timezone.now", return_value=SUMMER):
        conflict_declare(review=review, member=panel, conflicted=True, details="with Dr Nair.")
    page = text(login(panel).get(reverse("review_detail", args=[review.pk])).content.decode())
    assert (
        f"On {READABLE} you declared a conflict of interest (“with Dr Nair.”), so you do not vote on this project."
    ) in page
    assert ".." not in page and "project. on" not in page


def test_an_organisation_name_ending_in_s_takes_a_plain_apostrophe(assessed_project, login, coordinator):
    # E1's second custodian, which the coordinator views rather than opens.
    Organisation.objects.filter(name="Genomics England").update(name="Example Health Records")
    html = login(coordinator).get(reverse("project_detail", args=[assessed_project.pk])).content.decode()
    page = text(html)
    assert "Example Health Records' assessment" in page
    assert "Records's" not in page
