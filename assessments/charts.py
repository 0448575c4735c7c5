"""Server-rendered charts: plain, self-contained SVG 1.1 (no fonts, CSS or scripts).

The SVG is used both in HTML pages (under a CSP that forbids inline styles, so
only presentation attributes are used) and inside WeasyPrint PDFs, so it keeps
explicit width/height/viewBox and uses a generic font family.

Accessibility: role="img" with a <title> and a <desc> that states every tier in
words; every bar carries its value as text, so colour never carries the tier
alone. Colours meet WCAG 2.2 AA on white: bars and markers ≥ 3:1, text ≥ 4.5:1.
"""

import hashlib
import re
from xml.sax.saxutils import escape as _xml_escape

DEFAULT_TIER_NAMES = ("Open", "Low", "Moderate", "High", "Very high")
DEFAULT_SAFES = ("people", "projects", "settings", "data", "outputs")

# Bar fills by tier, each ≥ 4.5:1 against white (so value labels beside them
# and the bars themselves are well above the 3:1 needed for graphics).
TIER_FILLS = ("#5c6670", "#1e6b34", "#8a5300", "#b02a1f", "#6d1549")
TEXT = "#1b1f23"  # 16:1 on white
MUTED_TEXT = "#4a5259"  # 8:1 on white
GRID = "#767676"  # 4.5:1 on white
AXIS = "#1b1f23"
MARKER_FILL = "#1d3557"  # the PRIAM navy, 12:1 on white; white digits on it 12:1
BACKGROUND = "#ffffff"
FONT = "sans-serif"

# Characters XML 1.0 does not allow at all.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Geometry (user units = CSS px).
WIDTH = 660
LABEL_W = 120  # safe names, right-aligned before the plot
PLOT_X0 = 130
UNIT = 100  # one tier
BAR_H = 22
MARKER_R = 7
MARKER_STEP = 16
LEGEND_LINE = 16
MAX_LEGEND_CHARS = 70


def _text(value):
    """Escape for XML text and attribute values (quotes too)."""
    value = _INVALID_XML.sub("", str(value))
    return _xml_escape(value, {'"': "&quot;", "'": "&apos;"})


def _shorten(value, limit):
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _num(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def _tier_phrase(tier, tier_names):
    name = tier_names[tier] if 0 <= tier < len(tier_names) else "?"
    return f"{tier} ({name})"


def _describe(tiers, safes, labels, tier_names, per_custodian):
    parts = [f"{labels.get(s, s)} {_tier_phrase(tiers.get(s, 0), tier_names)}" for s in safes]
    overall = max((tiers.get(s, 0) for s in safes), default=0)
    text = f"Tiers on a scale of 0 to {len(tier_names) - 1}: " + ", ".join(parts) + "."
    text += f" Overall {_tier_phrase(overall, tier_names)}."
    for number, (name, ctiers) in enumerate(per_custodian or (), start=1):
        cparts = [f"{labels.get(s, s)} {_tier_phrase(ctiers.get(s, 0), tier_names)}" for s in safes]
        text += f" Custodian {number}, {name}: " + ", ".join(cparts) + "."
    return text


def five_safes_svg(tiers, *, labels, per_custodian=None, title, tier_names=None, safes=None, id_prefix=None):
    """A horizontal bar chart of the five safes' tiers as an SVG string.

    `tiers`: {safe: tier}; `labels`: {safe: label}; `per_custodian`: optional
    [(custodian name, {safe: tier})], drawn as numbered markers under each bar
    with a numbered legend; `title`: the accessible name. `tier_names` defaults
    to the spec's scale (Open … Very high); `safes` to the order of `labels`.
    """
    tier_names = tuple(tier_names or DEFAULT_TIER_NAMES)
    max_tier = len(tier_names) - 1
    safes = list(safes or labels or DEFAULT_SAFES)
    per_custodian = list(per_custodian or ())
    plot_x1 = PLOT_X0 + UNIT * max_tier
    width = max(WIDTH, plot_x1 + 130)

    if id_prefix is None:
        digest = hashlib.sha256(repr((title, sorted(tiers.items()), per_custodian)).encode()).hexdigest()
        id_prefix = f"five-safes-{digest[:10]}"
    id_prefix = re.sub(r"[^A-Za-z0-9_-]", "-", str(id_prefix)) or "five-safes"
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"

    row_h = BAR_H + (MARKER_R * 2 + 10 if per_custodian else 0) + 14
    top = 12
    plot_h = row_h * len(safes)
    axis_y = top + plot_h
    legend_top = axis_y + 58
    legend_h = (LEGEND_LINE * (len(per_custodian) + 1) + 6) if per_custodian else 0
    height = legend_top + legend_h

    def clamp(tier):
        try:
            tier = int(tier)
        except (TypeError, ValueError):
            return 0
        return min(max(tier, 0), max_tier)

    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" class="five-safes-chart" '
        f'font-family="{FONT}" font-size="13" fill="{TEXT}">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(_describe({s: clamp(tiers.get(s, 0)) for s in safes}, safes, labels, tier_names, [(n, {s: clamp(t.get(s, 0)) for s in safes}) for n, t in per_custodian]))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{BACKGROUND}"/>',
    ]

    # Gridlines and tick labels (number and tier name) at each tier.
    out.append('<g class="five-safes-axis">')
    for level in range(max_tier + 1):
        x = PLOT_X0 + UNIT * level
        dash = "" if level == 0 else ' stroke-dasharray="3 3"'
        out.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{axis_y}" stroke="{GRID if level else AXIS}" '
            f'stroke-width="1"{dash}/>'
        )
        anchor = "start" if level == 0 else ("end" if level == max_tier and x + 40 > width else "middle")
        out.append(f'<text x="{x}" y="{axis_y + 16}" text-anchor="{anchor}" font-weight="bold">{level}</text>')
        out.append(
            f'<text x="{x}" y="{axis_y + 32}" text-anchor="{anchor}" font-size="12" fill="{MUTED_TEXT}">'
            f"{_text(tier_names[level])}</text>"
        )
    out.append(f'<line x1="{PLOT_X0}" y1="{axis_y}" x2="{plot_x1}" y2="{axis_y}" stroke="{AXIS}" stroke-width="1"/>')
    out.append("</g>")

    for index, safe in enumerate(safes):
        tier = clamp(tiers.get(safe, 0))
        y = top + row_h * index
        bar_w = UNIT * tier
        label = labels.get(safe, safe)
        out.append('<g class="five-safes-row">')
        out.append(
            f'<text x="{PLOT_X0 - 10}" y="{y + BAR_H / 2 + 5:g}" text-anchor="end" font-weight="bold">'
            f"{_text(_shorten(label, 18))}</text>"
        )
        if bar_w:
            out.append(
                f'<rect x="{PLOT_X0}" y="{y}" width="{bar_w}" height="{BAR_H}" '
                f'fill="{TIER_FILLS[min(tier, len(TIER_FILLS) - 1)]}" stroke="{AXIS}" stroke-width="1"/>'
            )
        else:
            # Tier 0: a thin stub so the row still shows a (zero) bar.
            out.append(f'<rect x="{PLOT_X0}" y="{y}" width="3" height="{BAR_H}" fill="{TIER_FILLS[0]}"/>')
        out.append(
            f'<text x="{PLOT_X0 + max(bar_w, 3) + 6}" y="{y + BAR_H / 2 + 5:g}" font-weight="bold">'
            f"{tier} {_text(tier_names[tier])}</text>"
        )
        if per_custodian:
            out.extend(_markers(safe, per_custodian, y + BAR_H + 4 + MARKER_R, clamp, plot_x1))
        out.append("</g>")

    if per_custodian:
        out.append('<g class="five-safes-legend">')
        out.append(
            f'<text x="{PLOT_X0}" y="{legend_top}" font-size="12" fill="{MUTED_TEXT}">'
            "Numbered markers: each custodian's own tier for that safe</text>"
        )
        for number, (name, _) in enumerate(per_custodian, start=1):
            cy = legend_top + LEGEND_LINE * number - 4
            out.append(_marker(PLOT_X0 + MARKER_R, cy, number))
            out.append(
                f'<text x="{PLOT_X0 + MARKER_R * 2 + 8}" y="{cy + 4}" font-size="12">'
                f"{_text(_shorten(name, MAX_LEGEND_CHARS))}</text>"
            )
        out.append("</g>")

    out.append("</svg>")
    return "\n".join(out)


def _marker(cx, cy, number):
    size = 10 if number < 10 else (8 if number < 100 else 6)
    return (
        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{MARKER_R}" fill="{MARKER_FILL}" stroke="{AXIS}" stroke-width="1"/>'
        f'<text x="{_num(cx)}" y="{_num(cy + size / 2 - 1)}" text-anchor="middle" font-size="{size}" '
        f'font-weight="bold" fill="{BACKGROUND}">{number}</text>'
    )


def _markers(safe, per_custodian, cy, clamp, plot_x1):
    """Numbered markers at each custodian's tier; custodians at the same tier sit side by side."""
    by_tier = {}
    for number, (_, ctiers) in enumerate(per_custodian, start=1):
        by_tier.setdefault(clamp(ctiers.get(safe, 0)), []).append(number)
    out = []
    for tier, numbers in sorted(by_tier.items()):
        span = MARKER_STEP * (len(numbers) - 1)
        start = PLOT_X0 + UNIT * tier - span / 2
        start = max(start, PLOT_X0)
        start = min(start, plot_x1 + 60 - span)
        for j, number in enumerate(numbers):
            out.append(_marker(start + MARKER_STEP * j, cy, number))
    return out
