"""The network coverage table's rows (one per city), written in Python.

The template loop, each city with four leg cells (an included bar, a `{% blocktranslate %}`
of the counts, localised numbers) and its lagging legs, was about half the network page's
render time (`make bench`'s training coverage, 50 cities a page). The markup is the same as
the template's was (`bar` is templates/trainings/coverage/_bar.html, which the city page
still includes); every value is escaped here, and the strings are translated and the URL
reversed once per page, not once per cell.

As in the templates, a translated literal (`{% translate "lags" %}`) is written as it is
and only the values put into a sentence are escaped.
"""

from collections.abc import Iterable, Mapping
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from stakeholders.models import City
from trainings import coverage_selectors as selectors

# Reversed once with this slug, then the slug is swapped for each row's.
_PLACEHOLDER_SLUG = "coverage-row-slug-placeholder"

_BAR_START = (
    '<svg class="coverage-bar" width="100" height="12" viewBox="0 0 100 12" '
    'aria-hidden="true" focusable="false">'
)
# The outline; the newline is the one that ends _bar.html, which `{% include %}` kept.
_BAR_END = '<rect x="0.5" y="0.5" width="99" height="11" fill="none" stroke="#1b1f24"/></svg>\n'


def number(value: int) -> str:
    """A whole number as `{{ value }}` writes it: plain digits unless the site groups
    thousands (then Django's localisation, as the template did)."""
    return number_format(value) if settings.USE_THOUSAND_SEPARATOR else str(value)


def bar(current: int, due: int = 0) -> str:
    """A share drawn as a bar, as _bar.html draws it: solid for current completions, striped
    for those due for a refresher. The numbers beside it are its text alternative."""
    solid = (
        f'<rect x="0" y="0" width="{number(current)}" height="12" fill="#1d4e89"/>'
        if current
        else ""
    )
    striped = (
        f'<rect x="{number(current or 0)}" y="0" width="{number(due)}" height="12" '
        'fill="url(#coverage-due-stripes)"/>'
        if due
        else ""
    )
    return f"{_BAR_START}{solid}{striped}{_BAR_END}"


def _leg_cell(leg: selectors.LegCoverage, words: Mapping[str, str]) -> str:
    if not leg.members:
        return f"<td>{words['no_members']}</td>"
    share = leg.share
    numbers = words["of"] % {
        "trained": number(leg.trained),
        "members": number(leg.members),
        "share": number(share),
    }
    flag = f' <strong class="flag">{words["lags"]}</strong>' if leg.reasons else ""
    return f'<td>{bar(share)} <span class="coverage-numbers">{numbers}</span>{flag}</td>'


def _lagging_cell(
    coverage: selectors.CityCoverage, words: Mapping[str, str], lag_words: selectors.LagWords
) -> str:
    lagging = coverage.lagging_legs
    if lagging:
        items = "".join(
            f"<li><strong>{escape(lag_words.labels[leg.leg])}:</strong> "
            f"{escape(selectors.lag_sentence(leg, coverage, lag_words))}</li>"
            for leg in lagging
        )
        return f'<td><ul class="plain">{items}</ul></td>'
    if not coverage.foundational_count:
        return f"<td>{words['no_foundational']}</td>"
    return f"<td>{words['none']}</td>"


def render_city_rows(
    cities: Iterable[City], coverage: Mapping[int, selectors.CityCoverage]
) -> SafeString:
    """The `<tr>` of each city, as the network table's body shows them: its name and state,
    each leg's trained members (a bar and the numbers, flagged when the leg lags), and why
    its lagging legs lag."""
    url = reverse("city_training_coverage", kwargs={"slug": _PLACEHOLDER_SLUG})
    before, after = (escape(part) for part in url.split(_PLACEHOLDER_SLUG, 1))
    words = {
        # The same msgid as the template's {% blocktranslate %} (city.html still has it).
        "of": _("%(trained)s of %(members)s (%(share)s%%)"),
        "lags": _("lags"),
        "no_members": _("no members"),
        "no_foundational": _("no foundational module yet"),
        "none": _("none"),
    }
    lag_words = selectors.lag_words()
    out = []
    for city in cities:
        found = coverage[city.pk]
        cells = "".join([_leg_cell(leg, words) for leg in found.legs])
        out.append(
            f'\n    <tr><th scope="row"><a href="{before}{escape(city.slug)}{after}">'
            f'{escape(city.name)}</a><br><span class="meta">{escape(city.state)}</span></th>'
            f"\n      {cells}\n      {_lagging_cell(found, words, lag_words)}</tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
