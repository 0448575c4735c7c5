from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.errors import PriamError
from assessments.services.crate_import import crate_import


class Command(BaseCommand):
    help = (
        "Import a Five Safes RO-Crate exported by another PRIAM: the crate is verified (manifest, the "
        "PDF's signature against the trusted peers, the signed record) and kept as a received assessment. "
        "Exits non-zero, saying why, when the crate is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the crate (.zip)")

    def handle(self, *args, file, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        try:
            received = crate_import(data=data, by=None)
        except PriamError as exc:
            raise CommandError(f"Refused: {exc}") from None
        self.stdout.write(
            f"Received {received.record_number} from {received.peer.name} "
            f"(received assessment {received.pk}, signed by {received.signer})."
        )
