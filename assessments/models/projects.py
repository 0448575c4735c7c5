"""Research projects, the custodians' assessments of them, and their evaluations."""

from django.conf import settings
from django.db import models

from .. import limits
from .accounts import Organisation
from .frameworks import FrameworkVersion


class Project(models.Model):
    class Status(models.TextChoices):
        ASSESSING = "assessing", "Being assessed"
        ASSESSED = "assessed", "Assessed: risk profile ready"
        WITH_PANEL = "with_panel", "With the approval panel"
        REFERRED = "referred", "Referred back with questions"
        DECIDED = "decided", "Decided"
        # The approval ran out: access should stop until a renewal is approved.
        EXPIRED = "expired", "Approval expired"

    # What a custodian's confirmation covers, besides the project-scope answers.
    DETAIL_FIELDS = (
        "title",
        "summary",
        "lead_researcher",
        "lead_organisation",
        "purpose",
        "public_benefit",
        "start_date",
        "end_date",
    )

    title = models.CharField(max_length=limits.NAME)
    summary = models.TextField(max_length=limits.LONG_TEXT)
    lead_researcher = models.CharField(max_length=200)
    lead_organisation = models.CharField(
        max_length=200, help_text="The lead researcher's employer; need not be a PRIAM organisation."
    )
    purpose = models.TextField(max_length=limits.LONG_TEXT)
    public_benefit = models.TextField("Public-benefit statement", max_length=limits.LONG_TEXT)
    start_date = models.DateField("Planned start")
    end_date = models.DateField("Planned end")
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coordinated_projects"
    )
    coordinating_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="coordinated_projects"
    )
    custodians = models.ManyToManyField(Organisation, through="CustodianAssessment", related_name="projects")
    # The project keeps the framework version it started with until someone
    # explicitly applies a newer one.
    framework_version = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSESSING)
    revision = models.PositiveIntegerField(default=1)
    # Project-scope answers, keyed by question id, as in the exchange format.
    answers = models.JSONField(default=dict, blank=True)
    # Bumped whenever a project-scope answer or a detail changes: the confirmation
    # form carries it, so a custodian confirms only what was on their screen.
    answers_version = models.PositiveIntegerField(default=0)
    # Why the coordinator asked to amend the decided project: custodians and the panel read it.
    amendment_reason = models.TextField(blank=True, max_length=limits.NOTE)
    # Per section: {"people": {"version": 3, "saved_by": "cara", "saved_at": "..."}}.
    sections = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_locked(self):
        """With the panel, or decided: nothing changes (a decided project only through an amendment)."""
        return self.status in (self.Status.WITH_PANEL, self.Status.DECIDED, self.Status.EXPIRED)

    def confirmation_content(self):
        """What a custodian confirms: the project-wide answers and details, under this framework version.

        Another custodian's own answers are not part of it, so they never lapse a confirmation.
        """
        return {
            "framework_version": self.framework_version_id,
            "answers": dict(self.answers),
            "details": {field: str(getattr(self, field)) for field in self.DETAIL_FIELDS},
        }


class CustodianAssessment(models.Model):
    """One custodian organisation's part of a project: its own answers and its confirmation."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assessments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    answers = models.JSONField(default=dict, blank=True)
    sections = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The project.answers_version this custodian confirmed (what was on their screen).
    confirmed_version = models.PositiveIntegerField(null=True, blank=True)
    # What they confirmed: {"project": project.confirmation_content(), "custodians": {name: answers}}.
    # The confirmation stands while the project part is unchanged; the rest shows a custodian
    # what changed in other custodians' answers since, without lapsing anything.
    confirmed_snapshot = models.JSONField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [models.UniqueConstraint(fields=["project", "organisation"], name="one_assessment_per_custodian")]

    def __str__(self):
        return f"{self.organisation} for {self.project}"

    @property
    def is_submitted(self):
        return self.status == self.Status.SUBMITTED

    @property
    def is_confirmed(self):
        return bool(self.confirmed_snapshot) and (
            self.confirmed_snapshot.get("project") == self.project.confirmation_content()
        )

    @property
    def confirmation_lapsed(self):
        return bool(self.confirmed_snapshot) and not self.is_confirmed


class Outcome(models.TextChoices):
    """The engine's recommended outcomes (spec section 4); the panel decides."""

    NOT_APPROVABLE = "not_approvable", "Not approvable as proposed"
    REFER = "refer", "Refer to the panel"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
    APPROVE = "approve", "Approve"


class Evaluation(models.Model):
    """The engine's result for one revision of a project. Never changed; later revisions add rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluations")
    revision = models.PositiveIntegerField()
    framework_version = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    document = models.JSONField(help_text="The project assessment document that was evaluated.")
    result = models.JSONField()
    answers_sha256 = models.CharField(max_length=64)
    overall = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=40, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revision"]
        constraints = [models.UniqueConstraint(fields=["project", "revision"], name="one_evaluation_per_revision")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("An evaluation is a record: it cannot be changed.")
        super().save(*args, **kwargs)
