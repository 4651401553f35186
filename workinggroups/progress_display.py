"""The dashboard summary (CityProgress) in words, links and charts.

Two speeds. `SummaryView` serves one city at a time (the city progress page's figures
block) and may take its time. The dashboard rows are built in plain Python instead of the
template engine: fifty rows of ten cells, and a thousand compact rows, cost milliseconds
this way (Django's engine spent tens; see stakeholders/widgets.py for the same lesson).
Every text from the records (a city's name, state, slug) is escaped where it enters the
markup; the rest is numbers and words from this module.

Links: each figure leads to the records behind it (the balance page, training coverage,
read rates, the institution page, the directory, the city's convenings), so a figure is
always traceable. The dashboard shows counts only: no person's name or contact.
"""

import zoneinfo
from datetime import date, datetime
from functools import cached_property
from html import escape as html_escape

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    get_language,
    get_supported_language_variant,
    gettext_lazy,
    ngettext,
)
from django.utils.translation import gettext as _

from stakeholders.models import Leg
from workinggroups import balance, balance_svg, progress_svg
from workinggroups import progress_summary as summary_codes
from workinggroups.models import Milestone

LEGS = [leg.value for leg in Leg]
LEG_SHORT = {
    "mayor_council": gettext_lazy("Mayor & council"),
    "city_staff": gettext_lazy("City staff"),
    "community": gettext_lazy("Community"),
    "law_enforcement": gettext_lazy("Law enforcement"),
}
LEG_STATE = {
    "missing": gettext_lazy("leg missing"),
    "thin": gettext_lazy("thin leg"),
    "disengaged": gettext_lazy("disengaged"),
}
INSTITUTION_WORDS = {
    summary_codes.INST_BUDGET: gettext_lazy("Budget line"),
    summary_codes.INST_STAFF: gettext_lazy("Dedicated staff, no budget line"),
    summary_codes.INST_NO_LEAD: gettext_lazy("No lead designated"),
    summary_codes.INST_ONE_HOLDER: gettext_lazy("Rests on one office holder"),
}
PLACEHOLDER = "city-slug-placeholder"
ZONES: dict[str, zoneinfo.ZoneInfo] = {}


def leg_label(leg: str) -> str:
    return str(Leg(leg).label) if leg in LEGS else leg


def milestone_labels() -> list[str]:
    return [str(label) for _value, label in Milestone.choices]


_SHARED_WORDS: dict[str, "RowWords"] = {}
_SHARED_LINKS: dict[str, "Links"] = {}


class Links:
    """URLs of the pages behind the figures, reversed once per request and filled in per
    city (reverse() per cell was a third of the page's time)."""

    NAMES = {
        "progress": "city_progress",
        "balance": "city_balance",
        "coverage": "city_training_coverage",
        "institution": "city_institution",
        "directory": "city_directory",
        "city": "city_detail",
    }

    def __init__(self) -> None:
        self.templates = {
            key: reverse(name, kwargs={"slug": PLACEHOLDER}) for key, name in self.NAMES.items()
        }
        self.read_rates = reverse("briefing_read_rates")

    @classmethod
    def shared(cls) -> "Links":
        """One instance per script prefix (the site's URLs do not change while it runs)."""
        prefix = get_script_prefix()
        links = _SHARED_LINKS.get(prefix)
        if links is None:
            links = _SHARED_LINKS[prefix] = cls()
        return links

    def of(self, key: str, slug: str) -> str:
        return self.templates[key].replace(PLACEHOLDER, slug)

    def read_rates_of(self, city_id: int) -> str:
        return f"{self.read_rates}?city={city_id}"


class Words:
    """Dates and words for one request, each worked out once (many cities share them)."""

    def __init__(self) -> None:
        self._days: dict[date, str] = {}
        self._days_html: dict[date | None, str] = {}
        self.milestones = milestone_labels()
        self.legs_short = {leg: str(LEG_SHORT[leg]) for leg in LEGS}
        self.legs = {leg: leg_label(leg) for leg in LEGS}
        self.institution = {code: str(words) for code, words in INSTITUTION_WORDS.items()}
        self.states = {kind: str(words) for kind, words in LEG_STATE.items()}
        self.none = _("none")
        self.never = _("never")

    def day(self, day: date | None) -> str:
        if day is None:
            return self.never
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = formats.date_format(day, "j M Y")
        return text

    def day_html(self, day: date | None) -> str:
        text = self._days_html.get(day)
        if text is None:
            text = self._days_html[day] = html_escape(self.day(day))
        return text

    def zone(self, name: str) -> zoneinfo.ZoneInfo:
        zone = ZONES.get(name)
        if zone is None:
            # ZoneInfo keeps only its eight latest zones; the US alone has more.
            zone = ZONES[name] = zoneinfo.ZoneInfo(name)
        return zone

    def local_day(self, moment: datetime | None, zone_name: str) -> str:
        if moment is None:
            return self.never
        return self.day(moment.astimezone(self.zone(zone_name)).date())

    def local_day_html(self, moment: datetime | None, zone_name: str) -> str:
        if moment is None:
            return self.day_html(None)
        return self.day_html(moment.astimezone(self.zone(zone_name)).date())

    def day_iso(self, value: str | None) -> str:
        return self.day(date.fromisoformat(value)) if value else self.never

    def warning(self, warning: dict) -> str:
        """One warning in a short line (the dashboard row)."""
        code = warning.get("code")
        if code == summary_codes.WEAK_LEG:
            return _("%(leg)s: %(state)s") % {
                "leg": self.legs.get(warning["leg"], warning["leg"]),
                "state": self.states.get(warning["kind"], warning["kind"]),
            }
        if code == summary_codes.WEAK_TIES:
            pairs = "; ".join(
                _("%(a)s and %(b)s") % {"a": self.legs.get(a, a), "b": self.legs.get(b, b)}
                for a, b in warning["pairs"]
            )
            return _("No tie between %(pairs)s") % {"pairs": pairs}
        if code == summary_codes.NO_RECENT_CONVENING:
            return _("No convening held in %(days)d days") % {"days": warning["days"]}
        if code == summary_codes.NO_BUDGET_BEFORE_TRANSITION:
            return _("No budget line before the mayoral transition on %(date)s") % {
                "date": self.day_iso(warning["transition"])
            }
        if code == summary_codes.TRAINING_LAGS:
            return _("Training lags: %(legs)s") % {
                "legs": ", ".join(self.legs.get(leg, leg) for leg in warning["legs"])
            }
        return str(code)

    def warning_from_code(self, code: str) -> str:
        """A warning from its compact code (the 1,000-city page, which reads no JSON)."""
        name, _sep, rest = code.partition(":")
        if name == summary_codes.WEAK_LEG:
            leg, _sep, kind = rest.partition(":")
            return self.warning({"code": name, "leg": leg, "kind": kind})
        if name == summary_codes.TRAINING_LAGS:
            return self.warning({"code": name, "legs": rest.split(",")})
        if name == summary_codes.WEAK_TIES:
            return _("Weak ties between legs")
        if name == summary_codes.NO_RECENT_CONVENING:
            return self.warning({"code": name, "days": summary_codes.NO_CONVENING_DAYS})
        if name == summary_codes.NO_BUDGET_BEFORE_TRANSITION:
            return _("No budget line before the mayoral transition")
        return code

    def warning_sentence(self, warning: dict) -> str:
        """One warning in a full sentence (the city's figures block)."""
        code = warning.get("code")
        if code == summary_codes.NO_RECENT_CONVENING:
            if warning.get("last"):
                return _(
                    "No convening held in the last %(days)d days (the last one was on "
                    "%(date)s). Convening has value in itself: plan the next one."
                ) % {
                    "days": warning["days"],
                    "date": self.day(datetime.fromisoformat(warning["last"]).date()),
                }
            return _("No convening held yet. Convening has value in itself: plan the first one.")
        if code == summary_codes.NO_BUDGET_BEFORE_TRANSITION:
            return _(
                "The next mayoral transition is on %(date)s and there is no budget line for "
                "FY%(year)s: a new administration may not keep an effort that is not in the "
                "budget."
            ) % {"date": self.day_iso(warning["transition"]), "year": warning["fiscal_year"]}
        if code == summary_codes.WEAK_LEG:
            return _("%(leg)s is weak: %(state)s. A weak leg makes the work hard to sustain.") % {
                "leg": self.legs.get(warning["leg"], warning["leg"]),
                "state": self.states.get(warning["kind"], warning["kind"]),
            }
        return self.warning(warning) + "."


def _legs_data(figures: dict, words: Words) -> list[dict]:
    legs = figures.get("legs") or {}
    counts = {leg: (legs.get(leg, {}).get("members", 0)) for leg in LEGS}
    total, largest = sum(counts.values()), max(counts.values())
    recent = figures.get("recent_convenings", 0)
    out = []
    for leg in LEGS:
        members = counts[leg]
        active = legs.get(leg, {}).get("active", 0)
        item = balance.LegBalance(
            count=balance.LegCount(
                leg=leg, label=words.legs[leg], members=members, total=total, largest=largest
            ),
            active=active,
            convenings=recent,
        )
        state = (
            "missing"
            if item.is_missing and total
            else "thin"
            if item.is_thin
            else "disengaged"
            if item.is_disengaged
            else ""
        )
        out.append(
            {
                "leg": leg,
                "label": words.legs[leg],
                "short": words.legs_short[leg],
                "members": members,
                "active": active,
                "state": words.states[state] if state else "",
            }
        )
    return out


# --- One city: the figures block ------------------------------------------------------------


class SummaryView:
    """One city's summary for the city progress page (figures, words, charts, links)."""

    def __init__(self, summary) -> None:
        self.summary = summary
        self.figures = summary.figures or {}
        self.city = summary.city
        self.words = Words()
        self.links = Links()
        self.slug = self.city.slug

    @property
    def is_summarised(self) -> bool:
        return self.summary.refreshed_at is not None

    @property
    def as_of(self) -> str:
        """When the figures were read, in the city's zone with its abbreviation."""
        moment = self.summary.refreshed_at
        if moment is None:
            return ""
        local = moment.astimezone(self.city.zone)
        return f"{formats.date_format(local, 'j M Y, H:i')} {local.tzname()}"

    @cached_property
    def href(self) -> dict[str, str]:
        links = {key: self.links.of(key, self.slug) for key in Links.NAMES}
        links["read_rates"] = self.links.read_rates_of(self.city.pk)
        links["milestones"] = links["progress"] + "#milestones"
        return links

    @property
    def milestone_total(self) -> int:
        return len(Milestone.values)

    @property
    def next_milestone(self) -> str:
        code = (self.figures.get("milestones") or {}).get("next")
        return str(Milestone(code).label) if code in Milestone.values else ""

    @property
    def milestone_strip(self) -> SafeString:
        return progress_svg.milestone_strip(
            self.summary.milestone_path,
            self.words.milestones,
            id_prefix=f"path-{self.city.pk}",
            large=True,
        )

    @cached_property
    def legs(self) -> list[dict]:
        rows = _legs_data(self.figures, self.words)
        attendance = self.figures.get("attendance") or {}
        coverage = (self.figures.get("coverage") or {}).get("legs") or {}
        briefings = (self.figures.get("briefings") or {}).get("legs") or {}
        for row in rows:
            leg = row["leg"]
            row["attendance"] = attendance.get(leg, 0)
            row["trained"] = coverage.get(leg, {}).get("trained", 0)
            row["coverage_members"] = coverage.get(leg, {}).get("members", 0)
            row["delivered"] = briefings.get(leg, {}).get("delivered", 0)
            row["read"] = briefings.get(leg, {}).get("read", 0)
            row["read_rate"] = (100 * row["read"]) // row["delivered"] if row["delivered"] else None
        return rows

    @property
    def recent_convenings(self) -> int:
        return self.figures.get("recent_convenings", 0)

    @property
    def stool_svg(self) -> SafeString:
        counts = {row["leg"]: (row["members"], row["active"]) for row in self.legs}
        ties = {}
        for key, pairs in (self.figures.get("ties") or {}).items():
            leg_a, _sep, leg_b = key.partition("|")
            ties[(leg_a, leg_b)] = pairs
        legs = balance._legs(counts, self.recent_convenings)
        tie_list = balance._ties(ties)
        stool = balance.Balance(
            legs=legs,
            ties=tie_list,
            convenings=self.recent_convenings,
            warnings=balance.balance_warnings(legs, tie_list, self.recent_convenings),
        )
        return balance_svg.balance_svg(
            stool,
            title=_("Four-leg balance of %(city)s") % {"city": self.city.name},
            id_prefix=f"stool-{self.city.pk}",
        )

    @cached_property
    def quarters(self) -> list[dict]:
        return self.figures.get("quarters") or []

    @property
    def quarter_labels(self) -> list[str]:
        return [q["label"] for q in self.quarters]

    @cached_property
    def trend_rows(self) -> list[tuple[str, list[int]]]:
        rows = [(_("Convenings held"), [q["held"] for q in self.quarters])]
        for leg in LEGS:
            rows.append(
                (
                    _("Attendance: %(leg)s") % {"leg": self.words.legs_short[leg]},
                    [q["attendance"].get(leg, 0) for q in self.quarters],
                )
            )
        rows.append((_("People who completed a module"), [q["trained"] for q in self.quarters]))
        return rows

    @property
    def trend_svg(self) -> SafeString:
        return progress_svg.trend_chart(
            self.trend_rows,
            self.quarter_labels,
            id_prefix=f"trend-{self.city.pk}",
            title=_("Per quarter, the last %(n)d quarters") % {"n": len(self.quarters)},
        )

    @property
    def coverage(self) -> dict:
        return self.figures.get("coverage") or {}

    @property
    def briefings(self) -> dict:
        return self.figures.get("briefings") or {}

    @property
    def action_items(self) -> dict:
        return self.figures.get("action_items") or {"open": 0, "overdue": 0}

    @property
    def institution(self) -> dict:
        data = dict(self.figures.get("institution") or {})
        data["status"] = self.words.institution.get(self.summary.institution_status, "")
        data["transition"] = (
            self.words.day_iso(data.get("next_transition")) if data.get("next_transition") else ""
        )
        return data

    @property
    def warnings(self) -> list[str]:
        return [self.words.warning_sentence(w) for w in self.figures.get("warnings") or []]

    @property
    def last_convening(self) -> str:
        return self.words.day(self.summary.last_convening_on)

    @property
    def last_activity(self) -> str:
        return self.words.local_day(self.summary.last_activity_at, self.city.time_zone)


# --- The dashboard's rows -------------------------------------------------------------------

MILESTONE_INDEX = {value: i for i, value in enumerate(Milestone.values)}


class RowWords(Words):
    """Words a dashboard row needs, each phrase worked out once a request and kept by the
    numbers it says (fifty rows repeat many of them). Escaped once, when made."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict = {}
        total = len(self.milestones)
        self.of_total = _e(_("of %(n)d") % {"n": total})
        self.next = {
            code: _e(_("Next: %(label)s") % {"label": self.milestones[i]})
            for code, i in MILESTONE_INDEX.items()
        }
        self.complete = _e(_("Path complete"))
        self.leg_titles = tuple(self.legs_short[leg] for leg in LEGS)
        self.legs_title = _("Four-leg balance: members and who came lately")
        self.held_title = _("Convenings held per quarter")
        self.attendance = _e(_("Attendance by leg"))
        self.attendance_items = [_e(self.legs_short[leg]) for leg in LEGS]
        self.being_refreshed = _e(_("being refreshed"))
        self.not_yet = _e(_("Not yet summarised: its figures come within minutes."))
        self.open_city = _e(_("Open the city's progress"))
        self.institution_e = {code: _e(words) for code, words in self.institution.items()}

    def _memo(self, key, make):
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = make()
        return text

    def members(self, n: int) -> str:
        return self._memo(
            ("members", n),
            lambda: _e(ngettext("%(n)d member", "%(n)d members", n) % {"n": n}),
        )

    def held(self, n: int) -> str:
        return self._memo(
            ("held", n), lambda: _e(ngettext("%(n)d held", "%(n)d held", n) % {"n": n})
        )

    def last(self, day) -> str:
        return self._memo(("last", day), lambda: _e(_("last: %(date)s") % {"date": self.day(day)}))

    def briefings(self, n: int) -> str:
        return self._memo(
            ("briefings", n),
            lambda: _e(ngettext("%(n)d briefing", "%(n)d briefings", n) % {"n": n}),
        )

    def read(self, rate: int | None, delivered: int) -> str:
        if rate is None:
            return self._memo("unread", lambda: _e(_("none read yet"))) if delivered else ""
        return self._memo(("read", rate), lambda: _e(_("read %(rate)d%%") % {"rate": rate}))

    def trained(self, n: int, members: int, share: int | None, foundational: int) -> str:
        if share is None:
            if not foundational:
                return self._memo("no_module", lambda: _e(_("no foundational module yet")))
            return self._memo("no_members", lambda: _e(_("no members")))
        return self._memo(
            ("trained", n, members, share),
            lambda: _e(
                _("%(n)d of %(members)d trained (%(share)d%%)")
                % {"n": n, "members": members, "share": share}
            ),
        )

    def overdue(self, n: int) -> str:
        return self._memo(("overdue", n), lambda: _e(_("%(n)d overdue") % {"n": n}))

    def warning_code_html(self, code: str) -> str:
        return self._memo(("code", code), lambda: _e(self.warning_from_code(code)))

    @classmethod
    def shared(cls) -> "RowWords":
        """One instance per language for a run of refreshes (its phrases are reused)."""
        language = get_language() or ""
        words = _SHARED_WORDS.get(language)
        if words is None or len(words._cache) > 20_000:
            words = _SHARED_WORDS[language] = cls()
        return words

    def warning_item(self, warning: dict) -> str:
        key = ("warning", repr(sorted(warning.items())))
        return self._memo(key, lambda: _e(self.warning(warning)))

    def leg_sentence(self, leg: str, members: int, active: int | None, state: str) -> str:
        sentence = self._memo(
            ("leg", leg, members),
            lambda: (
                ngettext("%(leg)s: %(n)d member", "%(leg)s: %(n)d members", members)
                % {"leg": self.legs[leg], "n": members}
            ),
        )
        if active is not None and members:
            sentence += self._memo(
                ("came", active), lambda: ", " + _("%(active)d came lately") % {"active": active}
            )
        if state:
            sentence += f" ({self.states.get(state, state)})"
        return sentence + "."

    def judged_on(self, n: int) -> str:
        return self._memo(
            ("judged", n),
            lambda: (
                ngettext(
                    "Judged on the last %(n)d convening.", "Judged on the last %(n)d convenings.", n
                )
                % {"n": n}
            ),
        )


def _e(text) -> str:
    return html_escape(str(text))


def _legs_svg(row: dict, pk: int, words: RowWords) -> str:
    recent = row.get("recent", 0)
    judged = recent >= 1
    legs, sentences = [], []
    for leg, (members, active, state) in zip(LEGS, row.get("legs") or EMPTY_LEGS, strict=False):
        shown_active = active if judged else None
        legs.append((leg, members, shown_active, words.states.get(state, "") if state else ""))
        sentences.append(words.leg_sentence(leg, members, shown_active, state))
    if judged:
        sentences.append(words.judged_on(recent))
    return progress_svg.legs_bars(
        legs,
        labels=words.leg_titles,
        id_prefix=f"legs-{pk}",
        title=words.legs_title,
        desc=" ".join(sentences),
    )


EMPTY_LEGS = [[0, 0, ""]] * len(LEGS)


# The stored summary columns the dashboard reads: what the refresh writes, less the two
# rendered row caches (read separately, in the page's own query).
SUMMARY_FIELDS = [
    name
    for name in summary_codes.WRITTEN_FIELDS
    if name not in ("refreshed_at", "row_html", "compact_html", "html_language", "figures")
]


def summary_values(summary, city) -> dict:
    """A summary row as the dict the cell builders read (what the view's values give)."""
    values = {name: getattr(summary, name) for name in SUMMARY_FIELDS}
    values.update(pk=city.pk, slug=city.slug, time_zone=city.time_zone)
    return values


def cells_language() -> str:
    """The active language as the pages name it (a refresh runs in LANGUAGE_CODE, "en-us";
    a page in the supported variant, "en")."""
    language = get_language() or settings.LANGUAGE_CODE
    try:
        return get_supported_language_variant(language)
    except LookupError:
        return language


def stored_cells(summary, city) -> dict[str, str]:
    """The cells to store with a summary at refresh time, in the active language."""
    values = summary_values(summary, city)
    words = RowWords.shared()
    return {
        "row_html": row_cells(values, links=Links.shared(), words=words),
        "compact_html": compact_cells(values, words=words),
        "html_language": cells_language(),
    }


def row_cells(city: dict, *, links: Links, words: RowWords) -> str:
    """A summarised city's cells on the paginated dashboard, after its own cell: the
    milestone path, the four legs, convenings and attendance, training, briefings, action
    items, institutionalisation, last activity, warnings. Every text is escaped here."""
    pk, slug = city["pk"], _e(city["slug"])
    row = city["dashboard_row"] or {}
    milestones = (
        f'<td><span class="figure">{city["milestones_reached"]}</span> {words.of_total}'
        + progress_svg.milestone_strip(
            city["milestone_path"], words.milestones, id_prefix=f"ms-{pk}"
        )
        + f'<span class="meta">{words.next.get(row.get("next"), words.complete)}</span></td>'
    )
    legs = (
        f'<td><a href="{links.of("balance", slug)}">{_legs_svg(row, pk, words)}</a>'
        f'<span class="meta">{words.members(city["members"])}</span></td>'
    )
    attendance = row.get("attendance") or [0] * len(LEGS)
    by_leg = "".join(
        f"<li>{label} {n}</li>"
        for label, n in zip(words.attendance_items, attendance, strict=False)
    )
    convenings = (
        f'<td><a href="{links.of("city", slug)}">{words.held(city["convenings_held"])}</a>'
        f'<span class="meta">{words.last(city["last_convening_on"])}</span>'
        + progress_svg.sparkline(
            row.get("held") or [],
            row.get("labels") or [],
            id_prefix=f"held-{pk}",
            title=words.held_title,
        )
        + f'<ul class="by-leg" aria-label="{words.attendance}">{by_leg}</ul></td>'
    )
    trained = words.trained(
        city["people_trained"], city["members"], city["trained_percent"], row.get("foundational", 0)
    )
    read = words.read(city["read_rate"], city["briefings_delivered"])
    briefings = (
        f'<td><a href="{links.read_rates_of(pk)}">'
        f"{words.briefings(city['briefings_delivered'])}</a>"
        + (f'<span class="meta">{read}</span>' if read else "")
        + "</td>"
    )
    overdue = row.get("overdue", 0)
    actions = (
        f'<td><span class="figure">{city["open_action_items"]}</span>'
        + (f'<span class="meta">{words.overdue(overdue)}</span>' if overdue else "")
        + "</td>"
    )
    warning_items = row.get("warnings") or []
    warnings = (
        '<td><ul class="progress-warnings">'
        + "".join(f"<li>{words.warning_item(w)}</li>" for w in warning_items)
        + "</ul></td>"
        if warning_items
        else f"<td>{_e(words.none)}</td>"
    )
    return (
        f"{milestones}{legs}{convenings}"
        f'<td><a href="{links.of("coverage", slug)}">{trained}</a></td>{briefings}{actions}'
        f'<td><a href="{links.of("institution", slug)}">'
        f"{words.institution_e.get(city['institution_status'], '')}</a></td>"
        f"<td>{words.local_day_html(city['last_activity_at'], city['time_zone'])}</td>"
        f"{warnings}"
    )


def compact_cells(city: dict, *, words: RowWords) -> str:
    """A summarised city's cells on the 1,000-city page, after its own cell: text only."""
    trained = "" if city["trained_percent"] is None else f"{city['trained_percent']}%"
    read = "" if city["read_rate"] is None else f"{city['read_rate']}%"
    codes = city["warning_codes"]
    warnings = "; ".join(words.warning_code_html(code) for code in codes.split()) if codes else ""
    return (
        f"<td>{city['milestones_reached']} {words.of_total}</td>"
        f"<td>{city['members']}</td><td>{city['convenings_held']}</td>"
        f"<td>{words.day_html(city['last_convening_on'])}</td><td>{trained}</td>"
        f"<td>{city['briefings_delivered']}</td><td>{read}</td>"
        f"<td>{city['open_action_items']}</td>"
        f"<td>{words.institution_e.get(city['institution_status'], '')}</td>"
        f"<td>{words.local_day_html(city['last_activity_at'], city['time_zone'])}</td>"
        f'<td class="warnings"><span class="figure">{city["warning_count"]}</span> '
        f"{warnings}</td>"
    )


def _head(city: dict, links: Links, words: RowWords, *, space: str = "") -> str:
    return (
        f'<th scope="row"><a href="{links.of("progress", _e(city["slug"]))}">'
        f'{_e(city["name"])}</a>{space}<span class="meta">{_e(city["state"])}</span>'
    )


def dashboard_rows(cities, *, links: Links, words: RowWords, language: str) -> SafeString:
    """The <tr> rows of the paginated dashboard, from the view's value dicts: the city's
    own cell made here (its stale mark is live), the rest pasted from the summary when it
    was drawn in `language`, drawn here otherwise."""
    out = []
    for city in cities:
        head = _head(city, links, words)
        if city["refreshed_at"] is None:
            href = links.of("progress", _e(city["slug"]))
            out.append(
                f'<tr>{head}</th><td colspan="9">{words.not_yet} '
                f'<a href="{href}">{words.open_city}</a></td></tr>'
            )
            continue
        if city["stale"]:
            head += f'<span class="progress-stale">{words.being_refreshed}</span>'
        cells = city["row_html"]
        if city["html_language"] != language or not cells:
            cells = row_cells(city, links=links, words=words)
        out.append(f"<tr>{head}</th>{cells}</tr>")
    return mark_safe("\n".join(out))  # noqa: S308  (texts escaped when built; the rest is ours)


def compact_rows(cities, *, links: Links, words: RowWords, language: str) -> SafeString:
    """The <tr> rows of the 1,000-city page (see dashboard_rows)."""
    out = []
    not_yet = _e(_("Not yet summarised"))
    for city in cities:
        head = _head(city, links, words, space=" ") + "</th>"
        if city["refreshed_at"] is None:
            out.append(f'<tr>{head}<td colspan="11">{not_yet}</td></tr>')
            continue
        cells = city["compact_html"]
        if city["html_language"] != language or not cells:
            cells = compact_cells(city, words=words)
        out.append(f"<tr>{head}{cells}</tr>")
    return mark_safe("\n".join(out))  # noqa: S308  (texts escaped when built; the rest is ours)
