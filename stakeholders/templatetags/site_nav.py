"""The main navigation, built in Python once per language instead of on every page.

Every signed-in page renders it. As template tags it cost about 2 ms a page (ten URL lookups
and fifteen translations, measured for make bench's pages); the links and their labels do
not change between requests, so they are built once per process, language and script
prefix; the items for each choice of links (by role), current page and a member's own city
are written once too, and only that choice is made per request.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# url name -> the other url names under which the link is the current page.
CURRENT_ALSO = {
    "briefing_inbox": ("briefing_read",),
    "training_modules": ("training_module",),
    "progress_dashboard": ("progress_dashboard_all",),
}


@lru_cache(maxsize=32)
def _links(language: str | None, prefix: str) -> dict[str, tuple[str, str]]:
    """url name -> (href, label), for one language and script prefix."""
    labels = {
        "home_staff": _("All pilot cities"),
        "home_coordinator": _("My city"),
        "home_member": _("My convenings"),
        "briefing_inbox": _("Landscape briefings"),
        "training_modules": _("Trainings"),
        "briefing_list": _("Write briefings"),
        "briefing_request_list": _("Briefing requests"),
        "progress_dashboard": _("Progress"),
        "progress_reports": _("Reports"),
        "roles": _("Accounts and roles"),
        "audit_log": _("Audit log"),
        "admin:index": _("Administration"),
        "account": _("My account"),
    }
    links = {}
    for key, label in labels.items():
        name = "home" if key.startswith("home_") else key
        links[key] = (reverse(name), label)
    return links


# A constant, marked safe so that format_html_join does not escape it.
ARIA_CURRENT = mark_safe(' aria-current="page"')


# Stands for a member's link to their own city's page in a list of keys.
OWN_CITY = "own_city"


@lru_cache(maxsize=4096)
def _nav_html(
    language: str | None, prefix: str, keys: tuple[str, ...], here: str | None, own_city: str
) -> SafeString:
    """The items for one choice of links, current page and (for a member) own city's page:
    a few hundred combinations in all, so each is written once per process."""
    links = _links(language, prefix)
    items = []
    for key in keys:
        if key == OWN_CITY:
            items.append((own_city, "", _("My city")))
            continue
        href, label = links[key]
        name = "home" if key.startswith("home_") else key
        current = here is not None and (here == name or here in CURRENT_ALSO.get(name, ()))
        items.append((href, ARIA_CURRENT if current else "", label))
    return format_html_join("", '<li><a href="{}"{}>{}</a></li>', items)


@register.simple_tag(takes_context=True)
def site_nav(context) -> SafeString:
    """The <li> items of the main navigation for the signed-in viewer."""
    request, viewer = context["request"], context.get("viewer")
    user = request.user
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match is not None else None
    member = bool(viewer and viewer.is_member)
    staff = bool(viewer and viewer.is_network_staff)
    # Asked only when needed: for staff it would cost a permission query on every page.
    coordinator = bool(viewer and not staff and viewer.is_coordinator)

    keys = ["home_staff" if staff else "home_coordinator" if coordinator else "home_member"]
    own_city = ""
    if member and not staff and not coordinator:
        keys.append(OWN_CITY)
        own_city = reverse("city_detail", kwargs={"slug": user.person.city.slug})
    keys += ["briefing_inbox", "training_modules"]
    if staff or getattr(user, "is_briefing_author", False):
        keys.append("briefing_list")
    if staff or coordinator:
        keys += ["briefing_request_list", "progress_dashboard", "progress_reports"]
    if staff:
        keys += ["roles", "audit_log"]
    if user.is_staff:
        keys.append("admin:index")
    keys.append("account")
    return _nav_html(get_language(), get_script_prefix(), tuple(keys), here, own_city)
