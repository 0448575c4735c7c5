from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.errors import PriamError
from assessments.services.crate_import import peer_trust


class Command(BaseCommand):
    help = (
        "Trust another PRIAM's decision records: its crates are accepted when their PDF is signed by "
        "this certificate or one it issued. Run again with the same name to change the URL or certificate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="how its assessments are shown, e.g. 'SAIL PRIAM'")
        parser.add_argument("--url", required=True, help="its public address")
        parser.add_argument("--certificate", required=True, help="PEM file: its signing certificate or CA")

    def handle(self, *args, name, url, certificate, **options):
        try:
            pem = Path(certificate).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {certificate}: {exc}.") from None
        try:
            peer = peer_trust(name=name, base_url=url, certificate_pem=pem)
        except PriamError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Trusted peer {peer.name} ({peer.base_url}).")
