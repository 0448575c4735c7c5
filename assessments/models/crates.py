"""Assessments received from other PRIAM instances as Five Safes RO-Crates, and the peers trusted to send them."""

from django.conf import settings
from django.db import models


class TrustedPeer(models.Model):
    """Another PRIAM whose signed decision records this instance accepts. Administrators manage
    them in the admin (audited); a crate is accepted only when its PDF's signer is, or is issued
    by, the certificate of an active peer."""

    name = models.CharField(max_length=200, unique=True)
    base_url = models.URLField(max_length=500)
    certificate_pem = models.TextField(
        help_text="The peer's signing certificate or the CA certificate that issues it (PEM)."
    )
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ReceivedAssessment(models.Model):
    """A decision record of a trusted peer, as received in a verified crate. Never changed: it
    is what the peer signed, kept as evidence of where a local assessment started from."""

    peer = models.ForeignKey(TrustedPeer, on_delete=models.PROTECT, related_name="received")
    record_number = models.CharField(max_length=40)
    issued_at = models.CharField(max_length=40, blank=True)  # as the peer's snapshot says it
    crate_sha256 = models.CharField(max_length=64)
    snapshot_sha256 = models.CharField(max_length=64)
    snapshot = models.JSONField()
    document = models.JSONField()
    result = models.JSONField()
    pdf = models.BinaryField()
    signer = models.CharField(max_length=300)
    # [{"path", "sha512", "size"}] of the evidence files the crate carried (their bytes are not kept).
    evidence = models.JSONField(default=list)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "record_number"], name="received_once_per_peer_record"),
        ]

    def __str__(self):
        return f"{self.record_number} from {self.peer}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("A received assessment is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A received assessment is never deleted.")
