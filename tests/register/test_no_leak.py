"""Nothing private reaches the public register: a project full of distinctive markers in every
private field is published, and no marker appears on any public page or feed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import Panel, Project, SignOff, User
from assessments.services.comments import comment_post
from assessments.services.evidence import evidence_upload
from assessments.services.panels import conflict_declare, review_decide, review_send, vote_cast
from assessments.services.register import project_publish

pytestmark = pytest.mark.django_db

MARKERS = {
    "summary": "ZQSUMMARYMARK",
    "public_benefit": "ZQBENEFITMARK",
    "lead_researcher": "ZQRESEARCHERMARK",
    "comment": "ZQCOMMENTMARK",
    "evidence": "zqevidencemark",
    "review_note": "ZQREVIEWNOTEMARK",
    "declaration": "ZQDECLARATIONMARK",
    "vote": "ZQVOTEMARK",
    "rationale": "ZQRATIONALEMARK",
    "dissent": "ZQDISSENTMARK",
    "condition": "ZQCONDITIONMARK",
    "coordinator_name": "Zqcoordname",
    "coordinator_email": "zqcoordmail",
    "coordinator_username": "zqcoorduser",
    "chair_name": "Zqchairname",
    "sign_off": "ZQSIGNOFFMARK",
}


def test_no_private_field_reaches_any_public_page_or_feed(example_project, signing_ca, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    project = example_project("E1")
    Project.objects.filter(pk=project.pk).update(
        summary=f"Private {MARKERS['summary']}",
        public_benefit=f"Private {MARKERS['public_benefit']}",
        lead_researcher=f"Dr {MARKERS['lead_researcher']}",
    )
    project.refresh_from_db()
    coordinator = project.coordinator
    coordinator.first_name, coordinator.email = MARKERS["coordinator_name"], f"{MARKERS['coordinator_email']}@x.invalid"
    coordinator.username = MARKERS["coordinator_username"]
    coordinator.save()
    User.objects.filter(username="chair").update(first_name=MARKERS["chair_name"])
    comment_post(project=project, user=coordinator, text=f"About OU3: {MARKERS['comment']}", question="OU3")
    evidence_upload(
        project=project,
        user=coordinator,
        uploaded_file=SimpleUploadedFile(f"{MARKERS['evidence']}.pdf", b"%PDF-1.4\n%%EOF\n"),
        question="PE1",
    )
    review = review_send(
        project=project,
        panel=Panel.objects.get(name="National Data Access Panel"),
        actor=coordinator,
        note=MARKERS["review_note"],
    )
    for username in ("chair", "panel", "panel2"):
        member = User.objects.get(username=username)
        conflict_declare(review=review, member=member, conflicted=False, details=MARKERS["declaration"])
        vote_cast(review=review, member=member, choice="approve_with_conditions", rationale=MARKERS["vote"])
    for sign_off in SignOff.objects.filter(project=project):  # why each custodian's route was taken
        sign_off.route_reason = {**sign_off.route_reason, "text": MARKERS["sign_off"]}
        sign_off.save(update_fields=["route_reason"])
    record = review_decide(
        review=review,
        chair=User.objects.get(username="chair"),
        outcome="approve_with_conditions",
        conditions=[
            {"text": "Two people check every output.", "blocking": False},
            {"text": f"Private condition {MARKERS['condition']}", "blocking": False},
        ],
        rationale=MARKERS["rationale"],
        dissent=MARKERS["dissent"],
    )
    snapshot_text = str(record.snapshot)
    # The markers are really in the record: the test would prove nothing otherwise.
    for name in (
        "summary",
        "public_benefit",
        "lead_researcher",
        "review_note",
        "vote",
        "rationale",
        "dissent",
        "sign_off",
    ):
        assert MARKERS[name] in snapshot_text, name
    assert MARKERS["evidence"] in snapshot_text and MARKERS["coordinator_username"] in snapshot_text
    project_publish(
        project=project,
        user=coordinator,
        lay_summary="Researchers study genes and health.",
        condition_wording={record.number: {"1": "Two people check every output."}},
    )
    pages = {
        "list": client.get("/register/"),
        "detail": client.get(f"/register/{record.number}/"),
        "json": client.get("/register.json"),
        "csv": client.get("/register.csv"),
        "atom": client.get("/register.atom"),
        "api": client.get("/api/v1/register/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = response.content.decode().lower()
        assert record.number.lower() in body, name  # the entry is there...
        for marker_name, marker in MARKERS.items():
            assert marker.lower() not in body, (name, marker_name)  # ...and nothing private with it
    assert "its wording is not published" in pages["detail"].content.decode()
