"""The framework tracker: a city's local prevention framework, its versions and status, the
core components each covers, adoption, and the document itself.

The city's coordinators and network staff keep it; a member of the city sees the city but not
these pages (403), like the rest of the progress pages; another city's coordinator does not
see the city (404), nor a version of another city (404).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from briefings.downloads import private
from briefings.forms import attachment_max_bytes
from briefings.uploads import SizeLimitHandler
from stakeholders.models import City
from stakeholders.permissions import access_city_by_slug
from workinggroups import framework_services as services
from workinggroups import milestone_services
from workinggroups.framework_forms import FrameworkForm
from workinggroups.models import FRAMEWORK_COMPONENTS, AdoptionInstrument, FrameworkVersion


def _version_or_404(city: City, pk: int) -> FrameworkVersion:
    version = FrameworkVersion.objects.filter(city=city, pk=pk).first()
    if version is None:
        raise Http404
    return version


@require_GET
def framework(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    versions = list(FrameworkVersion.objects.filter(city=city).order_by("-number"))
    context = {
        "city": city,
        "versions": versions,
        "components": FRAMEWORK_COMPONENTS,
        "suggested": AdoptionInstrument(services.suggested_instrument(city)).label,
    }
    return private(render(request, "workinggroups/progress/framework.html", context))


def _form_page(request, city, form, version=None, status=200):
    context = {"city": city, "form": form, "version": version}
    return private(
        render(request, "workinggroups/progress/framework_form.html", context, status=status)
    )


@csrf_exempt  # checked in _save, once the upload handler is in place
@require_http_methods(["GET", "POST"])
def framework_new(request, slug: str):
    city = access_city_by_slug(request, slug, manage=True)
    if request.method != "POST":
        return _form_page(request, city, FrameworkForm(city=city))
    handler = SizeLimitHandler(request, attachment_max_bytes())
    request.upload_handlers.insert(0, handler)
    return _save(request, city, None, handler)


@csrf_exempt  # checked in _save, once the upload handler is in place
@require_http_methods(["GET", "POST"])
def framework_edit(request, slug: str, pk: int):
    city = access_city_by_slug(request, slug, manage=True)
    version = _version_or_404(city, pk)
    if request.method != "POST":
        return _form_page(request, city, FrameworkForm(city=city, version=version), version)
    handler = SizeLimitHandler(request, attachment_max_bytes())
    request.upload_handlers.insert(0, handler)
    return _save(request, city, version, handler)


@csrf_protect
def _save(request, city: City, version: FrameworkVersion | None, handler):
    form = FrameworkForm(
        request.POST, request.FILES, city=city, version=version, too_large=handler.too_large
    )
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        original_name = getattr(form, "original_name", "") if upload else ""
        try:
            if version is None:
                created = services.framework_create(
                    actor=request.user,
                    city=city,
                    data=form.framework_data(),
                    upload=upload,
                    original_name=original_name,
                    request=request,
                )
                messages.success(
                    request,
                    _("Version %(number)s of the framework is saved.") % {"number": created.number},
                )
            else:
                changed = services.framework_update(
                    actor=request.user,
                    city=city,
                    version_id=version.pk,
                    data=form.framework_data(),
                    upload=upload,
                    original_name=original_name,
                    remove_document=bool(form.cleaned_data.get("remove_document")),
                    request=request,
                )
                if changed:
                    messages.success(
                        request,
                        _("Version %(number)s of the framework is saved.")
                        % {"number": version.number},
                    )
                else:
                    messages.info(request, _("Nothing changed."))
        except services.ProgressError as error:
            for message in error.messages:
                form.add_error(None, message)
        except FrameworkVersion.DoesNotExist as missing:
            raise Http404 from missing
        else:
            return redirect("city_framework", slug=city.slug)
    status = 413 if handler.too_large else 200
    return _form_page(request, city, form, version, status=status)


@require_GET
def framework_document(request, slug: str, pk: int):
    city = access_city_by_slug(request, slug, manage=True)
    version = _version_or_404(city, pk)
    if not version.document:
        raise Http404
    try:
        response = milestone_services.document_response(
            version.document,
            original_name=version.document_name,
            fallback=f"framework-v{version.number}",
        )
    except OSError:
        messages.error(request, _("The document could not be read. Please tell network staff."))
        return redirect("city_framework", slug=city.slug)
    milestone_services.document_downloaded(
        actor=request.user,
        city=city,
        target=version,
        kind="framework_document",
        file=version.document_name,
        request=request,
    )
    return response
