"""The note on a project page saying which received assessment it started from."""

from django import template
from django.utils.html import format_html

from ..selectors.received import received_origin

register = template.Library()


@register.simple_tag
def received_origin_note(project):
    origin = received_origin(project)
    if not origin:
        return ""
    return format_html(
        '<p class="alert alert-secondary" data-received-origin>Started from the assessment received from {} ({}).</p>',
        origin["peer"],
        origin["record_number"],
    )
