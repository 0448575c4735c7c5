"""The public register's pages and feeds: what an entry shows, search and filters, pages, the
Atom, JSON and CSV files, and a fixed number of queries however many entries."""

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Approval, Obligation, Publication
from assessments.services.register import project_publish
from tests.register.conftest import more_entries

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_an_entry_shows_the_decision_from_its_record(published, client):
    entry = client.get("/register.json").json()["results"][0]
    snapshot = published.snapshot
    assert entry["record_number"] == published.number
    assert entry["title"] == snapshot["project"]["title"]
    assert entry["purpose"] == snapshot["project"]["purpose"]
    assert entry["lead_organisation"] == "University of Cambridge"
    assert entry["coordinating_organisation"] == "Cambridge BRC"
    assert entry["custodians"] == ["Cambridge BRC", "Genomics England"]
    assert [(t["safe"], t["tier"], t["tier_name"]) for t in entry["tiers"]] == [
        ("people", 0, "Open"),
        ("projects", 0, "Open"),
        ("settings", 0, "Open"),
        ("data", 3, "High"),
        ("outputs", 2, "Moderate"),
    ]
    assert (entry["overall_tier"], entry["overall_tier_name"]) == (3, "High")
    people = next(c for c in entry["controls"] if c["safe"] == "people")
    assert "Every named user has accepted the terms of use." in people["in_place"]
    assert entry["conditions"] == [
        {
            "number": 1,
            "set_by": "the approval panel",
            "published": True,
            "text": "Every result is checked by two people before it is released.",
        },
        {
            "number": 2,
            "set_by": "the approval panel",
            "published": False,
            "text": "A condition set by the approval panel; its wording is not published.",
        },
    ]
    approval = published.approval
    assert entry["expires_on"] == approval.expires_on.isoformat()
    assert entry["decision_date"] == timezone.localdate(published.issued_at).isoformat()
    assert (entry["status"], entry["status_label"]) == ("active", "In force")
    assert entry["url"] == f"http://testserver/register/{published.number}/"
    assert entry["verify_url"] == "http://testserver/verify/"
    page = client.get(f"/register/{published.number}/").content.decode()
    assert "Every result is checked by two people" in page and 'href="/verify/"' in page
    assert "<caption>" in page and '<th scope="row">Data</th><td>3</td><td>High</td>' in page


def test_the_register_page_is_the_same_signed_in_and_links_its_feeds(published, client, login, coordinator):
    anonymous = client.get("/register/").content.decode()
    for url, kind in (
        ("/register.atom", "application/atom+xml"),
        ("/register.json", "application/json"),
        ("/register.csv", "text/csv"),
    ):
        assert f'rel="alternate" type="{kind}"' in anonymous and f'href="{url}"' in anonymous
    assert 'href="/register/">Public register</a>' in anonymous
    assert 'href="/accounts/login/?next=/register/">Sign in</a>' in anonymous  # a way in from the public page
    signed_in = login(coordinator).get("/register/")
    assert signed_in.status_code == 200 and published.number in signed_in.content.decode()
    assert ">Sign in</a>" not in signed_in.content.decode()


def test_search_and_filters(published, client):
    def count(query):
        return client.get(f"/register/?{query}").context["page"].paginator.count

    def json_count(query):
        return client.get(f"/register.json?{query}").json()["count"]

    year = timezone.localdate(published.issued_at).year
    for query, expected in [
        ("q=genomics", 1),  # the title
        ("q=PUBLIC-BENEFIT", 1),  # the purpose, any case
        ("q=secure+environments", 1),  # the lay summary
        ("q=nothing+like+this", 0),
        ("custodian=Genomics+England", 1),
        ("custodian=North+Thames+GP+Records", 0),
        ("tier=3", 1),
        ("tier=2", 0),
        ("status=active", 1),
        ("status=expired", 0),
        (f"year={year}", 1),
        (f"year={year - 1}", 0),
        ("tier=x&year=&status=bogus", 1),  # values that cannot be filters are ignored
        ("year=0", 1),
    ]:
        assert count(query) == expected, query
        assert json_count(query) == expected, query


def test_expired_and_replaced_approvals_stay_listed_with_their_status(published, client):
    approval = published.approval
    # Past its last day: expired on the register even before the nightly job marks it.
    Approval.objects.filter(pk=approval.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    entry = client.get("/register.json").json()["results"][0]
    assert (entry["status"], entry["status_label"]) == ("expired", "Expired")
    assert client.get("/register/?status=expired").context["page"].paginator.count == 1
    assert client.get("/register/?status=active").context["page"].paginator.count == 0
    Approval.objects.filter(pk=approval.pk).update(status=Approval.Status.EXPIRED)
    assert client.get("/register.json?status=expired").json()["count"] == 1
    assert 'data-status="expired"' in client.get(f"/register/{published.number}/").content.decode()


def test_a_later_approval_appears_with_the_same_summary_and_neutral_conditions(published, client):
    (later,) = more_entries(published, 1)
    Obligation.objects.create(
        approval=later,
        project=later.project,
        number=1,
        text="A private renewal condition.",
        source=Obligation.Source.PANEL,
        status_changed_at=timezone.now(),
    )
    entries = {e["record_number"]: e for e in client.get("/register.json").json()["results"]}
    copy = entries[later.record.number]
    assert copy["lay_summary"] == entries[published.number]["lay_summary"]
    assert copy["status"] == "replaced"
    assert copy["conditions"] == [
        {
            "number": 1,
            "set_by": "the approval panel",
            "published": False,
            "text": "A condition set by the approval panel; its wording is not published.",
        }
    ]
    assert "A private renewal condition." not in client.get("/register.csv").content.decode()


def test_the_atom_feed_lists_new_approvals(published, client):
    more_entries(published, 2)
    response = client.get("/register.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    first = entries[0]
    assert first.find(f"{ATOM}id").text == published.number  # the newest decision first
    assert first.find(f"{ATOM}link").get("href") == f"http://testserver/register/{published.number}/"
    assert "secure environments" in first.find(f"{ATOM}summary").text


def test_the_csv_file_has_the_same_rows_and_neutralises_formulas(published, client):
    project = published.project
    project_publish(project=project, user=project.coordinator, lay_summary='=HYPERLINK("http://x","y")')
    more_entries(published, 2)
    response = client.get("/register.csv?q=HYPERLINK")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3
    row = next(r for r in rows if r["record_number"] == published.number)
    assert row["lay_summary"] == '\'=HYPERLINK("http://x","y")'
    assert (row["data_tier"], row["overall_tier"], row["overall_tier_name"]) == ("3", "3", "High")
    assert row["status"] == "In force" and row["custodians"] == "Cambridge BRC; Genomics England"
    assert "its wording is not published" in row["conditions"]


def test_pages_of_twenty(published, client):
    more_entries(published, 24)
    first = client.get("/register/")
    assert len(first.context["entries"]) == 20 and first.context["page"].paginator.num_pages == 2
    assert 'href="?page=2"' in first.content.decode()
    second = client.get("/register/?page=2&tier=3")
    assert len(second.context["entries"]) == 5
    assert 'href="?tier=3&amp;page=1"' in second.content.decode()
    api = client.get("/api/v1/register/?page_size=10&page=3").json()
    assert api["count"] == 25 and len(api["results"]) == 5


@pytest.mark.parametrize(
    "url", ["/register/", "/register.json", "/register.csv", "/register.atom", "/api/v1/register/?page_size=50"]
)
def test_queries_do_not_grow_with_entries(published, client, url):
    more_entries(published, 1)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    more_entries(published, 8)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    assert len(ten) == len(two), url


def test_an_unknown_or_unpublished_record_is_not_found(published, assessed_project, client):
    assert client.get("/register/PRIAM-1999-0001/").status_code == 404
    Publication.objects.all().delete()
    assert client.get(f"/register/{published.number}/").status_code == 404
