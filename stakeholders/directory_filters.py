"""The directory's filter form, read and written in Python.

A GET form: every field optional; a value that does not fit is ignored (and said). It
behaves as the Django form it replaces (a CharField `q` of at most 100 characters, stripped;
ChoiceFields for the leg and the level; TypedChoiceFields of ids for the other lists) and
writes the same markup as Django's widgets would; tests/test_directory_filters.py holds that
Django form and checks both against each other. Building a Django form copied and
normalised the city's hundred-odd choices on every request, and its rendering went through
a template per field: together about 2 ms of the directory page (`make bench`'s "roster",
issue 9).

The lists come from `DirectoryChoices` (read with the city, see
directory_selectors.cities_with_filter_choices), so checking a chosen organisation or group
costs no query.
"""

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from stakeholders.directory_selectors import DirectoryChoices, DirectoryFilters
from stakeholders.models import Leg, PreventionLevel
from stakeholders.widgets import options_html

Q_MAX_LENGTH = 100

# (name, label, help text, the "any" option's label, where the choices come from). The
# choices are a Leg/PreventionLevel enum or the name of a DirectoryChoices list (ids).
FIELDS = (
    ("q", _("Search"), _("Part of a name, role or organisation."), None, None),
    ("leg", _("Leg"), "", _("Any leg"), Leg),
    ("sector", _("Sector"), "", _("Any sector"), "sectors"),
    ("organisation", _("Organisation"), "", _("Any organisation"), "organisations"),
    ("group", _("Working group"), "", _("Any group"), "groups"),
    ("level", _("Prevention level"), "", _("Any level"), PreventionLevel),
    ("focus_area", _("Focus area"), "", _("Any focus area"), "focus_areas"),
)


@dataclass(frozen=True)
class FilterForm:
    """The filters as asked (`data`: the raw value of each field, None when absent or the
    form was not submitted), the valid ones (`filters`) and the fields whose value was
    ignored (`errors`)."""

    choices: DirectoryChoices
    data: dict[str, str | None]
    filters: DirectoryFilters
    errors: frozenset[str]

    def as_html(self) -> str:
        """The form's fields, as the directory page shows them (see `filter_fields_html`)."""
        return filter_fields_html(self)


def read_filters(query, choices: DirectoryChoices) -> FilterForm:
    """Read the filters from `query` (request.GET): an empty query is an unsubmitted form.

    Like Django's widgets, the last value of a repeated parameter counts.
    """
    bound = bool(query)
    data = {name: query.get(name) if bound else None for name, *_rest in FIELDS}
    errors = set()
    cleaned = {}
    # Search: stripped; too long or holding a NUL, it is ignored.
    q = (data["q"] or "").strip()
    if len(q) > Q_MAX_LENGTH or "\x00" in q:
        errors.add("q")
        q = ""
    for name, _label, _help, _blank, source in FIELDS[1:]:
        value = data[name]
        if not value:
            cleaned[name] = None
        elif value in _valid_values(source, choices):
            cleaned[name] = value
        else:
            errors.add(name)
            cleaned[name] = None
    as_id = {
        name: int(value) if value and name not in ("leg", "level") else None
        for name, value in cleaned.items()
    }
    return FilterForm(
        choices=choices,
        data=data,
        filters=DirectoryFilters(
            q=q,
            leg=cleaned["leg"] or "",
            sector_id=as_id["sector"],
            organisation_id=as_id["organisation"],
            group_id=as_id["group"],
            level=cleaned["level"] or "",
            focus_area_id=as_id["focus_area"],
        ),
        errors=frozenset(errors),
    )


def _valid_values(source, choices: DirectoryChoices):
    if isinstance(source, str):
        return {str(pk) for pk, _name in getattr(choices, source)}
    return source.values


# --- Writing the fields -------------------------------------------------------------------

# The option lists are escaped once per distinct list (shared with QuickSelect).
_options_html = options_html


@lru_cache(maxsize=16)
def _static_texts(language: str | None) -> dict:
    """The translated, escaped labels of one language."""
    texts = {"unknown": escape(gettext("This value is not known and is ignored."))}
    for name, label, help_text, blank, source in FIELDS:
        texts[name] = (escape(str(label)), escape(str(help_text)), escape(str(blank or "")))
        if source in (Leg, PreventionLevel):
            texts[f"{name}_options"] = tuple(
                (str(value), str(label)) for value, label in source.choices
            )
    return texts


def _attrs(name: str, invalid: bool, help_text: str, *, ordered: bool = False) -> str:
    """The attributes Django's BoundField adds: aria-invalid, aria-describedby, id (in
    name order when `ordered`, as flatatt writes a select's)."""
    described = [f"id_{name}_helptext"] if help_text else []
    if invalid:
        described.append(f"id_{name}_error")
    attrs = [("aria-invalid", "true")] if invalid else []
    if described:
        attrs.append(("aria-describedby", " ".join(described)))
    attrs.append(("id", f"id_{name}"))
    return "".join(f' {key}="{value}"' for key, value in (sorted(attrs) if ordered else attrs))


def filter_fields_html(form: FilterForm) -> str:
    """Each field in its `<div>` with its label, help text and the "not known" note."""
    texts = _static_texts(get_language())
    out = []
    for name, _label, _help, _blank, source in FIELDS:
        label, help_text, blank = texts[name]
        invalid = name in form.errors
        value = form.data[name]
        if source is None:
            shown = f' value="{escape(value)}"' if value else ""
            widget = (
                f'<input type="text" name="{name}"{shown} maxlength="{Q_MAX_LENGTH}"'
                f"{_attrs(name, invalid, help_text)}>"
            )
        else:
            pairs = (
                texts[f"{name}_options"]
                if not isinstance(source, str)
                else tuple((str(pk), title) for pk, title in getattr(form.choices, source))
            )
            options = _options_html((("", blank), *pairs))
            # As Django's Select: the first option with the asked value is chosen.
            plain = f'<option value="{escape(value or "")}">'
            options = options.replace(plain, f"{plain[:-1]} selected>", 1)
            attrs = _attrs(name, invalid, help_text, ordered=True)
            widget = f'<select name="{name}"{attrs}>{options}</select>'
        out.append(
            f'\n  <div>\n    <label for="id_{name}">{label}</label>\n    {widget}\n    '
            + (
                f'<span class="helptext" id="id_{name}_helptext">{help_text}</span>'
                if help_text
                else ""
            )
            + "\n    "
            + (f'<span class="errorlist" role="alert">{texts["unknown"]}</span>' if invalid else "")
            + "\n  </div>\n  "
        )
    return "".join(out)
