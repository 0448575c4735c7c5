from django.core.management.base import BaseCommand, CommandError

from assessments.pdf.testca import PartialTestCA, ensure_test_ca


class Command(BaseCommand):
    help = (
        "Create, if missing, the local test CA and signing certificate for decision records "
        "under DATA_DIR/signing/ (embedded mode only; production configures a real "
        "certificate, see README). Changes nothing when they exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Where to create the files (default: DATA_DIR/signing).")

    def handle(self, *args, directory=None, **options):
        try:
            created, files = ensure_test_ca(directory)
        except PartialTestCA as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stdout.write(
                f"Created a local test CA and signing certificate in {files.directory} "
                f"({files.ca.name}, {files.cert.name}, {files.key.name}). "
                "For testing only: see the README to use a real certificate."
            )
        else:
            self.stdout.write(
                f"The local test CA and signing certificate already exist in {files.directory}; nothing changed."
            )
