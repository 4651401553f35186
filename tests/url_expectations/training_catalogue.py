"""URL permission rows for the training module catalogue, materials, self-paced completion
and training records.

The world's module has a TLP:AMBER PDF (open to staff and coordinators; the member was not
invited to a session of it, so to them it does not exist) and a TLP:CLEAR link. Coordinators
and staff hold no person record here: they have no training record of their own (404) and
cannot complete a module (403). The record shown is the member's.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from trainings.models import ModuleMaterial, TrainingModule

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
STAFF_ONLY = (LOGIN, 403, 403, 403, 200)

GET = {
    "training_modules": (LOGIN, 200, 200, 200, 200),
    "training_module": (LOGIN, 200, 200, 200, 200),
    "training_module_create": STAFF_ONLY,
    "training_module_edit": STAFF_ONLY,
    "training_module_complete": NOT_ALLOWED,
    "training_material_add": NOT_ALLOWED,
    "training_material_remove": NOT_ALLOWED,
    # TLP:AMBER: staff and coordinators; a member never invited to a session of it: 404.
    "training_material": (LOGIN, 404, 200, 200, 200),
    # The member's own record; their city's coordinator and staff; not another city's.
    "training_record": (LOGIN, 200, 200, 404, 200),
    "my_training": (LOGIN, 200, 404, 404, 404),
}
POST = {
    "training_modules": NOT_ALLOWED,
    "training_module": NOT_ALLOWED,
    # 200: an empty form comes back with its errors; nothing is saved.
    "training_module_create": STAFF_ONLY,
    "training_module_edit": STAFF_ONLY,
    # 302: back to the module with a message (materials unread: nothing recorded); people
    # without a person record have no training record to add to (403).
    "training_module_complete": (LOGIN, 302, 403, 403, 403),
    # 200: the edit page with the empty material form's errors; nothing is added.
    "training_material_add": STAFF_ONLY,
    # 302: back to the edit page with a message.
    "training_material_remove": (LOGIN, 403, 403, 403, 302),
    "training_material": NOT_ALLOWED,
    "training_record": NOT_ALLOWED,
    "my_training": NOT_ALLOWED,
}

# One small stored file shared by every run, so the matrix leaves no new file behind.
_MATRIX_PDF = "trainings/url-matrix/material.pdf"


def _stored_pdf() -> str:
    if default_storage.exists(_MATRIX_PDF):
        return _MATRIX_PDF
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return default_storage.save(_MATRIX_PDF, ContentFile(out.getvalue()))


def kwargs(base) -> dict:
    module = TrainingModule.objects.create(
        slug="url-matrix-module",
        title="Stakeholder identification (matrix)",
        summary="Finding the local actors across the four legs.",
        objectives="List the recommended seats\nSpot the gaps",
        duration_minutes=60,
    )
    amber = ModuleMaterial.objects.create(
        module=module,
        title="Seat gaps worksheet",
        kind="file",
        tlp="AMBER",
        file=_stored_pdf(),
        original_name="worksheet.pdf",
        size_bytes=1,
        sha256="0" * 64,
    )
    link = ModuleMaterial.objects.create(
        module=module, title="Toolkit chapter", kind="link", url="https://example.org/toolkit"
    )
    own = {"slug": module.slug}
    return {
        "training_module": own,
        "training_module_edit": own,
        "training_module_complete": own,
        "training_material_add": own,
        "training_material_remove": {**own, "material_id": link.pk},
        "training_material": {"material_id": amber.pk},
        "training_record": {"person_id": base["member"].person_id},
    }
