"""How a comment reads on a page: its text escaped, line breaks kept, mentions marked."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..selectors.comments import MENTION

register = template.Library()


@register.filter
def comment_html(comment):
    """The comment's text as HTML. A mention of someone who was notified is in bold (not colour
    alone), so it stands out whatever the colours; other @names stay plain text."""
    text = comment.text.replace("\r\n", "\n").replace("\r", "\n")
    notified = {user.username for user in comment.mentions.all()}
    parts, position = [], 0
    for match in MENTION.finditer(text):
        parts.append(escape(text[position : match.start()]))
        if match.group(1) in notified:
            parts.append(f'<strong class="mention">@{escape(match.group(1))}</strong>')
        else:
            parts.append(escape(match.group(0)))
        position = match.end()
    parts.append(escape(text[position:]))
    # Safe: every part was escaped above.
    return mark_safe("".join(parts).replace("\n", "<br>"))
