from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.services.demo import DEMO_FILE, demo_load


class Command(BaseCommand):
    help = "Load the demo organisations, users and panels (idempotent). Refuses when DEBUG is off."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even though DEBUG is off (never in production).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: demo users have a published password. "
                "Pass --force if this really is a demonstration instance."
            )
        summary = demo_load(path=DEMO_FILE)
        self.stdout.write(f"Demo data: {summary.created} created, {summary.unchanged} unchanged.")
        self.stdout.write(f"Demo logins (password {summary.password!r}):")
        for username, about in summary.logins:
            self.stdout.write(f"  {username:<12} {about}")
