from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import DecisionRecord
from assessments.services.records import record_export


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
        record_export(record=record, out=Path(out))
        self.stdout.write(f"Wrote {record.number} ({record.pdf.size} bytes, SHA-256 {record.pdf.sha256}) to {out}")
