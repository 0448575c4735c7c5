from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.errors import PriamError
from assessments.models import DecisionRecord
from assessments.services.crates import record_crate_export


class Command(BaseCommand):
    help = "Write a decision record as a Five Safes RO-Crate (a zip) to a file."

    def add_arguments(self, parser):
        parser.add_argument("number", help="e.g. PRIAM-2026-0001")
        parser.add_argument("--out", required=True, help="where to write the zip")

    def handle(self, *args, number, out, **options):
        record = DecisionRecord.objects.select_related("project").filter(number=number).first()
        if record is None:
            raise CommandError(f"No decision record {number!r}.")
        try:
            data = record_crate_export(record=record, by=None, out=Path(out))
        except PriamError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote {record.number} as an RO-Crate ({len(data)} bytes) to {out}")
