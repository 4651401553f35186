"""Write the filtered directory as CSV or XLSX, a chunk at a time.

The columns are the import's, so an exported file can be edited and imported back; the
current groups and initiatives follow as read-only columns (the import ignores them).
Cells a spreadsheet would run as a formula get a leading apostrophe (CSV injection).
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from stakeholders.models import Leg, Person

COLUMNS = (
    "full_name",
    "role_title",
    "leg",
    "sector",
    "organisation",
    "email",
    "phone",
    "prevention_levels",
    "focus_areas",
    "consent",
    "working_groups",
    "initiatives",
)
CHUNK = 500
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would read as a formula (OWASP: CSV injection)."""
    if value and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def person_row(person: Person, words: dict | None = None) -> list[str]:
    words = words or _words()
    cells = [
        person.full_name,
        person.role_title,
        words[person.leg],
        person.sector.name,
        person.organisation.name if person.organisation_id else "",
        person.email,
        person.phone,
        ";".join(person.prevention_levels),
        ";".join(area.name for area in person.focus_areas.all()),
        words[person.consent_to_contact],
        ";".join(m.group.name for m in person.current_memberships),
        ";".join(initiative.name for initiative in person.initiatives.all()),
    ]
    return [safe_cell(cell) for cell in cells]


def _words() -> dict:
    """Leg labels and yes/no, translated once per file rather than once per cell."""
    return {**{leg.value: str(leg.label) for leg in Leg}, True: _("yes"), False: _("no")}


def _rows(people) -> Iterator[list[str]]:
    words = _words()
    # iterator() with a chunk size keeps the prefetches, a chunk at a time (bounded memory).
    for person in people.iterator(chunk_size=CHUNK):
        yield person_row(person, words)


class _Line:
    """csv.writer writes to this and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(people) -> Iterable[str]:
    writer = csv.writer(_Line())
    # A byte-order mark, so Excel opens the UTF-8 file with its accents intact.
    yield "\ufeff" + writer.writerow(COLUMNS)
    for row in _rows(people):
        yield writer.writerow(row)


def xlsx_file(people):
    """Write the workbook to a temporary file (openpyxl's write-only mode streams rows to
    disk) and return it, rewound."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Directory")[:31])
    sheet.append(list(COLUMNS))
    for row in _rows(people):
        sheet.append(row)
    output = tempfile.TemporaryFile()  # noqa: SIM115  (handed to FileResponse, which closes it)
    workbook.save(output)
    output.seek(0)
    return output
