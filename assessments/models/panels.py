from django.db import models

from .accounts import User


class Panel(models.Model):
    """A named approval panel. Members vote; the chair records the decision."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    quorum = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
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

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="panel_seats")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["panel", "user"], name="one_seat_per_panel"),
            models.UniqueConstraint(
                fields=["panel"], condition=models.Q(role="chair"), name="one_chair_per_panel"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} of {self.panel}"
