"""URL permission rows for the stakeholder directory (issue 6).

The directory holds people's contact details: coordinators of the city and network staff
only. A member of the city sees the city but not its directory (403); another city's
coordinator does not learn the city exists (404). The person edited is the member's own
record, so the member may see it (403 to change) and other coordinators may not (404).
"""

from stakeholders.models import DirectoryImport

LOGIN = "login"
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405)
DIRECTORY = (LOGIN, 403, 200, 404, 200)

GET = {
    "city_directory": DIRECTORY,
    "directory_person_create": DIRECTORY,
    "directory_person_edit": DIRECTORY,
    "directory_organisations": DIRECTORY,
    "directory_import": DIRECTORY,
    "directory_import_preview": DIRECTORY,
    "directory_import_confirm": NOT_ALLOWED,
    "directory_import_cancel": NOT_ALLOWED,
    "directory_export": DIRECTORY,
}
POST = {
    "city_directory": NOT_ALLOWED,
    # 200: an empty form comes back with its errors; nothing is saved.
    "directory_person_create": DIRECTORY,
    "directory_person_edit": DIRECTORY,
    "directory_organisations": DIRECTORY,
    # 200: no file chosen, the form comes back with its error.
    "directory_import": DIRECTORY,
    "directory_import_preview": NOT_ALLOWED,
    # 302: to the directory, or back to the preview once it is confirmed or cancelled.
    "directory_import_confirm": (LOGIN, 403, 302, 404, 302),
    "directory_import_cancel": (LOGIN, 403, 302, 404, 302),
    "directory_export": NOT_ALLOWED,
}


def kwargs(base) -> dict:
    city = base["city"]
    batch = DirectoryImport.objects.create(city=city, file_name="people.csv")
    own = {"slug": city.slug}
    batch_kwargs = {**own, "import_id": batch.pk}
    return {
        "city_directory": own,
        "directory_person_create": own,
        "directory_person_edit": {"person_id": base["member"].person_id},
        "directory_organisations": own,
        "directory_import": own,
        "directory_import_preview": batch_kwargs,
        "directory_import_confirm": batch_kwargs,
        "directory_import_cancel": batch_kwargs,
        "directory_export": {**own, "fmt": "csv"},
    }
