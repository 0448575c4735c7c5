"""How people read names and times, for templates, the record PDF and messages built in code.

Times are shown in settings.TIME_ZONE in the one format of priam/formats ("30 Nov 2026,
00:11"); exports and the API keep ISO 8601. Record snapshots store ISO strings, so the
PDF and the record page parse them back here.
"""

from datetime import date, datetime

from django.utils import formats, timezone


def possessive(name):
    """ "Dr Nair" → "Dr Nair's"; "North Thames GP Records" → "North Thames GP Records'"."""
    name = str(name or "")
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def readable_time(value):
    """An aware datetime, or an ISO 8601 string of one, as local "1 Jul 2026, 13:00";
    an ISO date as "1 Jul 2026". Anything else is returned unchanged."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return value
