"""A risk profile to take away, at any time: a PDF that says it is an assessment and not a decision,
and the exchange format's JSON that `manage.py assess` reads and prints (spec section 8)."""

import json
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments.models import User

pytestmark = pytest.mark.django_db


def _pdf_tool(tool, data, tmp_path, *args):
    path = tmp_path / "export.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], capture_output=True, text=True
    ).stdout


@pytest.fixture
def project(example_project):
    return example_project("E1")


def test_the_risk_profile_pdf_is_an_assessment_not_a_decision(project, login, coordinator, tmp_path, settings):
    settings.PRIAM_INSTANCE_NAME = "Wessex Data Access Service"
    evaluation = project.evaluations.get()
    response = login(coordinator).get(reverse("risk_profile_pdf", args=[project.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"revision-{evaluation.revision}.pdf" in response["Content-Disposition"]
    data = response.content
    text = " ".join(_pdf_tool("pdftotext", data, tmp_path).split())
    assert text.startswith("Wessex Data Access Service · Risk assessment")
    assert "Assessment, not a decision" in text
    # The summary: E1's expected result (spec section 6: 0/0/0/3/2 → 3, approve).
    assert "Overall tier 3 High" in text and "Recommended outcome: Approve." in text
    assert project.title in text
    info = _pdf_tool("pdfinfo", data, tmp_path)
    assert "Tagged:          yes" in info
    # Only decision records are signed: this one carries no signature for a reader to trust.
    assert b"/ByteRange" not in data and b"/Sig" not in data
    meta = _pdf_tool("pdfinfo", data, tmp_path, "-meta")
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta


def test_each_revision_exports_as_it_was_evaluated(project, login, coordinator, tmp_path):
    revision = project.evaluations.get().revision
    client = login(coordinator)
    pdf = client.get(reverse("risk_profile_revision_pdf", args=[project.pk, revision]))
    assert pdf.status_code == 200
    assert f"revision {revision}" in " ".join(_pdf_tool("pdftotext", pdf.content, tmp_path).split())
    assert client.get(reverse("risk_profile_revision_pdf", args=[project.pk, revision + 1])).status_code == 404
    assert client.get(reverse("risk_profile_revision_json", args=[project.pk, revision + 1])).status_code == 404


def test_the_json_is_the_exchange_format_that_assess_reads_and_prints(project, login, tmp_path):
    evaluation = project.evaluations.select_related("framework_version").get()
    custodian = User.objects.filter(memberships__organisation__assessments__project=project).first()
    response = login(custodian).get(reverse("risk_profile_json", args=[project.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    exported = json.loads(response.content)
    assert set(exported) == {"document", "result"}
    assert exported["document"] == evaluation.document

    # The document alone, as a reader without PRIAM's database would hand it to `assess`.
    path = tmp_path / "document.json"
    path.write_text(json.dumps(exported["document"]))
    out = StringIO()
    call_command("assess", str(path), framework=evaluation.framework_version.spec, stdout=out)
    assert exported["result"] == json.loads(out.getvalue())
    # …and what the spec's worked example E1 expects of it (spec section 6).
    assert exported["result"]["overall"] == 3 and exported["result"]["outcome"] == "approve"


@pytest.mark.parametrize("name", ["risk_profile_pdf", "risk_profile_json"])
def test_outsiders_get_404(project, login, outsider, name):
    assert login(outsider).get(reverse(name, args=[project.pk])).status_code == 404
    revision = project.evaluations.get().revision
    by_revision = name.replace("risk_profile", "risk_profile_revision")
    assert login(outsider).get(reverse(by_revision, args=[project.pk, revision])).status_code == 404


@pytest.mark.parametrize("name", ["risk_profile_pdf", "risk_profile_json"])
def test_signed_out_visitors_are_sent_to_sign_in(project, client, name):
    response = client.get(reverse(name, args=[project.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_risk_profile_page_links_both_exports(project, login, coordinator):
    revision = project.evaluations.get().revision
    page = login(coordinator).get(reverse("risk_profile", args=[project.pk])).content.decode()
    assert reverse("risk_profile_revision_pdf", args=[project.pk, revision]) in page
    assert reverse("risk_profile_revision_json", args=[project.pk, revision]) in page
