"""Pages of the training module catalogue: the catalogue and a module's page (every
signed-in user), materials under TLP, self-paced completion, training records, and the
staff's editing of modules and materials.

Who may do what:
- The catalogue and every module's page: any signed-in user. Editing: network staff only;
  to anyone else the editing pages are visible-but-not-allowed (403), since the modules
  themselves are visible to all.
- A material: see trainings.catalogue_selectors (CLEAR/GREEN to any signed-in user;
  AMBER, AMBER+STRICT, RED to staff, coordinators and the module's session invitees and
  attendees; to anyone else it does not exist, 404).
- A training record: the person, their city's coordinators and network staff; to anyone
  else it does not exist (404), even a fellow member who may see the person's name.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefings.downloads import StampError, marked_pdf, pdf_download, private
from briefings.forms import attachment_max_bytes

# The upload handler that stops reading a PDF past the size limit is the briefing
# attachments' own; it is private there, so the lead is asked to make it public.
from briefings.uploads import SizeLimitHandler
from stakeholders.models import Person
from stakeholders.permissions import access_person
from stakeholders.roles import viewer_for
from trainings import catalogue_selectors as selectors
from trainings import catalogue_services as services
from trainings.catalogue_forms import MaterialForm, ModuleForm
from trainings.models import MaterialKind, TrainingModule
from trainings.record_selectors import training_record


def _own_person(request) -> Person | None:
    if not request.user.is_authenticated or not request.user.person_id:
        return None
    return Person.objects.select_related("city").filter(pk=request.user.person_id).first()


def _module_or_404(slug: str) -> TrainingModule:
    module = selectors.module_by_slug(slug)
    if module is None:
        raise Http404
    return module


def _require_staff(request):
    viewer = viewer_for(request)
    if not viewer.is_network_staff:
        raise PermissionDenied(_("Only network staff keep the training catalogue."))
    return viewer


# --- The catalogue ----------------------------------------------------------------------------


@require_GET
def training_modules(request):
    """Every module, foundational first, with the signed-in person's progress on each."""
    viewer = viewer_for(request)
    person = _own_person(request)
    modules = list(selectors.catalogue_modules())
    latest = selectors.latest_completion_dates(person.pk if person else None)
    today = selectors.person_today(person) if person else timezone.localdate()
    rows = [
        {
            "module": module,
            "completed_on": latest.get(module.pk),
            "refresher": selectors.refresher_for(module, latest.get(module.pk), today),
        }
        for module in modules
    ]
    context = {
        "rows": rows,
        "person": person,
        "is_staff": viewer.is_network_staff,
    }
    return render(request, "trainings/catalogue/list.html", context)


@require_GET
def training_module(request, slug: str):
    viewer = viewer_for(request)
    module = _module_or_404(slug)
    person = _own_person(request)
    person_id = person.pk if person else None
    materials = selectors.materials_for(viewer, module)
    sessions = selectors.upcoming_sessions(module.pk, selectors.viewer_city_ids(viewer))
    context = {
        "module": module,
        "prerequisites": list(module.prerequisites.all()),
        "materials": materials,
        "sessions": sessions,
        "invited": selectors.invited_convening_ids(person_id, sessions),
        "coordinated": viewer.coordinated_city_ids,
        "is_staff": viewer.is_network_staff,
        "person": person,
    }
    if person is not None:
        read_ids = selectors.read_material_ids(person_id, module.pk)
        completed = selectors.completed_module_ids(person_id)
        latest = selectors.latest_completion(person_id, module.pk)
        today = selectors.person_today(person)
        all_ids = selectors.module_material_ids(module.pk)
        context.update(
            {
                "read_ids": read_ids,
                "completed_ids": completed,
                "latest": latest,
                "refresher": selectors.refresher_for(
                    module, latest.completed_on if latest else None, today
                ),
                "done_today": latest is not None and latest.completed_on == today,
                "unread_count": len(all_ids - read_ids),
                "hidden_unread": bool(all_ids - read_ids - {m.pk for m in materials}),
                "missing_prerequisites": [
                    m for m in context["prerequisites"] if m.pk not in completed
                ],
                "has_materials": bool(all_ids),
            }
        )
    return private(render(request, "trainings/catalogue/detail.html", context))


@require_POST
def training_module_complete(request, slug: str):
    """Mark a module completed at one's own pace (every material read, prerequisites done)."""
    module = _module_or_404(slug)
    person = _own_person(request)
    if person is None:
        raise PermissionDenied(_("Only people in the directory have a training record."))
    try:
        _completion, created = services.module_complete(
            actor=request.user, person=person, module_id=module.pk, request=request
        )
    except services.TrainingError as error:
        messages.error(request, _("Not marked as completed:") + " " + " ".join(error.messages))
    else:
        if created:
            messages.success(request, _("Well done: the module is in your training record."))
        else:
            messages.info(request, _("You had already completed this module today."))
    return redirect("training_module", slug=module.slug)


# --- Materials --------------------------------------------------------------------------------


@require_GET
def training_material(request, material_id: int):
    """Open a material: a link redirects, a PDF downloads (stamped for AMBER and RED).

    The first open by a signed-in person is their read (what self-paced completion counts);
    every open of a restricted material is audited.
    """
    viewer = viewer_for(request)
    material = selectors.material_for(viewer, material_id)
    if material is None:
        raise Http404
    person = _own_person(request)
    if material.kind == MaterialKind.LINK:
        services.material_open(
            actor=request.user, material=material, person=person, stamped=False, request=request
        )
        return private(HttpResponseRedirect(material.url))

    def issued_to() -> tuple[str, str]:
        if person is not None:
            return person.full_name, person.email or request.user.email
        return request.user.get_full_name(), request.user.email

    try:
        content, stamped = marked_pdf(material.file, tlp=material.tlp, issued_to=issued_to)
    except (StampError, OSError):
        messages.error(
            request,
            _("“%(title)s” could not be prepared for download. Please tell network staff.")
            % {"title": material.title},
        )
        return redirect("training_module", slug=material.module.slug)
    services.material_open(
        actor=request.user, material=material, person=person, stamped=stamped, request=request
    )
    return pdf_download(
        content, tlp=material.tlp, original_name=material.original_name, fallback="material"
    )


# --- Keeping the catalogue (network staff) ----------------------------------------------------


@require_http_methods(["GET", "POST"])
def training_module_create(request):
    _require_staff(request)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_create(
                actor=request.user,
                slug=form.cleaned_data["slug"],
                data=form.module_data(),
                request=request,
            )
        except services.TrainingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("“%(title)s” is in the catalogue. Add its materials below.")
                % {"title": module.title},
            )
            return redirect("training_module_edit", slug=module.slug)
    return render(request, "trainings/catalogue/form.html", {"form": form, "module": None})


def _edit_page(request, module, *, form=None, material_form=None, status=200):
    context = {
        "module": module,
        "form": form or ModuleForm(module=module),
        "material_form": material_form or MaterialForm(),
        "materials": list(module.materials.select_related("added_by").order_by("position", "pk")),
    }
    return render(request, "trainings/catalogue/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def training_module_edit(request, slug: str):
    _require_staff(request)
    module = _module_or_404(slug)
    if request.method != "POST":
        return _edit_page(request, module)
    form = ModuleForm(request.POST, module=module)
    if form.is_valid():
        try:
            changed = services.module_update(
                actor=request.user, module_id=module.pk, data=form.module_data(), request=request
            )
        except services.TrainingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if changed:
                messages.success(request, _("The module is saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("training_module_edit", slug=module.slug)
    return _edit_page(request, module, form=form)


@csrf_exempt  # checked below, once the upload handler is in place (Django's documented way)
@require_POST
def training_material_add(request, slug: str):
    # Access first: nobody else's upload is read at all.
    _require_staff(request)
    module = _module_or_404(slug)
    handler = SizeLimitHandler(request, attachment_max_bytes())
    request.upload_handlers.insert(0, handler)
    return _material_add(request, module, handler)


@csrf_protect
def _material_add(request, module: TrainingModule, handler):
    form = MaterialForm(request.POST, request.FILES, too_large=handler.too_large)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            material = services.material_add(
                actor=request.user,
                module_id=module.pk,
                title=form.cleaned_data["title"].strip(),
                tlp=form.cleaned_data["tlp"],
                url=form.cleaned_data.get("url") or "",
                upload=upload,
                original_name=getattr(form, "original_name", "") if upload else "",
                sha256=getattr(form, "sha256", "") if upload else "",
                request=request,
            )
        except services.TrainingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("“%(title)s” is added.") % {"title": material.title})
            return redirect("training_module_edit", slug=module.slug)
    return _edit_page(request, module, material_form=form, status=413 if handler.too_large else 200)


@require_POST
def training_material_remove(request, slug: str, material_id: int):
    _require_staff(request)
    module = _module_or_404(slug)
    if not module.materials.filter(pk=material_id).exists():
        raise Http404
    removed = services.material_remove(
        actor=request.user, module_id=module.pk, material_id=material_id, request=request
    )
    messages.success(request, _("“%(title)s” is removed.") % {"title": removed.title})
    return redirect("training_module_edit", slug=module.slug)


# --- Training records -------------------------------------------------------------------------


def _record_page(request, person: Person, *, own: bool):
    context = {"record": training_record(person), "own": own, "zone": person.city.time_zone}
    return private(render(request, "trainings/catalogue/record.html", context))


@require_GET
def training_record_view(request, person_id: int):
    person, viewer = access_person(request, person_id)
    own = viewer.user.person_id == person.pk
    # Fellow members may see a person's name, but not what they have learned.
    if not own and not viewer.can_coordinate(person.city_id):
        raise Http404
    return _record_page(request, person, own=own)


@require_GET
def my_training(request):
    person = _own_person(request)
    if person is None:
        raise Http404
    return _record_page(request, person, own=True)
