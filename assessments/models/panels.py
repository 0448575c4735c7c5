from django.core.validators import MinValueValidator
from django.db import models

from .. import limits
from .accounts import User


class Panel(models.Model):
    """A named approval panel. Members vote; the chair records the decision."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, max_length=limits.NOTE)
    quorum = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Votes needed to decide. Blank: a majority of the non-conflicted members.",
    )
    members = models.ManyToManyField(User, through="PanelMembership", related_name="panels")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PanelMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        CHAIR = "chair", "Chair"
        # Decides in the chair's place when the chair has declared a conflict of interest.
        DEPUTY = "deputy", "Deputy chair"

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="panel_seats")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["panel", "user"], name="one_seat_per_panel"),
            models.UniqueConstraint(fields=["panel"], condition=models.Q(role="chair"), name="one_chair_per_panel"),
            models.UniqueConstraint(
                fields=["panel"], condition=models.Q(role="deputy"), name="one_deputy_chair_per_panel"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} of {self.panel}"


class PanelReview(models.Model):
    """One sending of one project revision to a panel, until the chair decides."""

    class Status(models.TextChoices):
        OPEN = "open", "Under review"
        DECIDED = "decided", "Decided"
        REFERRED_BACK = "referred_back", "Referred back to the custodians"

    project = models.ForeignKey("assessments.Project", on_delete=models.PROTECT, related_name="reviews")
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="reviews")
    evaluation = models.ForeignKey("assessments.Evaluation", on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(
        blank=True, max_length=limits.NOTE, help_text="The coordinator's covering note to the panel."
    )

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(status="open"), name="one_open_review_per_project"
            )
        ]

    def __str__(self):
        return f"{self.project} at {self.panel} (revision {self.revision})"


class ConflictDeclaration(models.Model):
    review = models.ForeignKey(PanelReview, on_delete=models.CASCADE, related_name="declarations")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    conflicted = models.BooleanField()
    details = models.TextField(blank=True, max_length=limits.NOTE)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "member"], name="one_declaration_each")]


class Vote(models.Model):
    class Choice(models.TextChoices):
        APPROVE = "approve", "Approve"
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
        REJECT = "reject", "Reject"
        REFER_BACK = "refer_back", "Refer back to the custodians"

    review = models.ForeignKey(PanelReview, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=30, choices=Choice.choices)
    rationale = models.TextField(max_length=limits.LONG_TEXT)
    cast_at = models.DateTimeField()

    class Meta:
        ordering = ["cast_at"]
        constraints = [models.UniqueConstraint(fields=["review", "member"], name="one_vote_each")]


class Decision(models.Model):
    """What the chair records. Outcomes are the vote choices."""

    review = models.OneToOneField(PanelReview, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=30, choices=Vote.Choice.choices)
    conditions = models.JSONField(default=list, help_text='[{"text": ..., "rule": ..., "blocking": ...}]')
    rationale = models.TextField(max_length=limits.LONG_TEXT)
    dissent = models.TextField(blank=True, max_length=limits.LONG_TEXT)
    questions = models.TextField(
        blank=True, max_length=limits.LONG_TEXT, help_text="For a referral: the panel's questions to the custodians."
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A decision is final; a later decision supersedes it.")
        super().save(*args, **kwargs)


class ReferralQuestion(models.Model):
    """One of the panel's questions when it refers a project back; replies answer it."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="referral_questions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=limits.LONG_TEXT)

    class Meta:
        ordering = ["decision", "number"]
        constraints = [models.UniqueConstraint(fields=["decision", "number"], name="one_question_number")]

    def __str__(self):
        return f"Question {self.number}: {self.text}"


class ReferralReply(models.Model):
    """A reply by the coordinator or a custodian to a referral question. Never edited: add another."""

    question = models.ForeignKey(ReferralQuestion, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # The custodian organisation the author replied for; empty for the coordinator.
    organisation = models.ForeignKey(
        "assessments.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(max_length=limits.LONG_TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A reply is never edited; add another.")
        super().save(*args, **kwargs)
