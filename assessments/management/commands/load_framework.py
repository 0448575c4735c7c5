from django.core.management.base import BaseCommand, CommandError

from assessments import engine
from assessments.errors import PriamError
from assessments.services.frameworks import framework_load


class Command(BaseCommand):
    help = "Load a framework version from a folder of YAML definition files (immutable once loaded)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="e.g. fixtures/frameworks/five-safes/v1")

    def handle(self, *args, path, **options):
        try:
            version, created = framework_load(path=path)
        except (engine.FrameworkError, PriamError, OSError) as error:
            raise CommandError(str(error)) from None
        state = "Loaded" if created else "Already loaded (identical)"
        self.stdout.write(f"{state}: {version.spec} sha256 {version.sha256}")
