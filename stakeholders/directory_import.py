"""Read an uploaded CSV or XLSX of people and plan what importing it would do.

Nothing here writes: the plan (rows to create, update or skip, and every problem found,
with its row and column) waits in a DirectoryImport until the coordinator confirms it
(stakeholders.directory_services). Problems with the file as a whole (too large, not
UTF-8, not a workbook, columns missing) raise ImportFileError with a message for the
coordinator; problems with one row are reported for that row and the row is left out.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override

from stakeholders.models import City, FocusArea, Leg, Organisation, Person, PreventionLevel, Sector

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
# Columns past this many are not read: a sheet with thousands of columns is not a directory.
MAX_COLUMNS = 50
# A workbook is a zip: refuse one that would expand far beyond the upload limit (zip bomb).
XLSX_EXPANSION_FACTOR = 20

REQUIRED_COLUMNS = ("full_name", "leg", "sector", "email")
OPTIONAL_COLUMNS = (
    "role_title",
    "organisation",
    "phone",
    "prevention_levels",
    "focus_areas",
    "consent",
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Spellings people use in spreadsheets for the same columns.
COLUMN_ALIASES = {
    "name": "full_name",
    "email_address": "email",
    "e_mail": "email",
    "organization": "organisation",
    "role": "role_title",
    "title": "role_title",
    "levels": "prevention_levels",
    "focus_area": "focus_areas",
    "consent_to_contact": "consent",
}

FIELD_LIMITS = {"full_name": 200, "role_title": 200, "organisation": 200, "phone": 40, "email": 254}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
# Export escapes cells starting with these by a leading apostrophe; the import undoes it so
# an exported file reads back unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ACTION_CREATE = "create"
ACTION_UPDATE = "update"
ACTION_SKIP = "skip"
REASON_ERROR = "error"
REASON_DUPLICATE = "duplicate"
REASON_UNCHANGED = "unchanged"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportPlan:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def max_upload_bytes() -> int:
    return int(getattr(settings, "DIRECTORY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload_size(size: int) -> None:
    """Refuse a file over the limit before anything reads it."""
    limit = max_upload_bytes()
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )


# --- Reading the table ----------------------------------------------------------------------


def read_table(upload) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """Return the header's row number, the header and the data rows (row number, cells)."""
    check_upload_size(upload.size)
    name = (upload.name or "").lower()
    data = upload.read(max_upload_bytes() + 1)
    check_upload_size(len(data))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if name.endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(data)
    elif name.endswith((".csv", ".txt")) or "." not in name:
        records = _csv_records(data)
    elif name.endswith(".xls"):
        raise ImportFileError(
            _(
                "Old Excel files (.xls) cannot be read. Save the sheet as an Excel workbook "
                "(.xlsx) or as CSV UTF-8, then upload it again."
            )
        )
    else:
        raise ImportFileError(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
    return _header_and_rows(records)


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            _(
                "The file is not a CSV text file (it holds binary data). Save the sheet as "
                "CSV UTF-8, or upload the Excel workbook itself with its .xlsx name."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not UTF-8 (the first character that cannot be read is on line "
                "%(line)s). In Excel choose Save As, then \u201cCSV UTF-8\u201d; in LibreOffice "
                "tick \u201cEdit filter settings\u201d and choose Unicode (UTF-8)."
            )
            % {"line": line}
        ) from None
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    # Spreadsheets in many locales write semicolons or tabs between columns.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for cells in reader:
            number += 1
            yield number, [cell.strip() for cell in cells[:MAX_COLUMNS]]
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file cannot be read near line %(line)s: %(problem)s.")
            % {"line": reader.line_num, "problem": error}
        ) from None


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    not_a_workbook = _(
        "The file is not an Excel workbook that can be read (it may be damaged, or another "
        "kind of file renamed to .xlsx). Save it again from your spreadsheet as .xlsx, or as "
        "CSV UTF-8."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(not_a_workbook) from None
    if expanded > max_upload_bytes() * XLSX_EXPANSION_FACTOR:
        raise ImportFileError(
            _("The workbook expands to far more data than a directory holds; it is not read.")
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a malformed workbook; all mean the same
        raise ImportFileError(not_a_workbook) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(not_a_workbook)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        for number, values in enumerate(rows, start=1):
            yield number, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception:  # a damaged sheet fails while its rows are read, not when opened
        raise ImportFileError(not_a_workbook) from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _column_name(text: str) -> str:
    name = slugify(text.strip().lower()).replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def _header_and_rows(records) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    header: list[str] | None = None
    header_number = 1
    rows: list[tuple[int, list[str]]] = []
    for number, cells in records:
        if not any(cells):
            continue
        if header is None:
            header = [_column_name(cell) for cell in cells]
            header_number = number
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s people; split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        rows.append((number, cells))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns. Missing: %(missing)s. Required: "
                "%(required)s; optional: %(optional)s."
            )
            % {
                "missing": ", ".join(missing),
                "required": ", ".join(REQUIRED_COLUMNS),
                "optional": ", ".join(OPTIONAL_COLUMNS),
            }
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ImportFileError(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(repeated)}
        )
    if not rows:
        raise ImportFileError(_("The file names its columns but lists no people."))
    return header_number, header, rows


# --- Checking the rows ------------------------------------------------------------------------


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _choice_lookup(choices) -> dict[str, str]:
    """Value, label and slug of each choice (English and current language), folded."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        spellings = {value, value.replace("_", "-"), value.replace("_", " "), str(label)}
        with override("en"):
            spellings.add(str(label))
        spellings |= {slugify(spelling) for spelling in list(spellings)}
        for spelling in spellings:
            lookup[_key(spelling)] = value
    return lookup


class _Lookups:
    """Everything a row is checked against, read once per file."""

    def __init__(self, city: City) -> None:
        self.legs = _choice_lookup(Leg.choices)
        self.levels = _choice_lookup(PreventionLevel.choices)
        self.sectors: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            for spelling in (sector.slug, sector.name, slugify(sector.name)):
                self.sectors[_key(spelling)] = sector
        self.focus_areas: dict[str, FocusArea] = {}
        for area in FocusArea.objects.all():
            for spelling in (area.slug, area.name):
                self.focus_areas[_key(spelling)] = area
        self.organisations = {
            _key(name): pk
            for pk, name in Organisation.objects.filter(city=city).values_list("pk", "name")
        }


def _unescape(text: str) -> str:
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _split_list(text: str) -> list[str]:
    parts = text.replace(",", ";").replace("|", ";").split(";")
    return [part.strip() for part in parts if part.strip()]


def _check_row(number: int, cells: dict[str, str], lookups: _Lookups) -> tuple[dict, list[dict]]:
    """Return the row's values (only the columns the file has) and its problems."""
    errors: list[dict] = []

    def problem(column: str, message: str) -> None:
        errors.append({"line": number, "column": column, "message": message})

    values: dict = {}
    for column, limit in FIELD_LIMITS.items():
        if column in cells and len(cells[column]) > limit:
            problem(
                column,
                _("Longer than %(limit)s characters.") % {"limit": limit},
            )
    full_name = cells["full_name"]
    if not full_name:
        problem("full_name", _("A name is required."))
    values["full_name"] = full_name[:200]

    leg_text = cells["leg"]
    leg = lookups.legs.get(_key(leg_text))
    if not leg_text:
        problem("leg", _("A leg is required: every person belongs to exactly one."))
    elif leg is None:
        problem(
            "leg",
            _("\u201c%(value)s\u201d is not one of the four legs (%(legs)s).")
            % {"value": leg_text[:60], "legs": ", ".join(str(label) for label in Leg.labels)},
        )
    values["leg"] = leg or ""

    sector_text = cells["sector"]
    sector = lookups.sectors.get(_key(sector_text))
    if not sector_text:
        problem("sector", _("A sector is required."))
    elif sector is None:
        problem(
            "sector",
            _("\u201c%(value)s\u201d is not one of the recommended sectors.")
            % {"value": sector_text[:60]},
        )
    values["sector_id"] = sector.pk if sector else None
    values["sector"] = sector.name if sector else sector_text[:120]

    email = cells["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem(
                "email",
                _("\u201c%(value)s\u201d is not an email address.") % {"value": email[:80]},
            )
    values["email"] = email[:254]

    for column in ("role_title", "phone"):
        if column in cells:
            values[column] = cells[column][: FIELD_LIMITS[column]]
    if "organisation" in cells:
        name = " ".join(cells["organisation"].split())[:200]
        values["organisation"] = name
        values["organisation_id"] = lookups.organisations.get(_key(name)) if name else None

    if "prevention_levels" in cells:
        levels = []
        for part in _split_list(cells["prevention_levels"]):
            level = lookups.levels.get(_key(part))
            if level is None:
                problem(
                    "prevention_levels",
                    _(
                        "\u201c%(value)s\u201d is not a prevention level "
                        "(primary, secondary, tertiary)."
                    )
                    % {"value": part[:60]},
                )
            elif level not in levels:
                levels.append(level)
        values["levels"] = levels

    if "focus_areas" in cells:
        areas: list[FocusArea] = []
        unknown = []
        for part in _split_list(cells["focus_areas"]):
            area = lookups.focus_areas.get(_key(part))
            if area is None:
                unknown.append(part[:60])
            elif area not in areas:
                areas.append(area)
        if unknown:
            problem(
                "focus_areas",
                _("Unknown focus areas: %(names)s.") % {"names": ", ".join(unknown)},
            )
        values["focus_area_ids"] = [area.pk for area in areas]
        values["focus_areas"] = [area.name for area in areas]

    if "consent" in cells:
        answer = cells["consent"].strip().casefold()
        if answer in YES:
            values["consent"] = True
        elif answer in NO:
            values["consent"] = False
        else:
            problem("consent", _("Write \u201cyes\u201d or \u201cno\u201d."))
    return values, errors


def plan_import(city: City, upload) -> ImportPlan:
    """Read `upload` and plan, row by row, what confirming it would do in `city`.

    Duplicates: an address already in this city's directory updates that person; one in
    another city's is an error (an address belongs to one person); a name and organisation
    already in the directory, or met earlier in the file, is skipped.
    """
    header_number, header, records = read_table(upload)
    unknown = [name for name in header if name and name not in KNOWN_COLUMNS]
    plan = ImportPlan()
    if unknown:
        plan.errors.append(
            {
                "line": header_number,
                "column": ", ".join(unknown[:10]),
                "message": _("Columns not known to the directory are ignored."),
            }
        )
    lookups = _Lookups(city)
    checked = []
    for number, cells in records:
        row = {
            name: _unescape(cells[index]) if index < len(cells) else ""
            for index, name in enumerate(header)
            if name in KNOWN_COLUMNS
        }
        values, errors = _check_row(number, row, lookups)
        checked.append((number, values, errors))

    by_email = _people_by_email(
        {values["email"].casefold() for _n, values, errors in checked if values["email"]}
    )
    by_name_and_org = _people_by_name_and_organisation(
        city, {_key(values["full_name"]) for _n, values, _e in checked}
    )
    matched = {person["pk"] for person in by_email.values() if person["city_id"] == city.pk}
    current = _current_values(matched)

    seen_emails: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for number, values, errors in checked:
        row = {"line": number, "values": values, "action": ACTION_SKIP, "match": None}
        email_key = values["email"].casefold()
        name_key = (_key(values["full_name"]), _key(values.get("organisation", "")))
        existing = by_email.get(email_key) if email_key else None
        if existing is not None and existing["city_id"] != city.pk:
            errors.append(
                {
                    "line": number,
                    "column": "email",
                    "message": _(
                        "This address belongs to a person in another city's directory; an "
                        "address can belong to one person only."
                    ),
                }
            )
        plan.errors.extend(errors)
        if errors:
            row["reason"] = REASON_ERROR
        elif email_key and email_key in seen_emails:
            row["reason"] = REASON_DUPLICATE
            row["message"] = _("Same address as row %(line)s.") % {"line": seen_emails[email_key]}
        elif name_key in seen_names:
            row["reason"] = REASON_DUPLICATE
            row["message"] = _("Same name and organisation as row %(line)s.") % {
                "line": seen_names[name_key]
            }
        elif existing is not None:
            row["match"] = existing["pk"]
            changes = _changes(values, current[existing["pk"]])
            if changes:
                row["action"] = ACTION_UPDATE
                row["changes"] = changes
            else:
                row["reason"] = REASON_UNCHANGED
        elif name_key in by_name_and_org:
            row["reason"] = REASON_DUPLICATE
            row["match"] = by_name_and_org[name_key]
            row["message"] = _(
                "A person with this name and organisation is already in the directory with "
                "another address: edit that person instead."
            )
        else:
            row["action"] = ACTION_CREATE
        if not errors:
            if email_key:
                seen_emails.setdefault(email_key, number)
            seen_names.setdefault(name_key, number)
        plan.rows.append(row)
    return plan


def _people_by_email(emails: set[str]) -> dict[str, dict]:
    if not emails:
        return {}
    found = (
        Person.objects.annotate(email_key=Lower("email"))
        .filter(email_key__in=emails)
        .values("pk", "city_id", "email_key")
    )
    return {person["email_key"]: person for person in found}


def _people_by_name_and_organisation(city: City, names: set[str]) -> dict[tuple[str, str], int]:
    found = (
        Person.objects.filter(city=city)
        .annotate(name_key=Lower("full_name"))
        .filter(name_key__in=names)
        .values_list("pk", "full_name", "organisation__name")
    )
    return {(_key(name), _key(organisation or "")): pk for pk, name, organisation in found}


def _current_values(person_ids: set[int]) -> dict[int, dict]:
    """What an update would change is compared against these."""
    people = (
        Person.objects.filter(pk__in=person_ids)
        .select_related("organisation")
        .prefetch_related("focus_areas")
    )
    return {
        person.pk: {
            "full_name": person.full_name,
            "role_title": person.role_title,
            "leg": person.leg,
            "sector_id": person.sector_id,
            "organisation": person.organisation.name if person.organisation_id else "",
            "phone": person.phone,
            "levels": sorted(person.prevention_levels),
            "focus_area_ids": sorted(area.pk for area in person.focus_areas.all()),
            "consent": person.consent_to_contact,
        }
        for person in people
    }


def _changes(values: dict, current: dict) -> list[str]:
    changes = []
    for name in ("full_name", "role_title", "leg", "sector_id", "phone", "consent"):
        if name in values and values[name] != current[name]:
            changes.append(name.removesuffix("_id"))
    if "organisation" in values and _key(values["organisation"]) != _key(current["organisation"]):
        changes.append("organisation")
    if "levels" in values and sorted(values["levels"]) != current["levels"]:
        changes.append("prevention_levels")
    if "focus_area_ids" in values and sorted(values["focus_area_ids"]) != current["focus_area_ids"]:
        changes.append("focus_areas")
    return changes


def plan_counts(rows: list[dict]) -> dict[str, int]:
    """How many rows each outcome has, for the preview and the confirmation message."""
    counts = {"create": 0, "update": 0, "duplicate": 0, "unchanged": 0, "error": 0}
    for row in rows:
        if row["action"] in (ACTION_CREATE, ACTION_UPDATE):
            counts[row["action"]] += 1
        else:
            counts[row.get("reason", REASON_ERROR)] += 1
    return counts
