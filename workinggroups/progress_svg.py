"""The dashboard's charts as inline SVG, rendered on the server (no script, no CDN).

- the milestone path strip: one box per milestone of the toolkit's path, in order; a
  reached milestone is a filled box with a tick, one not reached an empty box, the next
  one to reach a dashed box: shape, not colour, says which is which;
- the four legs as bars: each leg's current members (the outline) and how many of them
  came to a recent convening (the filled part), with the leg's name and numbers written
  beside it; a missing or thin leg is drawn dashed and says so in words;
- the trend per quarter: small multiples, one row of bars per measure (convenings held,
  then attendance of each leg), each row labelled in words, so no colour has to be told
  apart.

Every chart is one image to assistive technology: role="img", labelled by its <title> and
described by its <desc>, which says every number in a sentence; the pages also give the
numbers as text or as a table. Text is dark on white (above 7:1); tints only fill shapes
whose outline is dark. Ids are prefixed per city so a page of fifty charts stays valid.

Speed: the dashboard draws fifty strips and bar sets per request, so the parts that do not
depend on words are cached by their shape, and the words by language.
"""

from functools import lru_cache
from html import escape as html_escape

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from workinggroups.balance_svg import INK, MUTED

ACCENT = "#1d4e89"  # 8.9:1 on white
TINT = "#dbe6f4"
WARN = "#8a3b00"  # 7.2:1 on white


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(*, width, height, css, id_prefix, title, desc, body, inline_style=True) -> SafeString:
    """The accessible wrapper: role="img", labelled by its title and described by its desc.
    `title` and `desc` are escaped here; `body` is markup built by this module. Without
    `inline_style` the page's stylesheet gives fonts and colours (the dashboard's rows,
    where fifty charts repeating them made the page a third heavier)."""
    font = ' font-family="system-ui, sans-serif"' if inline_style else ""
    return mark_safe(  # noqa: S308  (every text is escaped; the body holds numbers only)
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="{css}" '
        f'role="img" aria-labelledby="{id_prefix}-t {id_prefix}-d"{font}>'
        f'<title id="{id_prefix}-t">{html_escape(str(title))}</title>'
        f'<desc id="{id_prefix}-d">{html_escape(str(desc))}</desc>{body}</svg>'
    )


# --- The milestone path -------------------------------------------------------------------

CELL, GAP = 11, 3
# The three boxes of the small strip, drawn once a page (strip_defs) and used by every
# row's strip: a page of fifty strips is 700 boxes.
REACHED_BOX = (
    f'<rect x="0" y="0" width="{CELL}" height="{CELL}" rx="2" fill="{ACCENT}" stroke="{ACCENT}"/>'
    f'<path d="M2.4,5.7 L4.6,7.9 L8.8,3.1" fill="none" stroke="#ffffff" stroke-width="1.8"/>'
)
OPEN_BOX = (
    f'<rect x="0.5" y="0.5" width="{CELL - 1}" height="{CELL - 1}" rx="2" fill="#ffffff" '
    f'stroke="{MUTED}" stroke-width="1.2"/>'
)
NEXT_BOX = (
    f'<rect x="1" y="1" width="{CELL - 2}" height="{CELL - 2}" rx="2" fill="#ffffff" '
    f'stroke="{INK}" stroke-width="2" stroke-dasharray="3 2"/>'
)


def strip_defs() -> SafeString:
    """The boxes the small strips use; put once in the page, before the first strip."""
    return mark_safe(  # noqa: S308  (constant markup)
        '<svg width="0" height="0" class="visually-hidden" aria-hidden="true" '
        f'focusable="false"><defs><g id="ms-r">{REACHED_BOX}</g><g id="ms-o">{OPEN_BOX}</g>'
        f'<g id="ms-n">{NEXT_BOX}</g></defs></svg>'
    )


@lru_cache(maxsize=4096)
def _strip_body(bits: str, large: bool) -> tuple[str, int, int]:
    """The boxes of a strip (no words), cached by the path's shape."""
    next_at = bits.find("0")
    if not large:
        body = "".join(
            f'<use href="#ms-{"r" if bit == "1" else "n" if i == next_at else "o"}" '
            f'x="{i * (CELL + GAP)}"/>'
            for i, bit in enumerate(bits)
        )
        return body, len(bits) * (CELL + GAP) - GAP, CELL
    cell, gap = 22, 4
    out = []
    for i, bit in enumerate(bits):
        x = i * (cell + gap) + 1
        if bit == "1":
            out.append(
                f'<rect x="{x}" y="1" width="{cell}" height="{cell}" rx="3" fill="{ACCENT}" '
                f'stroke="{ACCENT}"/>'
                f'<path d="M{_n(x + cell * 0.22)},{_n(1 + cell * 0.52)} '
                f"L{_n(x + cell * 0.42)},{_n(1 + cell * 0.72)} "
                f'L{_n(x + cell * 0.8)},{_n(1 + cell * 0.28)}" fill="none" stroke="#ffffff" '
                f'stroke-width="2.5"/>'
            )
        else:
            dash = ' stroke-dasharray="4 3"' if i == next_at else ""
            out.append(
                f'<rect x="{x}" y="1" width="{cell}" height="{cell}" rx="3" fill="#ffffff" '
                f'stroke="{INK if i == next_at else MUTED}" '
                f'stroke-width="{2 if i == next_at else 1.2}"{dash}/>'
            )
        # Each box's place on the path, under it, to match the numbered list of the page.
        out.append(
            f'<text x="{_n(x + cell / 2)}" y="{cell + 14}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{i + 1}</text>'
        )
    return "".join(out), len(bits) * (cell + gap) + 1, cell + 18


@lru_cache(maxsize=4096)
def _strip_words(bits: str, labels: tuple[str, ...], language: str) -> tuple[str, str]:
    reached = [label for bit, label in zip(bits, labels, strict=False) if bit == "1"]
    n, total = len(reached), len(labels)
    title = gettext("Milestone path: %(n)d of %(total)d reached") % {"n": n, "total": total}
    parts = []
    if reached:
        parts.append(gettext("Reached: %(list)s.") % {"list": "; ".join(reached)})
    next_at = bits.find("0")
    if 0 <= next_at < len(labels):
        parts.append(gettext("Next: %(label)s.") % {"label": labels[next_at]})
    else:
        parts.append(gettext("Every milestone of the path is reached."))
    return title, " ".join(parts)


def milestone_strip(
    bits: str, labels: list[str] | tuple[str, ...], *, id_prefix: str, large: bool = False
) -> SafeString:
    """The path as a strip of boxes ("1" reached, "0" not, in path order). The small strip
    needs strip_defs() once in the page."""
    bits = bits or "0" * len(labels)
    body, width, height = _strip_body(bits, large)
    title, desc = _strip_words(bits, tuple(labels), get_language() or "")
    css = "milestone-strip milestone-strip-large" if large else "milestone-strip"
    return _svg(
        width=width,
        height=height,
        css=css,
        id_prefix=id_prefix,
        title=title,
        desc=desc,
        body=body,
        inline_style=large,
    )


# --- The four legs ------------------------------------------------------------------------

LEG_ROW, LEG_LABEL_W, LEG_BAR_W = 17, 118, 70


@lru_cache(maxsize=64)
def _leg_labels(labels: tuple[str, ...]) -> str:
    return "".join(
        f'<text y="{i * LEG_ROW + 13}">{escape(label)}</text>' for i, label in enumerate(labels)
    )


def legs_bars(
    legs: list, *, labels: tuple[str, ...], id_prefix: str, title: str, desc: str
) -> SafeString:
    """Four bars, one per leg in the usual order: the leg's current members (the outline,
    to scale with the largest leg) and, filled, how many came to a recent convening; the
    numbers and the leg's state in words beside each bar. `legs`: (leg, members, active or
    None when participation is not judged yet, state in words or "") per leg. `desc` says
    it all in sentences (the caller words it). Colours come from the stylesheet
    (css/progress_dashboard.css: .lg-<leg>), dark outlines and text on white."""
    largest = max((members for _leg, members, _active, _state in legs), default=0) or 1
    out = [_leg_labels(labels)]
    for i, (leg, members, active, state) in enumerate(legs):
        y = i * LEG_ROW + 3
        # Whole pixels: the bars are 70 wide, and the numbers are written beside them.
        width = max(3, round(LEG_BAR_W * members / largest)) if members else LEG_BAR_W
        dashed = " d" if state or not members else ""
        out.append(
            f'<g class="lg-{leg}"><rect x="{LEG_LABEL_W}" y="{y}" width="{width}" '
            f'height="11" class="o{dashed}"/>'
        )
        if members and active:
            filled = max(1, round(width * active / members))
            out.append(f'<rect x="{LEG_LABEL_W}" y="{y}" width="{filled}" height="11" class="f"/>')
        figure = f"{active}/{members}" if active is not None and members else str(members)
        if state:
            out.append(f'<text x="194" y="{y + 10}" class="w">{figure} {escape(state)}</text></g>')
        else:
            out.append(f'<text x="194" y="{y + 10}">{figure}</text></g>')
    return _svg(
        width=LEG_LABEL_W + LEG_BAR_W + 110,
        height=len(legs) * LEG_ROW + 2,
        css="legs-bars",
        id_prefix=id_prefix,
        title=title,
        desc=desc,
        body="".join(out),
        inline_style=False,
    )


# --- Trends per quarter -------------------------------------------------------------------


def sparkline(values: list[int], labels: list[str], *, id_prefix: str, title: str) -> SafeString:
    """A small bar per quarter (oldest first), for a dashboard row; the numbers in the desc.
    Colours come from the stylesheet (.sparkline)."""
    bar, step, height = 7, 9, 22
    top = max(values, default=0) or 1
    out = [f'<line x1="0" y1="{height}" x2="{len(values) * step}" y2="{height}"/>']
    for i, value in enumerate(values):
        if value:
            h = max(1, round(20 * value / top))
            out.append(f'<rect x="{i * step}" y="{height - h}" width="{bar}" height="{h}"/>')
    desc = "; ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=False))
    return _svg(
        width=len(values) * step,
        height=height + 1,
        css="sparkline",
        id_prefix=id_prefix,
        title=title,
        desc=desc + ".",
        body="".join(out),
        inline_style=False,
    )


def trend_chart(
    rows: list[tuple[str, list[int]]], labels: list[str], *, id_prefix: str, title: str
) -> SafeString:
    """Small multiples: one labelled row of bars per measure (e.g. convenings held, then
    each leg's attendance), one column per quarter with its label, each bar's number above
    it. `rows`: (measure's words, values oldest first)."""
    label_w, col, row_h, bar = 150, 52, 46, 28
    quarters = len(labels)
    out, words = [], []
    for r, (name, values) in enumerate(rows):
        top = max(values, default=0) or 1
        base = r * row_h + row_h - 6
        out.append(
            f'<text x="0" y="{base - 8}" font-size="12" fill="{INK}">{escape(name)}</text>'
            f'<line x1="{label_w}" y1="{base}" x2="{label_w + col * quarters}" y2="{base}" '
            f'stroke="{MUTED}"/>'
        )
        for i, value in enumerate(values):
            x = label_w + i * col + (col - bar) / 2
            h = (row_h - 22) * value / top if value else 0
            if h:
                out.append(
                    f'<rect x="{_n(x)}" y="{_n(base - h)}" width="{bar}" height="{_n(h)}" '
                    f'fill="{TINT}" stroke="{ACCENT}"/>'
                )
            out.append(
                f'<text x="{_n(x + bar / 2)}" y="{_n(base - h - 3)}" text-anchor="middle" '
                f'font-size="11" fill="{INK}">{value}</text>'
            )
        words.append(
            f"{name}: " + ", ".join(f"{q} {v}" for q, v in zip(labels, values, strict=False)) + "."
        )
    bottom = len(rows) * row_h + 14
    for i, label in enumerate(labels):
        out.append(
            f'<text x="{_n(label_w + i * col + col / 2)}" y="{bottom}" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">{escape(label)}</text>'
        )
    return _svg(
        width=label_w + col * quarters,
        height=bottom + 4,
        css="trend-chart",
        id_prefix=id_prefix,
        title=title,
        desc=" ".join(words),
        body="".join(out),
    )
