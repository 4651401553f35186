"""Writes for a city's institutionalisation (DOMAIN.md lesson 1): its lead, dedicated staff
and time, budget lines and grants to community organisations.

These are public-sector facts, not personal data, but they change what the network sees
of a city's durability, so each change is audited as a change of the city's settings.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from stakeholders.models import BudgetLine, City, CommunityGrant, Organisation, User


@dataclass
class InstitutionDetails:
    lead_role: str
    lead_portfolio: str
    dedicated_staff_fte: Decimal
    staff_hours_per_month: int
    next_mayoral_transition: date | None


@dataclass
class BudgetLineDetails:
    amount: Decimal
    fiscal_year: int
    source: str
    notes: str = ""


@dataclass
class GrantDetails:
    organisation: Organisation
    amount: Decimal
    fiscal_year: int
    purpose: str


def _as_kwargs(details) -> dict:
    # Not dataclasses.asdict: it deep-copies, and a GrantDetails holds a model instance.
    return {f.name: getattr(details, f.name) for f in fields(details)}


def _plain(value):
    """A value the audit log's JSON can hold, and a person can read."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _lock_city(city: City) -> City:
    # One writer at a time per city: the warnings are computed from all of these rows.
    return City.objects.select_for_update().get(pk=city.pk)


def city_institution_update(
    *, actor: User, city: City, details: InstitutionDetails, request=None
) -> list[str]:
    """Set the city's lead, portfolio, staff time and next transition; return the names of
    the fields that changed (none: nothing saved, nothing audited)."""
    with transaction.atomic():
        locked = _lock_city(city)
        changes = {}
        for name, value in _as_kwargs(details).items():
            before = getattr(locked, name)
            if before != value:
                changes[name] = {"from": _plain(before), "to": _plain(value)}
                setattr(locked, name, value)
        if not changes:
            return []
        locked.full_clean()
        locked.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action=AuditAction.CITY_SETTINGS_CHANGED,
            request=request,
            city=locked,
            target=locked,
            fields=sorted(changes),
            changes=changes,
        )
    for name in changes:
        setattr(city, name, getattr(locked, name))
    return sorted(changes)


def _audit_row_change(actor: User, city: City, request, field: str, **change) -> None:
    """One audit entry for a budget line or grant added to or removed from the city."""
    audit_record(
        actor=actor,
        action=AuditAction.CITY_SETTINGS_CHANGED,
        request=request,
        city=city,
        target=city,
        fields=[field],
        **change,
    )


def budget_line_add(
    *, actor: User, city: City, details: BudgetLineDetails, request=None
) -> BudgetLine:
    """Record a line for prevention in the city's budget."""
    with transaction.atomic():
        locked = _lock_city(city)
        line = BudgetLine(city=locked, **_as_kwargs(details))
        line.full_clean()
        line.save()
        _audit_row_change(
            actor, locked, request, "budget_lines", budget_line_added=_line_detail(line)
        )
    return line


def _line_detail(line: BudgetLine) -> dict:
    return {
        "id": line.pk,
        "fiscal_year": line.fiscal_year,
        "amount": str(line.amount),
        "source": line.source,
    }


def budget_line_remove(*, actor: User, city: City, line_id: int, request=None) -> bool:
    """Remove one of the city's budget lines; return False if it was already gone."""
    with transaction.atomic():
        locked = _lock_city(city)
        line = BudgetLine.objects.filter(city=locked, pk=line_id).first()
        if line is None:
            return False
        detail = _line_detail(line)
        line.delete()
        _audit_row_change(actor, locked, request, "budget_lines", budget_line_removed=detail)
    return True


def community_grant_add(
    *, actor: User, city: City, details: GrantDetails, request=None
) -> CommunityGrant:
    """Record a grant from the city to one of its own community organisations."""
    if details.organisation.city_id != city.pk:
        raise ValidationError(
            {"organisation": _("The organisation is in another city: grants go to the city's own.")}
        )
    with transaction.atomic():
        locked = _lock_city(city)
        grant = CommunityGrant(city=locked, **_as_kwargs(details))
        grant.full_clean()
        grant.save()
        _audit_row_change(
            actor, locked, request, "community_grants", grant_added=_grant_detail(grant)
        )
    return grant


def _grant_detail(grant: CommunityGrant) -> dict:
    return {
        "id": grant.pk,
        "organisation_id": grant.organisation_id,
        "fiscal_year": grant.fiscal_year,
        "amount": str(grant.amount),
    }


def community_grant_remove(*, actor: User, city: City, grant_id: int, request=None) -> bool:
    """Remove one of the city's grants; return False if it was already gone."""
    with transaction.atomic():
        locked = _lock_city(city)
        grant = CommunityGrant.objects.filter(city=locked, pk=grant_id).first()
        if grant is None:
            return False
        detail = _grant_detail(grant)
        grant.delete()
        _audit_row_change(actor, locked, request, "community_grants", grant_removed=detail)
    return True
