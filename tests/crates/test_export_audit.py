"""The three ways to export a crate (command, record page, API): the same zip, the same check of
who may see the record, and one "record.crate_exported" audit event each naming the crate's SHA-256."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from assessments.crates.build import crate_build
from assessments.models import AuditEvent, User
from assessments.services.audit import audit_verify
from tests.api.test_api import token_for

pytestmark = pytest.mark.django_db

ACTION = "record.crate_exported"


def _events():
    return list(AuditEvent.objects.filter(action=ACTION).order_by("sequence"))


def test_the_command_writes_the_crate_and_audits_it(crate_record, tmp_path):
    out = tmp_path / "record.zip"
    printed = StringIO()
    call_command("export_crate", crate_record.number, out=str(out), stdout=printed)
    data = out.read_bytes()
    assert data == crate_build(record=crate_record)
    [event] = _events()
    assert event.actor == "system"
    assert (event.object_type, event.object_id) == ("decisionrecord", str(crate_record.pk))
    assert event.project_id == crate_record.project_id
    assert event.data == {
        "number": crate_record.number,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "out": str(out),
    }
    assert f"Wrote {crate_record.number}" in printed.getvalue()
    assert audit_verify().ok


def test_the_command_names_an_unknown_record_and_an_unsigned_one(crate_unsigned, tmp_path):
    with pytest.raises(CommandError, match="No decision record 'PRIAM-1999-0001'"):
        call_command("export_crate", "PRIAM-1999-0001", out=str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="signed PDF is not ready yet"):
        call_command("export_crate", crate_unsigned.number, out=str(tmp_path / "y.zip"))
    assert not (tmp_path / "y.zip").exists()
    assert _events() == []


def test_the_record_page_offers_the_crate_and_audits_the_download(crate_record, coordinator, login):
    client = login(coordinator)
    page = client.get(reverse("record_detail", args=[crate_record.number])).content.decode()
    url = reverse("record_crate", args=[crate_record.number])
    assert f'href="{url}">Download as RO-Crate</a>' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{crate_record.number}.crate.zip"'
    assert response.content == crate_build(record=crate_record)
    [event] = _events()
    assert event.actor == "coordinator"
    assert event.data["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_the_page_refuses_an_unsigned_record_with_the_reason(crate_unsigned, coordinator, login):
    response = login(coordinator).get(reverse("record_crate", args=[crate_unsigned.number]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("record_detail", args=[crate_unsigned.number])
    assert "signed PDF is not ready yet" in response.content.decode()
    assert _events() == []


@pytest.mark.parametrize("username", ["outsider", "custodian"])
def test_who_does_not_see_the_record_gets_404_and_no_event(crate_record, username, login):
    # `custodian` is at North Thames GP Records, which takes no part in E1.
    response = login(User.objects.get(username=username)).get(reverse("record_crate", args=[crate_record.number]))
    assert response.status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(username, read_only=True)}")
    assert api.get(f"/api/v1/records/{crate_record.number}/crate/").status_code == 404
    assert _events() == []


def test_the_api_returns_the_crate_and_audits_it(crate_record):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('auditor', read_only=True)}", HTTP_ACCEPT="application/json")
    response = api.get(f"/api/v1/records/{crate_record.number}/crate/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.content == crate_build(record=crate_record)
    [event] = _events()
    assert event.actor == "auditor"
    assert event.data == {
        "number": crate_record.number,
        "sha256": hashlib.sha256(response.content).hexdigest(),
        "size": len(response.content),
    }


def test_the_api_answers_409_for_an_unsigned_record(crate_unsigned):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_for('coordinator', read_only=True)}")
    response = api.get(f"/api/v1/records/{crate_unsigned.number}/crate/")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    assert "signed PDF is not ready yet" in response.json()["detail"]
    assert _events() == []
