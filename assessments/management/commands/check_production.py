"""`make serve` runs this first, so a missing variable stops it before anything starts.

Settings already refuse a production start without SECRET_KEY or ALLOWED_HOSTS; the rest of
what several processes on real services need is checked here, every problem named at once.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.errors import SigningNotConfigured
from assessments.pdf.signing import signing_material

REQUIRED = {
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://priam:secret@db.example.org:5432/priam",
    "CELERY_BROKER_URL": "Redis for the task queue, e.g. redis://redis.example.org:6379/0",
    "CACHE_URL": "Redis for the cache all web processes share, e.g. redis://redis.example.org:6379/1",
    "PRIAM_PUBLIC_URL": "this instance's address as its users reach it, e.g. https://priam.example.org",
}


def production_problems():
    problems = []
    if not settings.PRODUCTION:
        problems.append("DEBUG must be 0: `make serve` is production mode (use `make run` for the embedded one).")
    for name, meaning in REQUIRED.items():
        if not os.environ.get(name):
            problems.append(f"{name} must be set: {meaning}.")
    if os.environ.get("DATABASE_URL") and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must name a PostgreSQL database (postgres://…): SQLite is the embedded mode's.")
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        value = os.environ.get(name, "")
        if value and not value.startswith(("redis://", "rediss://")):
            problems.append(f"{name} must be a redis:// or rediss:// address, got {value.split('://')[0]}://….")
    try:
        signing_material()
    except SigningNotConfigured as error:
        problems.append(str(error))
    return problems


class Command(BaseCommand):
    help = "Refuse to start production (make serve) while a required variable is missing or unusable, naming it."

    def handle(self, *args, **options):
        problems = production_problems()
        if problems:
            raise CommandError("PRIAM cannot start in production mode:\n- " + "\n- ".join(problems))
        self.stdout.write("Production settings are complete.")
