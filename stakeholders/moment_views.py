"""The city's calendar of local moments (DOMAIN.md lesson 4): elections, the school year's
start, students' return, the local echo of a global crisis, that convenings and landscape
briefings can be planned around.

Members of the city read the calendar; coordinators of the city and network staff add,
change and remove moments.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders import institution_selectors as selectors
from stakeholders import moment_services as services
from stakeholders.models import LocalMoment
from stakeholders.moment_forms import LocalMomentForm
from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for


def _moment_of(city, moment_id: int) -> LocalMoment:
    # A moment of another city is not there, whatever its id.
    moment = LocalMoment.objects.filter(city=city, pk=moment_id).first()
    if moment is None:
        raise Http404
    return moment


@require_GET
def city_moments(request, slug: str):
    city = access_city_by_slug(request, slug)
    viewer = viewer_for(request)
    context = {
        "city": city,
        "calendar": selectors.city_moment_calendar(city, viewer),
        "can_edit": viewer.can_coordinate(city.pk),
        "soon_days": selectors.SOON_DAYS,
    }
    return render(request, "stakeholders/moments/calendar.html", context)


@require_http_methods(["GET", "POST"])
def city_moment_create(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = LocalMomentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        moment = services.local_moment_create(actor=request.user, city=city, details=form.details())
        messages.success(request, _("“%(title)s” is on the calendar.") % {"title": moment.title})
        return redirect("city_moments", slug=city.slug)
    return _form_page(request, form, city=city, heading=_("Add a local moment"))


@require_http_methods(["GET", "POST"])
def city_moment_edit(request, slug: str, moment_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    moment = _moment_of(city, moment_id)
    if request.method == "POST":
        form = LocalMomentForm(request.POST)
    else:
        form = LocalMomentForm(initial=LocalMomentForm.initial_from(moment))
    if request.method == "POST" and form.is_valid():
        services.local_moment_update(
            actor=request.user, moment_id=moment.pk, details=form.details()
        )
        messages.success(request, _("Saved."))
        return redirect("city_moments", slug=city.slug)
    return _form_page(
        request,
        form,
        city=city,
        moment=moment,
        heading=_("Change “%(title)s”") % {"title": moment.title},
    )


@require_POST
def city_moment_delete(request, slug: str, moment_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    moment = _moment_of(city, moment_id)
    if request.POST.get("confirm") != "delete":
        messages.error(request, _("Tick the box to confirm the removal."))
        return redirect("city_moment_edit", slug=city.slug, moment_id=moment.pk)
    tied = services.local_moment_delete(actor=request.user, moment_id=moment.pk)
    message = _("“%(title)s” is removed from the calendar.") % {"title": moment.title}
    if tied:
        message += " " + ngettext(
            "%(n)s convening keeps its date but is no longer tied to it.",
            "%(n)s convenings keep their dates but are no longer tied to it.",
            tied,
        ) % {"n": tied}
    messages.success(request, message)
    return redirect("city_moments", slug=city.slug)


def _form_page(request, form, *, city, heading, moment=None):
    context = {
        "city": city,
        "form": form,
        "moment": moment,
        "heading": heading,
        "tied_convenings": moment.convenings.count() if moment else 0,
    }
    return render(request, "stakeholders/moments/form.html", context)
