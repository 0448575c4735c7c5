"""What PRIAM's printed documents (the decision record, the risk profile PDF) show besides their
content: the instance's letterhead, times in words, and the address where a reader checks a record.

Printed documents outlive the instance's pages and are read by people who never sign in, so
they state everything in full: the time zone of every time, the absolute address of /verify/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone


def time_in_words(value: object) -> object:
    """An aware datetime, or the ISO 8601 text of one, as "30 November 2026 at 07:32 GMT" in the
    instance's time zone; an ISO date as "1 January 2026". Anything else is returned unchanged."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        local = timezone.localtime(value)
        return f"{formats.date_format(local, 'j F Y')} at {local:%H:%M} {_zone_name(local)}"
    if isinstance(value, date):
        return formats.date_format(value, "j F Y")
    return value


def _zone_name(moment: datetime) -> str:
    # Zones without an abbreviation report their offset ("+04"): say whose offset it is.
    name = moment.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


@dataclass(frozen=True)
class Letterhead:
    name: str
    logo: str  # a static path, fetched by the PDF renderer like any static file


def letterhead() -> Letterhead:
    return Letterhead(name=settings.PRIAM_INSTANCE_NAME, logo=settings.PRIAM_INSTANCE_LOGO)


def framework_name(framework, info: dict) -> str:
    """ "Five Safes risk tiers (PRIAM), version 1": the framework as a reader knows it."""
    title = getattr(framework, "title", "") or info.get("id", "")
    return f"{title}, version {info.get('version', '')}"


def public_url(path: str) -> str:
    """`path` on this instance, as its users reach it (settings.PRIAM_PUBLIC_URL)."""
    return settings.PRIAM_PUBLIC_URL.rstrip("/") + path


def verification_url() -> str:
    """The absolute address of the public verification page, as printed on every record."""
    return public_url(reverse("verify"))


def qr_png_data_uri(text: str) -> str:
    """A QR code of `text` as a PNG data: URL, one pixel per module with the standard quiet zone.

    A bitmap rather than vector paths, so the PDF holds the code's exact modules (a test reads
    them back); the stylesheet scales it up without smoothing."""
    return str(segno.make(text, error="m", micro=False).png_data_uri(scale=1, border=4))


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs this instance's records, as the signature panel of a PDF reader names them."""

    signer: str  # "Common Name (Organisation)", as /verify/ says it
    issuer: str
    fingerprint: str  # SHA-256 of the certificate, in pairs of hex digits


def signing_identity() -> SigningIdentity:
    """The configured signing certificate's subject and fingerprint (raises SigningNotConfigured)."""
    from .pdf.signing import signing_material

    cert = signing_material().signer.signing_cert
    return SigningIdentity(signer=_name(cert.subject), issuer=_name(cert.issuer), fingerprint=cert.sha256_fingerprint)


def _name(name) -> str:
    fields = name.native
    common, organisation = fields.get("common_name", ""), fields.get("organization_name", "")
    if not common:
        return name.human_friendly
    return f"{common} ({organisation})" if organisation else common
