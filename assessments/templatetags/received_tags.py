"""The note on a project page saying which received assessment it started from."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from .. import permissions
from ..selectors.received import received_origin

register = template.Library()


@register.simple_tag(takes_context=True)
def received_origin_note(context, project):
    origin = received_origin(project)
    if not origin:
        return ""
    source = format_html("{} ({})", origin["peer"], origin["record_number"])
    user = context.get("user")
    if user is not None and permissions.can_read_received(user):
        # Those who may read the received assessment go straight to it; custodians see only where it came from.
        source = format_html(
            '<a href="{}">{}</a>', reverse("received_detail", args=[origin["received_assessment"]]), source
        )
    return format_html(
        '<p class="alert alert-secondary" data-received-origin>Started from the assessment received from {}.</p>',
        source,
    )
