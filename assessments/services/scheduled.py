"""Work nobody clicks for: reminders, overdue obligations, expiring approvals.

Each step acts only on what has not been done yet (a reminder already sent, an obligation
already overdue, an approval already expired), so running it twice, or from both Celery beat
and cron, changes nothing more. Each change writes its audit event as "system".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from priam.scheduling import once_per_beat_slot

from ..models import Approval, AuditAction, AuditChainCheck, Obligation, Project
from ..selectors.obligations import OPEN_STATUSES, obligation_people
from .audit import audit_record
from .notification_email import notifications_digest_send
from .notifications import notify, project_people
from .outbox import outbox_relay


@dataclass
class ScheduledReport:
    overdue: int = 0
    obligation_reminders: int = 0
    approval_reminders: int = 0
    expired: int = 0

    def __str__(self) -> str:
        return (
            f"{self.overdue} obligation(s) became overdue, {self.obligation_reminders} obligation reminder(s), "
            f"{self.approval_reminders} expiry reminder(s), {self.expired} approval(s) expired"
        )


def after_approval_run(*, today: date | None = None) -> ScheduledReport:
    today = today or timezone.localdate()
    report = ScheduledReport()
    report.overdue = _mark_overdue(today)
    report.obligation_reminders = _remind_obligations(today)
    report.approval_reminders = _remind_approvals(today)
    report.expired = _expire(today)
    return report


def _obligations_url(project_id: int) -> str:
    return reverse("project_obligations", args=[project_id])


def _mark_overdue(today: date) -> int:
    done = 0
    due = Obligation.objects.filter(
        status__in=(Obligation.Status.OPEN,),
        due_on__lt=today,
        approval__status=Approval.Status.ACTIVE,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            o = (
                Obligation.objects.select_for_update(of=("self",), no_key=True)
                .select_related("project")
                .filter(pk=pk, status=Obligation.Status.OPEN)
                .first()
            )
            if o is None:
                continue  # someone acted on it meanwhile
            o.status, o.status_changed_at = Obligation.Status.OVERDUE, timezone.now()
            o.save(update_fields=["status", "status_changed_at"])
            audit_record(
                action=AuditAction.OBLIGATION_OVERDUE,
                obj=o,
                project_id=o.project_id,
                organisation=o.checker,
                data={"number": o.number, "text": o.text, "due_on": o.due_on.isoformat() if o.due_on else None},
            )
            notify(
                recipients=obligation_people(o, owners=True, checkers=True),
                kind="obligation_overdue",
                subject=f"Obligation overdue: {o.project.title}",
                body=f"Obligation {o.number} was due on {o.due_on:%-d %B %Y} and is not met:\n{o.text}",
                url=_obligations_url(o.project_id) + f"#obligation-{o.pk}",
                project=o.project,
            )
            done += 1
    return done


def _remind_obligations(today: date) -> int:
    done = 0
    soon = today + timedelta(days=settings.PRIAM_OBLIGATION_REMINDER_DAYS)
    due = Obligation.objects.filter(
        status__in=(Obligation.Status.OPEN, Obligation.Status.EVIDENCE_SUBMITTED),
        due_on__gte=today,
        due_on__lte=soon,
        reminded_on__isnull=True,
        approval__status=Approval.Status.ACTIVE,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            o = (
                Obligation.objects.select_for_update(of=("self",), no_key=True)
                .select_related("project")
                .filter(pk=pk, reminded_on__isnull=True)
                .first()
            )
            if o is None:
                continue
            o.reminded_on = today
            o.save(update_fields=["reminded_on"])
            audit_record(
                action=AuditAction.OBLIGATION_REMINDED,
                obj=o,
                project_id=o.project_id,
                data={"number": o.number, "due_on": o.due_on.isoformat() if o.due_on else None},
            )
            waiting = o.status == Obligation.Status.EVIDENCE_SUBMITTED
            notify(
                recipients=obligation_people(o, checkers=True) if waiting else obligation_people(o, owners=True),
                kind="obligation_due",
                subject=f"Obligation due {o.due_on:%-d %B}: {o.project.title}",
                body=(
                    f"Obligation {o.number} is due on {o.due_on:%-d %B %Y}"
                    + (" and its evidence waits for your check" if waiting else "")
                    + f":\n{o.text}"
                ),
                url=_obligations_url(o.project_id) + f"#obligation-{o.pk}",
                project=o.project,
            )
            done += 1
    return done


def _remind_approvals(today: date) -> int:
    done = 0
    days = sorted(settings.PRIAM_EXPIRY_REMINDER_DAYS)
    horizon = today + timedelta(days=max(days))
    for pk in list(
        Approval.objects.filter(
            status=Approval.Status.ACTIVE, expires_on__gte=today, expires_on__lte=horizon
        ).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            a = (
                Approval.objects.select_for_update(of=("self",), no_key=True)
                .select_related("project", "record")
                .get(pk=pk)
            )
            left = (a.expires_on - today).days
            # Every threshold already passed counts as sent; only the nearest is e-mailed, so an
            # approval found late gets one reminder, not two.
            due = [d for d in days if left <= d and d not in a.reminders_sent]
            if a.status != Approval.Status.ACTIVE or not due:
                continue
            a.reminders_sent = sorted({*a.reminders_sent, *due}, reverse=True)
            a.save(update_fields=["reminders_sent"])
            audit_record(
                action=AuditAction.APPROVAL_REMINDED,
                obj=a,
                project=a.project,
                data={"record": a.record.number, "expires_on": a.expires_on.isoformat(), "days_left": left},
            )
            notify(
                recipients=project_people(a.project),
                kind="approval_expiring",
                subject=f"Approval expires in {left} day{'s' if left != 1 else ''}: {a.project.title}",
                body=(
                    f"The approval of “{a.project.title}” ({a.record.number}) ends on {a.expires_on:%-d %B %Y}. "
                    "To go on after that, its coordinator renews it: a renewal is an amendment, assessed and "
                    "signed off again."
                ),
                url=reverse("project_detail", args=[a.project_id]),
                project=a.project,
                mandatory=True,
            )
            done += 1
    return done


def _expire(today: date) -> int:
    done = 0
    for pk in list(
        Approval.objects.filter(status=Approval.Status.ACTIVE, expires_on__lt=today).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            project_id = Approval.objects.values_list("project_id", flat=True).get(pk=pk)
            project = Project.objects.select_for_update(no_key=True).get(pk=project_id)
            a = Approval.objects.select_related("record").get(pk=pk)
            if a.status != Approval.Status.ACTIVE:
                continue
            a.status, a.ended_at = Approval.Status.EXPIRED, timezone.now()
            a.save(update_fields=["status", "ended_at"])
            # A decided project is now expired; one being amended carries on, its approval gone.
            if project.status == Project.Status.DECIDED:
                project.status = Project.Status.EXPIRED
                project.save(update_fields=["status", "updated_at"])
            audit_record(
                action=AuditAction.APPROVAL_EXPIRED,
                obj=a,
                project=project,
                data={
                    "record": a.record.number,
                    "expires_on": a.expires_on.isoformat(),
                    "project_status": project.status,
                    "obligations_open": a.obligations.filter(status__in=OPEN_STATUSES).count(),
                },
            )
            notify(
                recipients=project_people(project),
                kind="approval_expired",
                subject=f"Approval expired: {project.title}",
                body=(
                    f"The approval of “{project.title}” ({a.record.number}) ended on {a.expires_on:%-d %B %Y}. "
                    "Access to the data should stop now. Its coordinator can renew it."
                ),
                url=reverse("project_detail", args=[project.pk]),
                project=project,
                mandatory=True,
            )
            done += 1
    return done


@shared_task(name="assessments.tasks.scheduled_after_approval_task")
@once_per_beat_slot
def scheduled_after_approval_task():
    return str(after_approval_run())


def _digest_cutoff(today: date | None) -> datetime:
    now = timezone.localtime()
    day = today or now.date()
    cutoff = timezone.make_aware(datetime.combine(day, time(settings.PRIAM_DIGEST_HOUR)))
    if today is None and cutoff > now:
        cutoff -= timedelta(days=1)
    return cutoff


def scheduled_run(*, today: date | None = None) -> list[str]:
    """Everything scheduled, once, as the cron-able command runs it; a line per step."""
    from .audit import audit_verify
    from .audit_checks import audit_chain_check_save

    lines = [str(after_approval_run(today=today)).capitalize() + "."]
    # Tasks a broker outage left in the outbox (beat relays them every minute when it runs).
    relayed = outbox_relay()
    if relayed.sent or relayed.pending:
        lines.append(str(relayed).capitalize() + ".")
    # The digest is daily however often this runs: it takes what arrived up to the latest digest
    # hour, so hourly runs send each person one e-mail a day.
    lines.append(f"{notifications_digest_send(now=_digest_cutoff(today))} daily digest e-mail(s) sent.")
    report = audit_verify()
    last = AuditChainCheck.objects.order_by("-checked_at", "-pk").first()
    # A check of the same head with the same outcome is already on record: storing it again
    # would be a change a second run makes.
    if last is None or (last.head_sequence, last.head_hash, last.intact) != (
        report.head_sequence,
        report.head_hash,
        report.ok,
    ):
        audit_chain_check_save(report=report)
    lines.append(
        f"Audit chain intact: {report.count} events." if report.ok else f"Audit chain BROKEN: {report.problem}."
    )
    return lines
