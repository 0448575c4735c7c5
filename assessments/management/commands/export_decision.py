from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments.models import AuditAction, DecisionRecord
from assessments.services.audit import audit_record


class Command(BaseCommand):
    help = "Write a decision record's signed PDF to a file."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("number", nargs="?", help="e.g. PRIAM-2026-0001")
        which.add_argument("--latest", action="store_true", help="the most recently issued record")
        parser.add_argument("--out", required=True, help="where to write the PDF")

    def handle(self, *args, number=None, latest=False, out, **options):
        records = DecisionRecord.objects.select_related("pdf", "project")
        record = records.order_by("-issued_at", "-pk").first() if latest else records.filter(number=number).first()
        if record is None:
            raise CommandError(f"No decision record {number!r}." if number else "No decision record has been issued.")
        if not hasattr(record, "pdf"):
            raise CommandError(f"{record.number}'s signed PDF is not ready yet; try again shortly.")
        with transaction.atomic():
            Path(out).write_bytes(bytes(record.pdf.data))
            audit_record(
                action=AuditAction.RECORD_EXPORTED, obj=record, project=record.project,
                data={"number": record.number, "sha256": record.pdf.sha256, "out": str(out)},
            )
        self.stdout.write(f"Wrote {record.number} ({record.pdf.size} bytes, SHA-256 {record.pdf.sha256}) to {out}")
