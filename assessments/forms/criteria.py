"""Forms for a custodian's criteria (rules as YAML) and risk appetite (a route per overall tier)."""

from django import forms

from .. import limits
from ..engine import ROUTES

CRITERIA_EXAMPLE = """- id: GP-01
  phase: 1
  when: {ge: [DA8, 1000000]}
  effects: [{raise: data, to: 4}]
  justification: Records of a million or more patients are very high risk for us
  sources: [{id: GP-DAP-3, title: "Data access policy, section 3", url: "https://example.org/policy"}]"""

# In the custodian's own voice, least scrutiny first (the engine's order).
ROUTE_LABELS = {
    "automatic": "Approved automatically",
    "custodian_review": "Our approver reviews",
    "panel": "The approval panel",
    "decline": "We decline",
}
assert tuple(ROUTE_LABELS) == ROUTES
NO_LIMIT = ""


class CriteriaDraftForm(forms.Form):
    framework_version = forms.ModelChoiceField(
        queryset=None,
        label="Framework version the rules apply to",
        empty_label=None,
        help_text="Projects assessed under another framework version do not use these criteria, and say so.",
    )
    text = forms.CharField(
        label="Rules (YAML)",
        required=False,
        # Kept exactly as typed: the author's own layout and comments are what they meet again.
        strip=False,
        max_length=limits.DOCUMENT,
        error_messages={"max_length": limits.too_long("The rules", limits.DOCUMENT, "%(show_value)d")},
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "false"}),
        help_text=(
            "A YAML list of rules, each with id, phase (1: this custodian's own data, 3: the whole project), "
            "when, effects (raise a safe's tier, a gap, refer or block: never anything less strict), "
            "justification and sources. An example rule follows the box."
        ),
    )
    note = limits.text_field(
        "Note (optional)",
        limits.NOTE,
        noun="The note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed, in your words. Published with the version.",
    )

    def __init__(self, *args, framework_versions, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["framework_version"]
        field.queryset = framework_versions
        field.label_from_instance = lambda version: version.spec


class AppetiteForm(forms.Form):
    """One route per overall tier and an optional limit per safe, read from the framework."""

    def __init__(self, *args, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework = framework
        routes = list(ROUTE_LABELS.items())
        for tier in framework.tiers:
            level = tier["level"]
            self.fields[tier_field(level)] = forms.ChoiceField(
                label=f"Tier {level} ({tier['name']})", choices=routes, initial="panel"
            )
        limit_choices = [(NO_LIMIT, "No limit")] + [
            (str(t["level"]), f"Up to tier {t['level']} ({t['name']})") for t in framework.tiers
        ]
        for safe in framework.safes:
            self.fields[limit_field(safe)] = forms.ChoiceField(
                label=framework.safe_labels[safe],
                choices=limit_choices,
                required=False,
                help_text=f"We decline any project whose {framework.safe_labels[safe].lower()} tier is above this.",
            )
        self.fields["note"] = limits.text_field(
            "Note (optional)",
            limits.NOTE,
            noun="The note",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="What changed, in your words. Published with the version.",
        )

    def tier_fields(self):
        return [self[tier_field(t["level"])] for t in self.framework.tiers]

    def limit_fields(self):
        return [self[limit_field(s)] for s in self.framework.safes]

    def appetite(self):
        """The appetite in the spec's format, from the cleaned choices."""
        per_tier = [self.cleaned_data[tier_field(t["level"])] for t in self.framework.tiers]
        limits_by_safe = {
            safe: int(self.cleaned_data[limit_field(safe)])
            for safe in self.framework.safes
            if self.cleaned_data.get(limit_field(safe), NO_LIMIT) != NO_LIMIT
        }
        return appetite_from_choices(per_tier, limits_by_safe)


def tier_field(level):
    return f"tier_{level}"


def limit_field(safe):
    return f"limit_{safe}"


def appetite_from_choices(per_tier, safe_limits):
    """`per_tier[n]` is tier n's route. Consecutive tiers with one route make one band; the last
    band is `otherwise`, so an appetite reads the same whichever way it was entered."""
    bands = []  # [highest tier, route]
    for level, route in enumerate(per_tier):
        if bands and bands[-1][1] == route:
            bands[-1][0] = level
        else:
            bands.append([level, route])
    data = {
        "routes": [{"up_to": up_to, "route": route} for up_to, route in bands[:-1]],
        "otherwise": bands[-1][1],
    }
    if safe_limits:
        data["safe_limits"] = dict(safe_limits)
    return data


def choices_from_appetite(data, framework):
    """The form's initial values for an appetite in the spec's format (the inverse of the above)."""
    initial = {}
    for tier in framework.tiers:
        level = tier["level"]
        entry = next((e for e in data.get("routes", []) if e["up_to"] >= level), None)
        initial[tier_field(level)] = entry["route"] if entry else data.get("otherwise", "panel")
    for safe, limit in (data.get("safe_limits") or {}).items():
        initial[limit_field(safe)] = str(limit)
    return initial


def tier_bands(data, framework):
    """{route entry index or "otherwise": (lowest tier, highest tier)}: where an engine problem
    about a route entry falls in the form."""
    bands, low = {}, 0
    for index, entry in enumerate(data.get("routes", [])):
        bands[index] = (low, entry["up_to"])
        low = entry["up_to"] + 1
    bands["otherwise"] = (low, framework.max_tier)
    return bands
