from django.core.management.base import BaseCommand, CommandError

from assessments.services.backup import BackupFailed, backup_create


class Command(BaseCommand):
    help = (
        "Write one archive (tar.gz) of this instance: the database dump, uploaded files, record PDFs, the "
        "public signing certificates and a manifest of SHA-256s. Never the private signing key. "
        "`restore` brings an empty instance back from it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            help="a folder for the archive, or the archive's file name (.tar.gz); default: DATA_DIR/backups/",
        )

    def handle(self, *args, out=None, **options):
        try:
            result = backup_create(out=out)
        except BackupFailed as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        media = manifest["media"]
        self.stdout.write(
            f"Backup written: {result.path} ({result.size:,} bytes, {result.files} files, "
            f"{result.seconds:.1f} s): {manifest['database']['vendor']} database, "
            f"{manifest['record_pdfs']} record PDFs, "
            + (
                f"{sum(1 for f in manifest['files'] if f['path'].startswith('media/'))} uploaded files"
                if media["included"]
                else f"uploaded files NOT included (they live in the S3 bucket {media['s3_bucket']})"
            )
            + "."
        )
        self.stdout.write(manifest["private_signing_key"])
