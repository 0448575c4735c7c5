from django.contrib.auth.models import AbstractUser
from django.db import models


class Organisation(models.Model):
    """A data custodian or applicant body: an NHS trust, a TRE, a national data service."""

    class Kind(models.TextChoices):
        NHS_TRUST = "nhs_trust", "NHS trust"
        TRE = "tre", "Trusted Research Environment"
        NATIONAL_DATA_SERVICE = "national_data_service", "National data service"
        UNIVERSITY = "university", "University"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=40, choices=Kind.choices, default=Kind.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A PRIAM user. Roles are relations (memberships, panel seats) plus two flags.

    Administrators are superusers; auditors read everything and change nothing.
    """

    is_auditor = models.BooleanField(
        default=False, help_text="Auditors read every project and the audit trail, read-only."
    )
    organisations = models.ManyToManyField(Organisation, through="Membership", related_name="members", blank=True)

    class EmailChoice(models.TextChoices):
        IMMEDIATE = "immediate", "E-mail each notification as it happens"
        DIGEST = "digest", "One e-mail a day with everything new"

    # Mandatory notifications (a decision, an expiry, a lapsed confirmation) are e-mailed at once anyway.
    email_notifications = models.CharField(max_length=10, choices=EmailChoice.choices, default=EmailChoice.IMMEDIATE)

    @property
    def is_administrator(self):
        return self.is_superuser

    @property
    def display_name(self):
        return self.get_full_name() or self.username


class Membership(models.Model):
    class Role(models.TextChoices):
        CUSTODIAN = "custodian", "Custodian"
        # A coordinator is a custodian who may also open projects.
        COORDINATOR = "coordinator", "Coordinator"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTODIAN)
    # Two duties an organisation gives some of its people, on top of their role.
    manages_criteria = models.BooleanField(
        default=False, help_text="Writes and publishes the organisation's criteria and risk appetite."
    )
    approves = models.BooleanField(
        default=False, help_text="Signs off, for the organisation, the projects its appetite routes to its own review."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")]
        ordering = ["organisation__name"]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"
