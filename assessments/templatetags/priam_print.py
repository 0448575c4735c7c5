"""Filters for printed documents (decision records and risk profile PDFs)."""

from django import template

from ..printed import time_in_words

register = template.Library()
# "30 November 2026 at 07:32 GMT": a printed page names its time zone, as it may be read anywhere.
register.filter("in_words", time_in_words)
