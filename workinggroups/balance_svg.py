"""The four-leg balance drawn as a picture, rendered on the server (no script, no CDN).

The stool seen from above: one circle per leg at the four corners of the seat. A circle's
size shows the leg's members, its filled part the share of them who came to a recent
convening; the lines between circles show the ties between legs, thicker for more pairs
of people who took part in the same convening. Every number is also written beside the
picture (and in the page's table), and a leg's state is spelled out in words ("Leg
missing", "Thin leg", "Disengaged") and drawn dashed: colour is never the only sign.

The SVG is accessible as one image: role="img", labelled by its <title> and described by
its <desc>, which says the numbers in a sentence.
"""

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workinggroups.balance import Balance, LegBalance, LegTie

WIDTH, HEIGHT = 640, 470
# The four corners of the seat, in the legs' usual order (mayor and council, city staff,
# community organisations, law enforcement).
CORNERS = [(190, 150), (450, 150), (190, 330), (450, 330)]
RADIUS_MAX, RADIUS_MIN = 44, 12
INK = "#1b1f24"
MUTED = "#4a5360"  # 8.3:1 on white
# Dark enough for text and lines on white (each above 7:1); the tints only fill shapes
# whose outline is the dark colour.
LEG_COLOURS = {
    "mayor_council": ("#1d4e89", "#dbe6f4"),
    "city_staff": ("#5b2a86", "#e9def3"),
    "community": ("#1e6b3a", "#dcefe2"),
    "law_enforcement": ("#7a4a00", "#f3e6cf"),
}


def _n(value: float) -> str:
    """A coordinate with at most one decimal, so the markup stays short and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _radius(leg: LegBalance, largest: int) -> float:
    if not leg.members:
        return 20
    # Area, not radius, grows with members: a leg twice the size looks twice as big.
    return max(RADIUS_MIN, RADIUS_MAX * math.sqrt(leg.members / max(largest, 1)))


def _wedge(cx: float, cy: float, r: float, share: float, colour: str) -> str:
    """The filled part of a leg's circle: a pie slice from twelve o'clock, clockwise."""
    if share <= 0:
        return ""
    if share >= 1:
        return f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{colour}"/>'
    angle = 2 * math.pi * share
    x = cx + r * math.sin(angle)
    y = cy - r * math.cos(angle)
    large = 1 if share > 0.5 else 0
    return (
        f'<path d="M{_n(cx)},{_n(cy)} L{_n(cx)},{_n(cy - r)} '
        f'A{_n(r)},{_n(r)} 0 {large},1 {_n(x)},{_n(y)} Z" fill="{colour}"/>'
    )


def leg_lines(leg: LegBalance, convenings: int) -> list[str]:
    """The words written beside a leg's circle (and read out in the description)."""
    lines = [
        leg.label,
        ngettext("%(n)d member", "%(n)d members", leg.members) % {"n": leg.members},
    ]
    if leg.members and convenings:
        lines.append(
            _("%(active)d came lately (%(percent)d%%)")
            % {"active": leg.active, "percent": leg.percent}
        )
    lines.append(" · ".join(leg.states))
    return lines


def tie_text(tie: LegTie) -> str:
    return ngettext(
        "%(a)s and %(b)s: %(n)d pair of people",
        "%(a)s and %(b)s: %(n)d pairs of people",
        tie.pairs,
    ) % {"a": tie.label_a, "b": tie.label_b, "n": tie.pairs}


def description(balance: Balance) -> str:
    """The picture in one paragraph: every leg's numbers, every tie, every warning."""
    parts = []
    for leg in balance.legs:
        words = ngettext("%(leg)s: %(n)d member", "%(leg)s: %(n)d members", leg.members) % {
            "leg": leg.label,
            "n": leg.members,
        }
        if leg.members and balance.convenings:
            words += ", " + _("%(active)d came lately (%(percent)d%%)") % {
                "active": leg.active,
                "percent": leg.percent,
            }
        if leg.states:
            words += " (" + ", ".join(leg.states) + ")"
        parts.append(words + ".")
    if balance.convenings:
        parts.append(
            ngettext(
                "Ties over the last %(n)d convening:",
                "Ties over the last %(n)d convenings:",
                balance.convenings,
            )
            % {"n": balance.convenings}
        )
        parts.append("; ".join(tie_text(tie) for tie in balance.ties) + ".")
    else:
        parts.append(_("No convening held yet, so no ties to show."))
    return " ".join(parts)


def balance_svg(balance: Balance, *, title: str, id_prefix: str) -> SafeString:
    """The stool as an inline SVG string, labelled by `title` (ids start `id_prefix`)."""
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    largest = max((leg.members for leg in balance.legs), default=0)
    position = {leg.leg: CORNERS[i] for i, leg in enumerate(balance.legs)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="balance-stool" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="system-ui, sans-serif">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description(balance))}</desc>',
        # The seat, seen from above: it ties the four legs into one stool.
        '<rect x="150" y="110" width="340" height="260" rx="28" fill="#f3f5f7" '
        'stroke="#c9d0d8" stroke-width="2"/>',
    ]
    out.extend(_tie_lines(balance, position))
    for leg in balance.legs:
        out.extend(_leg_mark(leg, position[leg.leg], largest, balance.convenings))
    out.append("</svg>")
    return mark_safe("\n".join(out))  # noqa: S308  (every dynamic text is escaped above)


def _tie_lines(balance: Balance, position: dict) -> list[str]:
    out = ['<g class="ties">']
    largest = balance.largest_tie
    labels = []
    for tie in balance.ties:
        (x1, y1), (x2, y2) = position[tie.leg_a], position[tie.leg_b]
        if tie.pairs:
            width = 2 + 10 * tie.pairs / largest
            out.append(
                f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" '
                f'stroke-width="{_n(width)}" stroke-linecap="round"/>'
            )
        else:
            # No tie: a thin dashed line, so the gap is seen without relying on colour.
            out.append(
                f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{MUTED}" '
                f'stroke-width="2" stroke-dasharray="6 6"/>'
            )
        # The two diagonals cross in the middle: their numbers sit a third of the way
        # along instead, so they never overlap.
        t = 0.5 if (x1 == x2 or y1 == y2) else 0.3
        labels.append((x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, tie))
    for x, y, tie in labels:
        text = str(tie.pairs)
        box = 12 + 8 * len(text)
        out.append(
            f'<g class="tie-count"><rect x="{_n(x - box / 2)}" y="{_n(y - 11)}" '
            f'width="{_n(box)}" height="22" rx="11" fill="#ffffff" stroke="{MUTED}"/>'
            f'<text x="{_n(x)}" y="{_n(y + 5)}" text-anchor="middle" font-size="14" '
            f'fill="{INK}">{text}</text></g>'
        )
    out.append("</g>")
    return out


def _leg_mark(leg: LegBalance, at: tuple[int, int], largest: int, convenings: int) -> list[str]:
    cx, cy = at
    dark, tint = LEG_COLOURS.get(leg.leg, (INK, "#ffffff"))
    r = _radius(leg, largest)
    out = [f'<g class="leg leg-{escape(leg.leg)}">']
    if leg.is_missing:
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{_n(r)}" fill="#ffffff" stroke="{dark}" '
            f'stroke-width="3" stroke-dasharray="5 4"/>'
        )
        out.append(
            f'<text x="{cx}" y="{cy + 7}" text-anchor="middle" font-size="20" '
            f'fill="{dark}" aria-hidden="true">?</text>'
        )
    else:
        dash = ' stroke-dasharray="5 4"' if (leg.is_thin or leg.is_disengaged) else ""
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{_n(r)}" fill="{tint}" stroke="{dark}" '
            f'stroke-width="3"{dash}/>'
        )
        out.append(_wedge(cx, cy, r - 1.5, leg.share if convenings else 0, dark))
    lines = [line for line in leg_lines(leg, convenings) if line]
    top = cy < HEIGHT / 2
    # Words above the top legs and below the bottom ones, clear of the lines between legs.
    first = cy - RADIUS_MAX - 14 - 18 * (len(lines) - 1) if top else cy + RADIUS_MAX + 26
    for i, line in enumerate(lines):
        weight = ' font-weight="700"' if i == 0 else ""
        colour = dark if i == 0 else INK
        if i == len(lines) - 1 and leg.states:
            weight, colour = ' font-weight="700"', "#8a3b00"
        out.append(
            f'<text x="{cx}" y="{_n(first + 18 * i)}" text-anchor="middle" '
            f'font-size="{15 if i == 0 else 14}" fill="{colour}"{weight}>{escape(line)}</text>'
        )
    out.append("</g>")
    return out
