from django.core.management.base import BaseCommand

from assessments.services.audit import audit_verify
from assessments.services.audit_checks import audit_chain_check_save


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain and the chain heads signed into decision records. "
        "Exits 0 when intact, 1 naming the first bad event or the first record the log contradicts. "
        "With --record, also store the result for the auditors' page (run it from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--record",
            action="store_true",
            help="store the result, so /audit/ shows when the chain was last verified",
        )

    def handle(self, *args, record=False, **options):
        report = audit_verify()
        if record:
            audit_chain_check_save(report=report)
        if report.ok:
            self.stdout.write(
                f"Audit chain intact: {report.count} events; head #{report.head_sequence} {report.head_hash}; "
                f"{_anchors(report.records_checked)}."
            )
            return
        if report.bad_record:
            self.stderr.write(
                f"Audit chain BROKEN at or before event {report.bad_sequence}: {report.problem}. "
                f"{report.detail} Every event's hash was recomputed consistently, so the hashes "
                "alone do not show it."
            )
        else:
            self.stderr.write(
                f"Audit chain BROKEN at event {report.bad_sequence}: {report.problem}. "
                f"{report.count} events verified before it."
            )
        raise SystemExit(1)


def _anchors(count):
    if count == 0:
        return "no decision record issued yet to hold it against"
    if count == 1:
        return "1 decision record's chain head agrees with it"
    return f"{count} decision records' chain heads agree with it"
