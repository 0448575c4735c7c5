from datetime import date

from django.core.management.base import BaseCommand, CommandError

from assessments.services.scheduled import scheduled_run


class Command(BaseCommand):
    help = (
        "Do the scheduled work once: mark overdue obligations, send due-soon and expiry reminders, "
        "expire approvals, send the daily e-mail digests and verify the audit chain. Idempotent: "
        "a second run changes nothing more, so cron it as often as you like (hourly is plenty). "
        "Production runs the same work from Celery beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="act as if today were this date (YYYY-MM-DD), to catch up or to try it")

    def handle(self, *args, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: expected a date as YYYY-MM-DD, got {today!r}") from None
        for line in scheduled_run(today=day):
            self.stdout.write(line)
