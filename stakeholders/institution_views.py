"""The city's institutionalisation page (DOMAIN.md lesson 1): who leads, with what staff
time and budget, which community organisations it funds, and when the next mayoral
transition comes, with plain warnings when the effort would not outlast one office holder.

Members of the city read it (these are public-sector facts); coordinators of the city and
network staff change it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stakeholders import institution_selectors as selectors
from stakeholders import institution_services as services
from stakeholders.institution_forms import BudgetLineForm, CommunityGrantForm, InstitutionForm
from stakeholders.permissions import access_city_by_slug
from stakeholders.roles import viewer_for


def _page(request, city, *, status=200, **bound_forms):
    """The page, with any form that failed shown bound to what was typed."""
    can_edit = viewer_for(request).can_coordinate(city.pk)
    organisations = selectors.grantable_organisations(city)
    context = {
        "city": city,
        "can_edit": can_edit,
        "institution": selectors.institutionalisation_status(city),
        "budget_lines": list(selectors.city_budget_lines(city)),
        "grants": list(selectors.city_grants(city)),
        "fiscal_year_start_month": selectors.FISCAL_YEAR_START_MONTH,
    }
    if can_edit:
        context["organisations"] = list(organisations)
        context["institution_form"] = bound_forms.get("institution_form") or InstitutionForm(
            initial=InstitutionForm.initial_from(city)
        )
        context["budget_form"] = bound_forms.get("budget_form") or BudgetLineForm(
            initial={"fiscal_year": context["institution"].fiscal_year}
        )
        context["grant_form"] = bound_forms.get("grant_form") or CommunityGrantForm(
            organisations=organisations,
            initial={"fiscal_year": context["institution"].fiscal_year},
        )
    return render(request, "stakeholders/institution/page.html", context, status=status)


@require_GET
def city_institution(request, slug: str):
    city = access_city_by_slug(request, slug)
    return _page(request, city)


@require_POST
def city_institution_edit(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = InstitutionForm(request.POST)
    if not form.is_valid():
        return _page(request, city, institution_form=form)
    changed = services.city_institution_update(
        actor=request.user, city=city, details=form.details(), request=request
    )
    if changed:
        messages.success(request, _("The city's lead and staff time are saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("city_institution", slug=city.slug)


@require_POST
def city_budget_line_add(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = BudgetLineForm(request.POST)
    if not form.is_valid():
        return _page(request, city, budget_form=form)
    line = services.budget_line_add(
        actor=request.user, city=city, details=form.details(), request=request
    )
    messages.success(
        request, _("The budget line for FY%(year)s is added.") % {"year": line.fiscal_year}
    )
    return redirect("city_institution", slug=city.slug)


@require_POST
def city_budget_line_remove(request, slug: str, line_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    # The button carries the confirmation, so a stray or empty POST removes nothing.
    if request.POST.get("confirm") != "remove":
        messages.error(request, _("Nothing was removed: use the line's Remove button."))
    elif services.budget_line_remove(
        actor=request.user, city=city, line_id=line_id, request=request
    ):
        messages.success(request, _("The budget line is removed."))
    else:
        messages.info(request, _("That budget line was already removed."))
    return redirect("city_institution", slug=city.slug)


@require_POST
def city_grant_add(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    form = CommunityGrantForm(request.POST, organisations=selectors.grantable_organisations(city))
    if form.is_valid():
        try:
            grant = services.community_grant_add(
                actor=request.user, city=city, details=form.details(), request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The grant to %(organisation)s is added.")
                % {"organisation": grant.organisation.name},
            )
            return redirect("city_institution", slug=city.slug)
    return _page(request, city, grant_form=form)


@require_POST
def city_grant_remove(request, slug: str, grant_id: int):
    city = access_city_by_slug(request, slug, manage=True)
    if request.POST.get("confirm") != "remove":
        messages.error(request, _("Nothing was removed: use the grant's Remove button."))
    elif services.community_grant_remove(
        actor=request.user, city=city, grant_id=grant_id, request=request
    ):
        messages.success(request, _("The grant is removed."))
    else:
        messages.info(request, _("That grant was already removed."))
    return redirect("city_institution", slug=city.slug)
