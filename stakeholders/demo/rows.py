"""Writing rows by natural key, and the small date and text helpers the builders share."""

import re
import unicodedata
from datetime import date, timedelta

from django.db import models


def upsert(model: type[models.Model], *, values: dict | None = None, **lookup) -> models.Model:
    """Find the row by its natural key, create it or bring it to `values`.

    Unlike update_or_create, it saves only when a value differs: a second run leaves
    unchanged rows (and their updated_at) alone.
    """
    values = {k: v for k, v in (values or {}).items() if k not in lookup}
    try:
        row = model.objects.get(**lookup)
    except model.DoesNotExist:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if _differs(row, name, value)]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save()
    return row


def _differs(row: models.Model, name: str, value) -> bool:
    model_field = row._meta.get_field(name)
    if model_field.is_relation:
        # Compare keys, not objects: reading the related object would cost a query.
        wanted = value.pk if isinstance(value, models.Model) else value
        return getattr(row, model_field.attname) != wanted
    return getattr(row, name) != value


# US public holidays a city would not meet on: fixed dates, then the Monday and Thursday ones.
FIXED_HOLIDAYS = {(1, 1), (6, 19), (7, 4), (11, 11), (12, 24), (12, 25), (12, 31)}


def is_holiday(day: date) -> bool:
    if (day.month, day.day) in FIXED_HOLIDAYS:
        return True
    monday, thursday, friday = day.weekday() == 0, day.weekday() == 3, day.weekday() == 4
    return (
        (day.month == 1 and monday and 15 <= day.day <= 21)  # Martin Luther King Jr. Day
        or (day.month == 5 and monday and day.day >= 25)  # Memorial Day
        or (day.month == 9 and monday and day.day <= 7)  # Labor Day
        or (day.month == 11 and thursday and 22 <= day.day <= 28)  # Thanksgiving
        or (day.month == 11 and friday and 23 <= day.day <= 29)  # and the day after
    )


def working_day(day: date) -> date:
    """The first weekday on or after `day` that is not a public holiday.

    Forward only, and by a few days at most: a convening planned 9 or more days ahead stays
    upcoming, one held 19 or more days ago stays past.
    """
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def email_part(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())
