"""The glossary: plain definitions of the terms the pages use, from the default framework's
latest guide. Anyone may read it, signed in or not: the public sees the same words."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..errors import FrameworkNotFound
from ..selectors.frameworks import engine_guide, framework_default, framework_guide


def _letter(term):
    first = term.term[:1].upper()
    return first if first.isalpha() else "#"


@require_GET
def glossary(request):
    try:
        version = framework_default()
    except FrameworkNotFound:  # nothing loaded yet: an empty page, not an error
        version = None
    stored = framework_guide(version) if version is not None else None
    guide = engine_guide(version, stored) if stored is not None else None
    groups = []
    for term in guide.glossary_sorted() if guide is not None else []:
        entry = {
            "id": term.id,
            "term": term.term,
            "definition": term.definition,
            "aka": term.aka,
            "source": term.source,
            "see_also": [guide.terms[other] for other in term.see_also],
        }
        letter = _letter(term)
        if not groups or groups[-1]["letter"] != letter:
            groups.append({"letter": letter, "terms": []})
        groups[-1]["terms"].append(entry)
    return render(request, "glossary.html", {"version": version, "stored": stored, "groups": groups})
