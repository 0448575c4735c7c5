from django.core.management.base import BaseCommand

from assessments.services.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain. Exits 0 when intact, 1 naming the first bad event."

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(
                f"Audit chain intact: {report.count} events; head #{report.head_sequence} {report.head_hash}"
            )
            return
        self.stderr.write(
            f"Audit chain BROKEN at event {report.bad_sequence}: {report.problem}. "
            f"{report.count} events verified before it."
        )
        raise SystemExit(1)
