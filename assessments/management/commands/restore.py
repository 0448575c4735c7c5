from django.core.management.base import BaseCommand, CommandError

from assessments.services.backup import KEY_ADVICE, BackupFailed, backup_restore


class Command(BaseCommand):
    help = (
        "Bring an EMPTY instance back from an archive `backup` wrote: check every file's SHA-256, "
        "restore the database, uploaded files and public signing certificates, then migrate. "
        "Refuses a changed archive and a database that already holds data."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz archive written by `manage.py backup`")
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="do not run migrate afterwards (it brings an older archive up to this release)",
        )

    def handle(self, *args, archive, no_migrate=False, **options):
        try:
            result = backup_restore(archive=archive, migrate=not no_migrate, log=self.stdout.write)
        except BackupFailed as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (PRIAM {manifest['priam_version']}, "
            f"{manifest['record_pdfs']} record PDFs)."
        )
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        self.stdout.write(KEY_ADVICE)
        self.stdout.write("Then check it: `manage.py verify_audit`, and `manage.py verify_record` on a record's PDF.")
