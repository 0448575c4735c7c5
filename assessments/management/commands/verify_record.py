from pathlib import Path

from django.core.management.base import BaseCommand

from assessments.services.verification import record_verify


class Command(BaseCommand):
    help = "Check a decision record PDF: exit 0 for a valid record issued by this PRIAM, 1 otherwise."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the PDF to check")

    def handle(self, *args, file, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            self.stderr.write(f"{file}: cannot read: {error}")
            raise SystemExit(1) from None
        result = record_verify(data)
        for check in result.checks:
            self.stdout.write(f"{check.label}: {check.answer}")
        if result.ok:
            self.stdout.write(result.summary())
            self.stdout.write(f"Signed by {result.pdf.signer}; SHA-256 {result.pdf.signed_sha256}")
            return
        self.stderr.write(result.summary())
        raise SystemExit(1)
