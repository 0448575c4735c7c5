# The one format people read times and dates in, on pages, the record PDF and /verify/:
# "30 Nov 2026, 00:11", in settings.TIME_ZONE. `{{ value }}` and `|date` without an
# argument use these. Exports and the API keep ISO 8601. Input formats are Django's own.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
