"""Cities, the four legs, sectors, organisations, people and the accounts that sign in.

DOMAIN.md lesson 1: every person belongs to exactly one leg. Lesson 3: a sector taxonomy
of recommended seats. Roles, not office holders' names, are stored for cities.
"""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not an IANA time zone."), params={"zone": value})


class Leg(models.TextChoices):
    """The four legs of the stool (DOMAIN.md lesson 1). Fixed: the programme is built on them."""

    MAYOR_COUNCIL = "mayor_council", _("Mayor and council")
    CITY_STAFF = "city_staff", _("City staff")
    COMMUNITY = "community", _("Community organisations")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")


class PreventionLevel(models.TextChoices):
    PRIMARY = "primary", _("Primary (before harm)")
    SECONDARY = "secondary", _("Secondary (early intervention)")
    TERTIARY = "tertiary", _("Tertiary (after harm)")


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    funder = models.CharField(_("funder"), max_length=200, blank=True)
    grant_reference = models.CharField(_("grant reference"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("programme")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="programme_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


def default_reminder_offsets() -> list[int]:
    """24 hours and 2 hours before the start."""
    return [24 * 60, 2 * 60]


class CityFormOfGovernment(models.TextChoices):
    STRONG_MAYOR_COUNCIL = "strong_mayor_council", _("Strong mayor-council")
    MAYOR_COUNCIL = "mayor_council", _("Mayor-council")
    MAYOR_COUNCIL_MANAGER = "mayor_council_manager", _("Mayor-council-city manager")
    COUNCIL_MANAGER = "council_manager", _("Council-manager")
    COMMISSION = "commission", _("Commission")


class CityLeadPortfolio(models.TextChoices):
    DEI = "dei", _("Diversity, equity and inclusion")
    ANTI_HATE = "anti_hate", _("Anti-hate")
    ANTI_RACISM = "anti_racism", _("Anti-racism")
    PUBLIC_SAFETY = "public_safety", _("Public safety")
    MAYORS_OFFICE = "mayors_office", _("Mayor's office")
    CITY_MANAGERS_OFFICE = "city_managers_office", _("City manager's office")
    COMMUNITY_ENGAGEMENT = "community_engagement", _("Community engagement")


class CityPilotStatus(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active pilot")
    IMPLEMENTING = "implementing", _("Implementing its framework")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class City(models.Model):
    FormOfGovernment = CityFormOfGovernment

    LeadPortfolio = CityLeadPortfolio

    PilotStatus = CityPilotStatus

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="cities", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=120)
    state = models.CharField(_("state"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    population = models.PositiveIntegerField(_("population (2020 census)"), null=True, blank=True)
    form_of_government = models.CharField(
        _("form of government"), max_length=32, choices=FormOfGovernment.choices
    )
    government_notes = models.CharField(
        _("government notes"),
        max_length=200,
        blank=True,
        help_text=_("E.g. 9 district councillors; a 40-member Board of Representatives."),
    )
    lead_role = models.CharField(
        _("prevention lead's role"),
        max_length=200,
        blank=True,
        help_text=_("The office, not the office holder's name: people change."),
    )
    lead_portfolio = models.CharField(
        _("lead's portfolio"), max_length=32, choices=LeadPortfolio.choices, blank=True
    )
    # Minutes before a convening's start at which reminders go out; a convening may override.
    reminder_offsets_minutes = models.JSONField(
        _("reminders (minutes before)"), default=default_reminder_offsets
    )
    pilot_status = models.CharField(
        _("pilot status"),
        max_length=16,
        choices=PilotStatus.choices,
        default=PilotStatus.ONBOARDING,
    )
    # Institutionalisation (DOMAIN.md lesson 1): what keeps the effort alive past one office
    # holder. Budget lines and grants are rows of their own (BudgetLine, CommunityGrant).
    dedicated_staff_fte = models.DecimalField(
        _("dedicated staff (full-time equivalents)"),
        max_digits=4,
        decimal_places=2,
        default=0,
        help_text=_("E.g. 0.5 for a half-time prevention coordinator."),
    )
    staff_hours_per_month = models.PositiveIntegerField(
        _("staff hours a month"), default=0, help_text=_("Time given by staff of other offices.")
    )
    next_mayoral_transition = models.DateField(_("next mayoral transition"), null=True, blank=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]
        permissions = [("coordinate_city", _("Coordinate the city's working groups"))]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name", "state"], name="city_unique_in_programme"
            ),
            models.CheckConstraint(
                condition=models.Q(form_of_government__in=CityFormOfGovernment.values),
                name="city_form_of_government_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(pilot_status__in=CityPilotStatus.values),
                name="city_pilot_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.state}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class CityUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key table: a coordinator's scope is granted on the City."""

    content_object = models.ForeignKey(City, on_delete=models.CASCADE)


class CityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(City, on_delete=models.CASCADE)


class Sector(models.Model):
    """A recommended seat at the table (DOMAIN.md lesson 3)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    usual_leg = models.CharField(
        _("usual leg"),
        max_length=20,
        choices=Leg.choices,
        help_text=_("The leg people of this sector most often belong to."),
    )
    recommended = models.BooleanField(_("recommended seat"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("sector")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usual_leg__in=Leg.values), name="sector_usual_leg_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="organisations", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=200)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("sector"),
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="organisation_unique_in_city")
        ]

    def __str__(self) -> str:
        return self.name


class FocusArea(models.Model):
    """A theme a person's work touches (youth, online harms, faith, racial equity, ...)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("focus area")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A stakeholder: one city, exactly one leg, a sector, perhaps an organisation."""

    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="people", verbose_name=_("city")
    )
    full_name = models.CharField(_("full name"), max_length=200)
    role_title = models.CharField(
        _("role or title"),
        max_length=200,
        blank=True,
        help_text=_("E.g. Community Empowerment Officer, youth pastor, patrol sergeant."),
    )
    leg = models.CharField(_("leg"), max_length=20, choices=Leg.choices)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="people", verbose_name=_("sector")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    consent_to_contact = models.BooleanField(
        _("agreed to be contacted by the portal"), default=False
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    # Reminders only: invitations and changes to a convening still reach the person.
    reminders_enabled = models.BooleanField(_("send me reminders"), default=True)
    # Set when a mail server refused the address for good; the portal stops writing to it
    # until someone corrects the address (which clears the mark).
    email_bounced_at = models.DateTimeField(_("address bounced at"), null=True, blank=True)
    email_bounce_reason = models.CharField(_("bounce reason"), max_length=300, blank=True)
    # The prevention levels a person's work touches (SCN toolkit): booleans, not a list, so
    # the directory filters on an index in PostgreSQL and SQLite alike.
    works_primary = models.BooleanField(_("primary prevention"), default=False)
    works_secondary = models.BooleanField(_("secondary prevention"), default=False)
    works_tertiary = models.BooleanField(_("tertiary prevention"), default=False)
    focus_areas = models.ManyToManyField(
        FocusArea, blank=True, related_name="people", verbose_name=_("focus areas")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(leg__in=Leg.values), name="person_leg_valid"),
            # One person record per address, case-insensitively; people without mail are allowed.
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="person_email_unique_ci"
            ),
            models.CheckConstraint(
                condition=models.Q(consent_to_contact=False)
                | models.Q(consent_recorded_at__isnull=False),
                name="person_consent_has_date",
            ),
        ]
        indexes = [
            # The directory's alphabetical pages within one city, all legs or one: its page
            # query numbers the matching people from these alone (an index-only scan, no
            # sort), then reads the fifty rows it shows (issue 9).
            models.Index(
                fields=["city", "leg", "full_name", "id"], name="person_city_leg_name_idx"
            ),
            models.Index(
                fields=["city", "full_name", "id"], include=["leg"], name="person_city_name_leg_idx"
            ),
            models.Index(fields=["city", "sector"], name="person_city_sector_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def prevention_levels(self) -> list[str]:
        flags = {
            PreventionLevel.PRIMARY: self.works_primary,
            PreventionLevel.SECONDARY: self.works_secondary,
            PreventionLevel.TERTIARY: self.works_tertiary,
        }
        return [level for level, on in flags.items() if on]

    def clean(self) -> None:
        if self.organisation_id and self.city_id and self.organisation.city_id != self.city_id:
            raise ValidationError({"organisation": _("The organisation is in another city.")})


class LocalMomentKind(models.TextChoices):
    ELECTION = "election", _("Election")
    SCHOOL_YEAR = "school_year", _("School-year start")
    STUDENTS_RETURN = "students_return", _("Students' return")
    GLOBAL_CRISIS_ECHO = "global_crisis_echo", _("Local echo of a global crisis")
    COMMEMORATION = "commemoration", _("Commemoration or festival")
    OTHER = "other", _("Other")


class LocalMoment(models.Model):
    """A moment in a city's year when hate and polarisation may flare, or cohesion be built.

    Convenings and landscape briefings are tied to these (DOMAIN.md lesson 7: the local,
    offline effects of the digital landscape).
    """

    Kind = LocalMomentKind

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="local_moments", verbose_name=_("city")
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("local moment")
        ordering = ["starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LocalMomentKind.values), name="local_moment_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="local_moment_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["city", "starts_on"], name="local_moment_city_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_on:%Y-%m-%d})"


class BudgetLine(models.Model):
    """A line in the city's budget for prevention: the surest sign it will outlast a term."""

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("city")
    )
    amount = models.DecimalField(_("amount (USD)"), max_digits=12, decimal_places=2)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    source = models.CharField(
        _("source"), max_length=200, help_text=_("E.g. general fund, a federal grant.")
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("budget line")
        ordering = ["-fiscal_year", "source"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=2000, fiscal_year__lte=2100),
                name="budget_fiscal_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.source}: {self.amount}"


class CommunityGrant(models.Model):
    """Money the city gives a community organisation for prevention work."""

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="community_grants", verbose_name=_("city")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("organisation"),
    )
    amount = models.DecimalField(_("amount (USD)"), max_digits=12, decimal_places=2)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    purpose = models.CharField(_("purpose"), max_length=300)

    class Meta:
        verbose_name = _("community grant")
        ordering = ["-fiscal_year", "organisation__name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="grant_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.organisation}: {self.amount}"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Imported")
    CANCELLED = "cancelled", _("Cancelled")


class DirectoryImport(models.Model):
    """An uploaded CSV or XLSX of people, parsed and checked but not yet saved.

    The parsed rows wait here until the coordinator confirms the preview; nothing reaches
    the directory before that, and a cancelled import leaves no trace but this row.
    """

    Status = ImportStatus

    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="directory_imports", verbose_name=_("city")
    )
    created_by = models.ForeignKey(
        "stakeholders.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEW
    )
    # [{"line": 2, "values": {...}, "action": "create" | "update" | "skip", "match": id}, ...]
    rows = models.JSONField(_("rows"), default=list)
    # [{"line": 3, "column": "email", "message": "..."}, ...]
    errors = models.JSONField(_("errors"), default=list)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory import")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account that signs in with its email address, linked to a person where it is one."""

    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    person = models.OneToOneField(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        verbose_name=_("person record"),
    )
    is_network_staff = models.BooleanField(
        _("network staff"),
        default=False,
        help_text=_("Strong Cities staff: review progress across all pilots."),
    )
    # Kept in step with the coordinate_city permission rows (stakeholders/signals.py), which
    # stay the truth for a coordinator's scope. It lets the two-factor check of every request
    # (ManagerMfaMiddleware) tell a member from a coordinator from the user row it has already
    # loaded, instead of a query on each member's page and answer.
    is_city_coordinator = models.BooleanField(
        _("city coordinator"),
        default=False,
        editable=False,
        help_text=_("Coordinates at least one city (set by granting the city's coordination)."),
    )
    is_briefing_author = models.BooleanField(
        _("briefing author"),
        default=False,
        help_text=_("Network analysts who write landscape briefings."),
    )
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or (self.person.full_name if self.person_id else self.email)

    def get_short_name(self) -> str:
        return self.get_full_name()


def new_invitation_nonce() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def invitation_expiry():
    from datetime import timedelta

    from django.conf import settings

    return timezone.now() + timedelta(days=getattr(settings, "ACCOUNT_INVITATION_DAYS", 7))


class AccountInvitation(models.Model):
    """An invitation to open an account for a person record: people join by invitation only.

    The link in the message is signed over (id, nonce); a re-send draws a new nonce so the
    older links stop working, and accepting or revoking closes the invitation for good.
    """

    # Erasing a person takes their invitations (and the address copied into them) along;
    # the audit log keeps that the invitation happened.
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="account_invitations",
        verbose_name=_("person"),
    )
    # The address the link was sent to: accepting is refused once the person's address
    # has changed, because whoever holds the old mailbox is no longer that person.
    email = models.EmailField(_("sent to"))
    invited_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    nonce = models.CharField(_("nonce"), max_length=64, default=new_invitation_nonce)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), default=invitation_expiry)
    sent_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account invitation")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two open invitations for one person would mean two live links to one record.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="account_invitation_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="account_invitation_not_accepted_and_revoked",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="account_invitation_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.created_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.is_open and self.expires_at <= timezone.now()
