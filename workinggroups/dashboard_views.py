"""The cross-pilot dashboard (issue #8): every city's progress at a glance, fifty cities a
page, and every city on one page in compact rows.

Network staff see every city; a coordinator sees the same view with their own city (or
cities). To anyone else the page does not exist (404), as for the other network-wide pages
(training coverage, roles): a member has no dashboard of the pilots, and a 403 would say
there is one to see.

Fast at a thousand cities (issue #9): the page reads one summary row per city
(CityProgress, refreshed by Celery), never the records, in the same queries at ten cities
and at a thousand: the count for the pager and the page's rows (plus, for a coordinator,
their cities). Each summary stores its row's cells, drawn at refresh time with every text
escaped (workinggroups.progress_display); the page pastes them after the city's own cell,
and draws them anew only when they were stored in another language. A city without a
summary yet is still listed ("not yet summarised").
"""

import zoneinfo

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import formats
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from stakeholders.models import City
from stakeholders.roles import viewer_for
from workinggroups import progress_display as display
from workinggroups import progress_svg
from workinggroups.models import CityProgress

CITIES_PER_PAGE = 50

SORTS = {
    "name": gettext_lazy("City name"),
    "milestones": gettext_lazy("Most milestones reached"),
    "activity": gettext_lazy("Most recent activity"),
    "warnings": gettext_lazy("Most warnings"),
}
# Columns of the city (c) and its summary (p) in ORDER BY; "NULLS LAST" puts the cities
# not summarised yet at the end (PostgreSQL, and SQLite since 3.30).
ORDER_SQL = {
    "name": "c.name, c.id",
    "milestones": "p.milestones_reached DESC NULLS LAST, c.name, c.id",
    "activity": "p.last_activity_at DESC NULLS LAST, c.name, c.id",
    "warnings": "p.warning_count DESC NULLS LAST, c.name, c.id",
}
COLUMNS = ["pk", "name", "state", "slug", "time_zone", "refreshed_at", "stale", "html_language"]


class CityRows:
    """The page's cities as plain SQL, for Django's Paginator (count() and slicing).

    Written out rather than built by the ORM: composing and compiling the join, the
    filter and the values cost a page more than running them (make bench); the SQL is
    fixed but for the viewer's cities and the choices, every value a parameter. Each row
    is a dict of the city's values and its summary's (None where it has none yet), with
    the summary's stored `cells` (row_html or compact_html), never its figures."""

    def __init__(self, *, city_ids: list[int] | None, attention: bool, sort: str, cells: str):
        where, self.params = [], []
        if city_ids is not None:
            where.append(f"c.id IN ({', '.join(['%s'] * len(city_ids))})")
            self.params += city_ids
        if attention:
            # "Needs attention": at least one warning (cities not summarised yet left out).
            where.append("p.warning_count > 0")
        city = City._meta.db_table
        summary = CityProgress._meta.db_table
        self.tables = f"{city} c LEFT JOIN {summary} p ON p.city_id = c.id"
        # Counting needs the summaries only to filter on them.
        self.counted = self.tables if attention else f"{city} c"
        self.where = f"WHERE {' AND '.join(where)}" if where else ""
        self.order = ORDER_SQL[sort]
        if cells not in ("row_html", "compact_html"):
            raise ValueError(cells)
        self.columns = [*COLUMNS, cells]
        self.select = (
            "c.id, c.name, c.state, c.slug, c.time_zone, p.refreshed_at, p.stale, "
            f"p.html_language, p.{cells}"
        )

    def count(self) -> int:
        sql = f"SELECT COUNT(*) FROM {self.counted} {self.where}"  # noqa: S608  (see the class)
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict]:
        sql = f"SELECT {self.select} FROM {self.tables} {self.where} ORDER BY {self.order}"  # noqa: S608
        params = list(self.params)
        if window.stop is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [window.stop - (window.start or 0), window.start or 0]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(self.columns, row, strict=True)) for row in cursor.fetchall()]


def _cities(request, *, cells: str) -> tuple[CityRows, object, dict]:
    """The cities the viewer may see (network staff: all; a coordinator: theirs; anyone
    else: 404), filtered and sorted as asked; and the choices made."""
    viewer = viewer_for(request)
    city_ids = None
    if not viewer.is_network_staff:
        if not viewer.coordinated_city_ids:
            raise Http404
        city_ids = sorted(viewer.coordinated_city_ids)
    attention = request.GET.get("attention") == "1"
    sort = request.GET.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    rows = CityRows(city_ids=city_ids, attention=attention, sort=sort, cells=cells)
    return rows, viewer, {"sort": sort, "attention": attention}


def _with_fallback(rows: list[dict], cells: str, language: str) -> list[dict]:
    """Rows whose stored cells are in another language (or missing) get the values to
    draw them now: one more query, whatever their number."""
    redraw = [
        row["pk"]
        for row in rows
        if row["refreshed_at"] is not None and (row["html_language"] != language or not row[cells])
    ]
    if redraw:
        summaries = {
            values["city_id"]: values
            for values in CityProgress.objects.filter(city_id__in=redraw).values(
                "city_id", *display.SUMMARY_FIELDS
            )
        }
        for row in rows:
            row.update(summaries.get(row["pk"], {}))
    return rows


def _as_of(cities) -> dict:
    """The oldest summary shown ("figures as of"), in the city's zone when the page shows
    one city's zone only, in UTC otherwise; and how many are still being refreshed."""
    moments = [c["refreshed_at"] for c in cities if c["refreshed_at"] is not None]
    zones = {c["time_zone"] for c in cities}
    zone = zoneinfo.ZoneInfo(zones.pop()) if len(zones) == 1 else zoneinfo.ZoneInfo("UTC")
    oldest = min(moments).astimezone(zone) if moments else None
    return {
        "as_of": formats.date_format(oldest, "j M Y, H:i") if oldest else "",
        "as_of_zone": oldest.tzname() if oldest else "",
        "as_of_iso": oldest.isoformat() if oldest else "",
        # Stale, or never summarised (no row: every value is None).
        "refreshing": sum(1 for c in cities if c["stale"] is not False),
    }


# The rendered heading, filters and table head, by (language, page, choices): the same
# for every request that asks the same, and a tenth of the page's time to render.
_CHROME: dict[tuple, dict[str, SafeString]] = {}


def chrome(*, compact: bool, all_cities: bool, choices: dict) -> dict[str, SafeString]:
    """The page's heading and filters (`top`) and its table head (`thead`)."""
    language = display.cells_language()
    key = (
        language,
        get_script_prefix(),
        compact,
        all_cities,
        choices["sort"],
        choices["attention"],
    )
    parts = _CHROME.get(key)
    if parts is None:
        context = {
            "compact": compact,
            "all_cities": all_cities,
            "sorts": list(SORTS.items()),
            "milestone_total": len(display.milestone_labels()),
            "query": _query(choices),
            **choices,
        }
        parts = {
            "top": mark_safe(  # noqa: S308  (a rendered template: escaped by the engine)
                render_to_string("workinggroups/progress/_dashboard_chrome.html", context)
            ),
            "thead": mark_safe(  # noqa: S308  (the same)
                render_to_string("workinggroups/progress/_dashboard_thead.html", context)
            ),
        }
        if len(_CHROME) > 500:  # a few languages x pages x choices; never grows unbounded
            _CHROME.clear()
        _CHROME[key] = parts
    return parts


def _query(choices: dict) -> str:
    query = {"sort": choices["sort"]}
    if choices["attention"]:
        query["attention"] = "1"
    return urlencode(query)


@require_GET
def dashboard(request):
    """Fifty cities a page: the milestone path, the four legs, convenings and attendance,
    training, briefings, action items, institutionalisation, last activity, warnings."""
    language = display.cells_language()
    cities, viewer, choices = _cities(request, cells="row_html")
    page = Paginator(cities, CITIES_PER_PAGE).get_page(request.GET.get("page"))
    shown = _with_fallback(list(page.object_list), "row_html", language)
    context = {
        "chrome": chrome(compact=False, all_cities=viewer.is_network_staff, choices=choices),
        "query": _query(choices),
        "attention": choices["attention"],
        "page": page,
        "rows": display.dashboard_rows(
            shown, links=display.Links.shared(), words=display.RowWords.shared(), language=language
        ),
        "strip_defs": progress_svg.strip_defs(),
        **_as_of(shown),
    }
    return render(request, "workinggroups/progress/dashboard.html", context)


@require_GET
def dashboard_all(request):
    """Every city on one page, in compact rows (the figures as text, no chart)."""
    language = display.cells_language()
    cities, viewer, choices = _cities(request, cells="compact_html")
    shown = _with_fallback(cities[0:None], "compact_html", language)
    context = {
        "chrome": chrome(compact=True, all_cities=viewer.is_network_staff, choices=choices),
        "attention": choices["attention"],
        "rows": display.compact_rows(
            shown, links=display.Links.shared(), words=display.RowWords.shared(), language=language
        ),
        "shown": len(shown),
        **_as_of(shown),
    }
    return render(request, "workinggroups/progress/dashboard_all.html", context)
