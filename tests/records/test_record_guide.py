"""A record snapshots the framework guide's texts it shows (issue 14): the controls the tier
needs, and which guide said so; a later, improved guide never changes an issued record."""

import shutil

import pytest

from assessments.models import FrameworkGuide
from assessments.services.frameworks import framework_load
from assessments.services.records import record_pdf_html

pytestmark = pytest.mark.django_db


def test_the_record_keeps_the_controls_its_guide_showed(assessed_project, issue_record, tmp_path):
    record = issue_record(assessed_project)
    shown = record.snapshot["guide"]
    guide = FrameworkGuide.objects.get(framework_version=assessed_project.framework_version)
    assert (shown["number"], shown["sha256"]) == (guide.number, guide.sha256)
    # E1 reaches overall tier 3: the tier-3 People control (accredited researchers) is in place.
    people = next(s for s in shown["controls"] if s["safe"] == "people")
    assert {c["id"]: c["in_place"] for c in people["controls"]}["people-3-accredited"] is True
    html = " ".join(record_pdf_html(record).split())
    assert f"Controls tier 3 needs: {shown['controls_total']['in_place']} in place" in html

    # The guide improves: a new number for the same version, and the record is unchanged.
    folder = tmp_path / "v1"
    shutil.copytree("fixtures/frameworks/five-safes/v1", folder)
    guide_file = folder / "guide" / "guide.yaml"
    guide_file.write_text(guide_file.read_text().replace("Users are registered", "Users are enrolled", 1))
    framework_load(path=folder)
    assert FrameworkGuide.objects.filter(framework_version=assessed_project.framework_version).count() == 2
    record.refresh_from_db()
    assert record.snapshot["guide"] == shown
    assert "Users are registered" in record_pdf_html(record) and "Users are enrolled" not in record_pdf_html(record)
