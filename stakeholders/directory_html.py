"""The directory page's content, written in Python (issue 9, `make bench`'s "roster").

Its templates (breadcrumb, filters, status line, per-leg summary, table and pager) were
about 4 ms of the page, mostly template-engine overhead per tag; the page is one
`{{ content }}` in templates/stakeholders/directory/index.html now, and an htmx request
gets `results_html` alone. The markup is what the templates wrote. The texts and the URLs
are built once per process, language and script prefix (the URLs with a stand-in slug,
swapped for the city's on each page); every value is escaped here.
"""

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from stakeholders.directory_filters import FilterForm
from stakeholders.directory_selectors import DirectorySummary

# A valid slug no city has: reversed once, then swapped for the city's slug.
_SLUG = "directory-city-slug-stand-in"


@dataclass
class DirectoryContent:
    """What the page shows, as the view read it."""

    city: object  # stakeholders.models.City
    form: FilterForm
    summary: DirectorySummary
    page: object  # django.core.paginator.Page
    rows_html: str
    query: str  # the filters as a query string, without the page
    filtered: bool


@lru_cache(maxsize=32)
def _urls(prefix: str) -> dict[str, str]:
    """url -> its escaped path with the stand-in slug, for one script prefix."""
    city = {"slug": _SLUG}
    return {
        name: escape(reverse(url, kwargs=kwargs))
        for name, url, kwargs in (
            ("home", "home", {}),
            ("city", "city_detail", city),
            ("add", "directory_person_create", city),
            ("organisations", "directory_organisations", city),
            ("import", "directory_import", city),
            ("directory", "city_directory", city),
            ("csv", "directory_export", {**city, "fmt": "csv"}),
            ("xlsx", "directory_export", {**city, "fmt": "xlsx"}),
        )
    }


@lru_cache(maxsize=16)
def _texts(language: str | None) -> dict[str, str]:
    """The page's fixed texts in one language, escaped. Placeholders (%(name)s) are kept."""
    texts = {
        "breadcrumb": _("Breadcrumb"),
        "home": _("Home"),
        "title": _("Stakeholder directory"),
        "lede": _(
            "Stakeholder identification for %(name)s: the people of the four legs, their "
            "sectors, the prevention levels their work touches and the groups and initiatives "
            "they already sit on. Contact details are personal data: every view and export is "
            "recorded."
        ),
        "add": _("Add a person"),
        "organisations": _("Organisations"),
        "import": _("Import from CSV or Excel"),
        "filter_label": _("Filter the directory"),
        "filter": _("Filter"),
        "clear": _("Clear"),
        "per_leg_filtered": _("Matching people, per leg"),
        "per_leg": _("People per leg"),
        "nobody": _("nobody"),
        "download": _("Download what is listed (all pages):"),
        "csv": _("CSV"),
        "excel": _("Excel"),
        "caption": _("People in the directory, sorted by name"),
        "none_match": _("Nobody matches these filters."),
        "empty": _("Nobody is in the directory yet: add people one by one or import a file."),
        "pages": _("Pages of the directory"),
        "previous": _("Previous"),
        "next": _("Next"),
    }
    texts = {key: escape(text) for key, text in texts.items()}
    columns = (
        _("Name and role"),
        _("Leg"),
        _("Sector"),
        _("Organisation"),
        _("Prevention levels"),
        _("Focus areas"),
        _("Groups and initiatives"),
        _("Contact"),
    )
    texts["thead"] = (
        '<div class="table-scroll"><table class="directory-table">\n'
        f'  <caption class="visually-hidden">{texts["caption"]}</caption>\n'
        "  <thead><tr>\n"
        + "".join(f'    <th scope="col">{escape(column)}</th>\n' for column in columns)
        + "  </tr></thead>\n  <tbody>\n    "
    )
    return texts


def head_title(city) -> SafeString:
    return mark_safe(_("Stakeholder directory of %(name)s") % {"name": escape(city.name)})  # noqa: S308


def _city_urls(city) -> dict[str, str]:
    slug = escape(city.slug)
    return {name: url.replace(_SLUG, slug) for name, url in _urls(get_script_prefix()).items()}


def status_html(content: DirectoryContent, *, oob: bool = False) -> str:
    """The status line (a live region) with the count and the page."""
    total, page = content.summary.total, content.page
    text = ngettext("%(n)s person matches.", "%(n)s people match.", total) % {"n": total}
    pages = page.paginator.num_pages
    if pages > 1:
        text += " " + _("Page %(n)s of %(total)s.") % {"n": page.number, "total": pages}
    swap = ' hx-swap-oob="true"' if oob else ""
    return (
        '<p id="directory-status" role="status" aria-live="polite" class="directory-status"'
        f"{swap}>{escape(text)}</p>\n"
    )


def results_html(content: DirectoryContent, *, in_page: bool = False) -> SafeString:
    """The part an htmx request replaces: per-leg counts, export links, table, pager
    (and, outside the page, the status line swapped out of band)."""
    texts = _texts(get_language())
    urls = _city_urls(content.city)
    query = escape(content.query)
    out = [] if in_page else [status_html(content, oob=True)]
    heading = texts["per_leg_filtered"] if content.filtered else texts["per_leg"]
    legs = "".join(
        f'<li><span class="directory-leg-name">{escape(leg.label)}</span> '
        f'<strong class="directory-leg-count">{leg.people}</strong></li>'
        if leg.people
        else '<li class="directory-leg-empty"><span class="directory-leg-name">'
        f'{escape(leg.label)}</span> <strong class="directory-leg-count">{leg.people}</strong> '
        f'<span class="flag">{texts["nobody"]}</span></li>'
        for leg in content.summary.legs
    )
    export = f"?{query}" if query else ""
    out.append(
        '\n<section aria-labelledby="legs-heading" class="directory-summary">\n'
        f'  <h2 id="legs-heading">{heading}</h2>\n'
        f'  <ul class="directory-legs">\n    {legs}\n  </ul>\n</section>\n'
        f'<p class="directory-export">{texts["download"]}\n'
        f'  <a href="{urls["csv"]}{export}" download>{texts["csv"]}</a> ·\n'
        f'  <a href="{urls["xlsx"]}{export}" download>{texts["excel"]}</a>\n</p>\n'
    )
    page = content.page
    if page.object_list:
        out.append(f"{texts['thead']}{content.rows_html}\n  </tbody>\n</table></div>\n")
    else:
        empty = texts["none_match"] if content.filtered else texts["empty"]
        out.append(f"<p>{empty}</p>\n")
    if page.has_other_pages():
        before = f"?{query}&" if query else "?"
        target = 'hx-target="#directory-results" hx-push-url="true"'
        links = []
        if page.has_previous():
            href = f"{before}page={page.previous_page_number()}"
            links.append(f'<a href="{href}" hx-get="{href}" {target}>{texts["previous"]}</a>')
        links.append(
            "\n  <span>"
            + escape(
                _("Page %(n)s of %(total)s") % {"n": page.number, "total": page.paginator.num_pages}
            )
            + "</span>\n  "
        )
        if page.has_next():
            href = f"{before}page={page.next_page_number()}"
            links.append(f'<a href="{href}" hx-get="{href}" {target}>{texts["next"]}</a>')
        out.append(
            f'<nav aria-label="{texts["pages"]}" class="pager">\n  {"".join(links)}\n</nav>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def page_html(content: DirectoryContent) -> SafeString:
    """The page's main content: breadcrumb, heading, actions, filters, status, results."""
    texts = _texts(get_language())
    urls = _city_urls(content.city)
    name = escape(content.city.name)
    lede = texts["lede"].replace("%(name)s", name)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'\n<nav aria-label="{texts["breadcrumb"]}" class="breadcrumb"><a href="{urls["home"]}">'
        f'{texts["home"]}</a> › <a href="{urls["city"]}">{name}</a> › '  # noqa: RUF001
        f'<span aria-current="page">{texts["title"]}</span></nav>\n'
        f"<h1>{texts['title']}</h1>\n"
        f'<p class="lede">{lede}</p>\n'
        '<ul class="directory-actions">\n'
        f'  <li><a href="{urls["add"]}">{texts["add"]}</a></li>\n'
        f'  <li><a href="{urls["organisations"]}">{texts["organisations"]}</a></li>\n'
        f'  <li><a href="{urls["import"]}">{texts["import"]}</a></li>\n'
        "</ul>\n\n"
        f'<form method="get" action="{urls["directory"]}" role="search" '
        f'aria-label="{texts["filter_label"]}" class="filters directory-filters"\n'
        f'      hx-get="{urls["directory"]}" hx-target="#directory-results" hx-push-url="true"\n'
        '      hx-trigger="submit, change, input changed delay:500ms from:#id_q">\n  '
        f"{content.form.as_html()}\n"
        f'  <div><button type="submit">{texts["filter"]}</button> '
        f'<a href="{urls["directory"]}">{texts["clear"]}</a></div>\n'
        "</form>\n\n"
        f"{status_html(content)}\n"
        '<div id="directory-results">\n'
        f"{results_html(content, in_page=True)}\n"
        "</div>\n"
    )
