"""PRIAM template tags: the Five Safes chart and small display filters."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import display
from ..charts import DEFAULT_TIER_NAMES, five_safes_svg

register = template.Library()
register.filter("possessive", display.possessive)
# For times stored as ISO text (record snapshots); real datetimes need no filter.
register.filter("when", display.readable_time)


@register.filter
def route_label(route):
    """A custodian's route in words, as its sign-off names it."""
    from ..models import SignOff

    return dict(SignOff.Route.choices).get(route, route)


OUTCOME_LABELS = {
    "approve": "Approve",
    "approve_with_conditions": "Approve with conditions",
    "refer": "Refer to the panel",
    "not_approvable": "Not approvable as proposed",
}


def _tier_names(framework):
    tiers = getattr(framework, "tiers", None)
    return [t["name"] for t in tiers] if tiers else list(DEFAULT_TIER_NAMES)


@register.simple_tag
def five_safes_chart(result, framework, title=None, id_prefix=None):
    """The evaluation's tiers as an accessible inline SVG, with one marker per custodian."""
    labels = {safe: framework.safe_labels[safe] for safe in framework.safes}
    per_custodian = [(c["name"], c["tiers"]) for c in result.get("custodians", [])]
    if title is None:
        title = f"Five Safes tiers: overall {result['overall']} ({result.get('overall_name', '')})"
    return mark_safe(
        five_safes_svg(
            result["tiers"],
            labels=labels,
            per_custodian=per_custodian or None,
            title=title,
            tier_names=_tier_names(framework),
            safes=framework.safes,
            id_prefix=id_prefix,
        )
    )


@register.filter
def tier_name(tier, framework=None):
    """3 → "High" (from the framework's scale when given)."""
    names = _tier_names(framework)
    try:
        return names[int(tier)]
    except (TypeError, ValueError, IndexError):
        return ""


@register.filter
def tier_badge(tier, framework=None):
    """A badge that states the tier in words as well as colour: "3 High"."""
    try:
        level = int(tier)
    except (TypeError, ValueError):
        return ""
    return format_html('<span class="tier-badge tier-{}">{} {}</span>', level, level, tier_name(level, framework))


@register.filter
def outcome_label(outcome, framework=None):
    """The recommended outcome in words, from the framework's outcomes when given."""
    for entry in getattr(framework, "outcomes", None) or ():
        if entry.get("id") == outcome and entry.get("label"):
            return entry["label"]
    return OUTCOME_LABELS.get(outcome, outcome)


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def isodate(value):
    """A snapshot's "2027-01-31" (a date) or "2027-01-31T09:30:00+00:00" (a moment) for the date
    filter; the text itself when it is neither."""
    import datetime

    for parse in (datetime.date.fromisoformat, datetime.datetime.fromisoformat):
        try:
            return parse(value)
        except (TypeError, ValueError):
            continue
    return value
