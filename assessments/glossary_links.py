"""Help texts with their glossary terms linked to the glossary page (issue 14)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .engine import Guide


def link_terms(text: str, guide: Guide | None, glossary_url: str) -> SafeString:
    """`text`, escaped, with the first mention of each glossary term linked to its entry."""
    escaped = escape(text)
    if guide is None or not guide.glossary:
        return mark_safe(escaped)
    pattern, ids = _pattern(guide)
    linked: set[str] = set()

    def link(match: re.Match[str]) -> str:
        term_id = ids[match.group(1).casefold()]
        if term_id in linked:
            return match.group(0)
        linked.add(term_id)
        return f'<a href="{glossary_url}#term-{term_id}">{match.group(0)}</a>'

    # Safe: the text was escaped first, and links are made only of term ids and that text.
    return mark_safe(pattern.sub(link, escaped))


@lru_cache(maxsize=8)
def _pattern(guide: Guide) -> tuple[re.Pattern[str], dict[str, str]]:
    ids: dict[str, str] = {}  # a term's name as it appears in escaped text, casefolded → its id
    for term in guide.glossary:
        # "Trusted research environment (TRE)" is mentioned as either part, never as a whole.
        for name in (re.sub(r"\s*\(.*\)$", "", term.term), *term.aka):
            key = str(escape(name)).casefold()
            if len(name) >= 3 and not term.id.startswith("tier") and key not in ids:
                ids[key] = term.id
    names = sorted(ids, key=len, reverse=True)  # the longest first: "record-level data" before "data"
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"\b({alternatives})(?:s)?\b", re.IGNORECASE), ids
