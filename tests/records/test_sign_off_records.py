"""Records issued by sign-offs alone (no panel) render, sign and verify like panel records."""

import subprocess

from assessments.models import User
from assessments.services.records import record_pdf_html, record_pdf_make
from assessments.services.verification import record_verify
from tests.criteria.test_sign_offs import AUTOMATIC, DECLINE_ABOVE_2, NAMES, _project


def _pdf_text(data, tmp_path):
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_an_automatic_record_has_a_signed_pdf_that_verifies(example_project, signing_ca, tmp_path, client):
    project = _project(example_project, dict.fromkeys(NAMES, AUTOMATIC))
    record = project.records.get()
    record_pdf_make(record_id=record.pk)
    record.refresh_from_db()
    data = bytes(record.pdf.data)
    result = record_verify(data)
    assert result.ok and result.record.pk == record.pk
    text = " ".join(_pdf_text(data, tmp_path).split())
    assert "no approval panel was needed" in text
    assert "Sign-off by every data owner" in text
    for name in NAMES:
        assert name in text
    client.force_login(User.objects.get(username="auditor"))
    assert client.get(f"/records/{record.number}/pdf/").status_code == 200


def test_a_declined_record_names_the_custodian_and_its_appetite(example_project, signing_ca, tmp_path):
    project = _project(example_project, {"GP records": DECLINE_ABOVE_2})
    record = project.records.get()
    record_pdf_make(record_id=record.pk)
    record.refresh_from_db()
    text = " ".join(_pdf_text(bytes(record.pdf.data), tmp_path).split())
    assert "Reject" in text and "Declined" in text and "above tier 2" in text
    assert record_verify(bytes(record.pdf.data)).ok


def test_the_record_names_the_criteria_rules_that_fired_and_whose_they_are(example_project, signing_ca, tmp_path):
    from tests.criteria.test_criteria_services import _assess_with_published_criteria

    manager = User.objects.create_user("gp-manager")
    project = _assess_with_published_criteria("E2-DA8-1200000", example_project, manager)
    record = project.records.get()  # GP records' appetite declines tier 4 at once
    record_pdf_make(record_id=record.pk)
    record.refresh_from_db()
    text = " ".join(_pdf_text(bytes(record.pdf.data), tmp_path).split())
    assert "GP-01 (GP records)" in text
    # The fired-rules table's columns interleave in extracted text: read the HTML the PDF is made from.
    assert "GP records (own criteria v1)" in " ".join(record_pdf_html(record).split())
    criteria = {s["custodian"]: s["criteria"] for s in record.snapshot["sign_offs"]}
    assert criteria["GP records"]["version"] == "1" and len(criteria["GP records"]["sha256"]) == 64


def _overflowing_boxes(html):
    """Boxes that reach past the right edge of the page's content area: cut off in the PDF."""
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import PageBox

    from assessments.pdf.render import BASE_URL, StaticOnlyURLFetcher

    found = []
    for number, page in enumerate(
        HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).render().pages, 1
    ):
        page_box = page._page_box
        right = page_box.margin_width() - page_box.margin_right
        for box in page_box.descendants():
            width = getattr(box, "width", None)
            if isinstance(box, PageBox) or not isinstance(width, (int, float)) or not hasattr(box, "position_x"):
                continue
            if box.position_x + box.margin_width() > right + 1:
                found.append((number, getattr(box, "element_tag", None), getattr(box, "text", "")[:40]))
    return found


def test_appetite_hashes_in_the_sign_off_table_stay_inside_the_page(example_project, signing_ca):
    # A SHA-256 in a table cell once widened the sign-off table past the page edge, cutting off
    # its last column in the signed PDF.
    project = _project(example_project, dict.fromkeys(NAMES, AUTOMATIC))
    html = record_pdf_html(project.records.get())
    assert "SHA-256 <code>" in html
    assert _overflowing_boxes(html) == []
