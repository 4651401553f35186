"""Network staff grant and revoke roles in the browser; every change is audited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stakeholders import services
from stakeholders.forms import FlagRoleForm, GrantCoordinatorForm
from stakeholders.models import City
from stakeholders.permissions import access_account_for_roles, require_network_staff
from stakeholders.role_selectors import accounts_page


@require_GET
def roles(request):
    require_network_staff(request)
    page = accounts_page(request.GET.get("page"))
    return render(
        request,
        "stakeholders/roles.html",
        {"page": page, "grant_form": GrantCoordinatorForm(), "cities": City.objects.all()},
    )


def _back_to_roles(request):
    page = request.POST.get("page", "")
    suffix = f"?page={page}" if page.isdigit() else ""
    return redirect(reverse("roles") + suffix)


@require_POST
def role_grant_coordinator(request, user_id: int):
    account = access_account_for_roles(request, user_id)
    form = GrantCoordinatorForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["city"]))
        return _back_to_roles(request)
    city = form.cleaned_data["city"]
    if services.role_grant_coordinator(
        actor=request.user, user=account, city=city, request=request
    ):
        messages.success(
            request,
            _("%(account)s now coordinates %(city)s.") % {"account": account, "city": city.name},
        )
    else:
        messages.info(
            request,
            _("%(account)s already coordinates %(city)s.")
            % {"account": account, "city": city.name},
        )
    return _back_to_roles(request)


@require_POST
def role_revoke_coordinator(request, user_id: int, city_id: int):
    account = access_account_for_roles(request, user_id)
    city = get_object_or_404(City, pk=city_id)
    services.role_revoke_coordinator(actor=request.user, user=account, city=city, request=request)
    messages.success(
        request,
        _("%(account)s no longer coordinates %(city)s.") % {"account": account, "city": city.name},
    )
    return _back_to_roles(request)


@require_POST
def role_network_staff(request, user_id: int):
    return _set_flag_role(request, user_id, "network_staff")


@require_POST
def role_briefing_author(request, user_id: int):
    return _set_flag_role(request, user_id, "briefing_author")


def _set_flag_role(request, user_id: int, role: str):
    account = access_account_for_roles(request, user_id)
    form = FlagRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes or no."))
        return _back_to_roles(request)
    try:
        services.role_set_flag(
            actor=request.user,
            user=account,
            role=role,
            value=form.cleaned_data["value"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Roles of %(account)s saved.") % {"account": account})
    return _back_to_roles(request)
