"""Forms for writing landscape briefings: the text, the TLP marking, the audience, PDFs.

The audience is checked against the marking here (briefings.audience.audience_errors), so
the author reads what TLP does not allow before anything is saved; the services check again.
Choice lists that grow with the programme (working groups, organisations, local moments)
are grouped by city; named people are typed as email addresses, because a select of every
person in every city would be unusable and unbounded.
"""

import hashlib
import io
import re
import unicodedata
import zoneinfo
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.forms.models import ModelChoiceIterator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from briefings.audience import Audience, audience_errors, audience_of
from briefings.authoring_services import BriefingData
from briefings.markdown import markdown_has_html
from briefings.models import TLP, LandscapeBriefing
from stakeholders.models import City, Leg, LocalMoment, Organisation, Person, Sector
from workinggroups.models import WorkingGroup
from workinggroups.series import NonexistentLocalTime, resolve_local

DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# How far back and ahead local moments are offered; ones already chosen always stay.
MOMENTS_PAST = timedelta(days=365)
MOMENTS_AHEAD = timedelta(days=2 * 365)
# Named people typed in one go; more than this is a city or a group, not "named people".
MAX_NAMED_PEOPLE = 200

# The marking in plain words (FIRST's TLP 2.0 definitions), for the radio buttons, the
# banner and the guide page.
TLP_PLAIN_WORDS = {
    TLP.CLEAR: _("No limit on sharing: it may be shared with anyone, publicly too."),
    TLP.GREEN: _(
        "Share within the community (the working groups and partners), "
        "but not publicly: not on websites or social media."
    ),
    TLP.AMBER: _(
        "Share only within the recipient's own organisation and with its clients "
        "who need to know to protect themselves or prevent harm."
    ),
    TLP.AMBER_STRICT: _("Share only within the recipient's own organisation, with no one else."),
    TLP.RED: _(
        "For the named recipients only, as if said in a closed meeting: "
        "do not share it with anyone."
    ),
}


def attachment_max_bytes() -> int:
    return int(getattr(settings, "BRIEFING_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


class GroupedChoiceIterator(ModelChoiceIterator):
    """Options grouped by city (<optgroup>), from one query, evaluated only when rendered.

    The queryset must select_related the city and order by it.
    """

    def __iter__(self):
        groups: dict[str, list] = {}
        for obj in self.queryset:
            groups.setdefault(self.field.group_label(obj), []).append(self.choice(obj))
        yield from groups.items()


class GroupedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = GroupedChoiceIterator

    def __init__(self, queryset, *, group_label=lambda obj: str(obj.city), **kwargs) -> None:
        self.group_label = group_label
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 8}))
        super().__init__(queryset, **kwargs)


class NamedPeopleField(forms.CharField):
    """Named recipients typed as email addresses, one per line (or separated by commas).

    Returns the matching people's ids; unknown addresses are an error naming them.
    """

    widget = forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in re.split(r"[\s,;]+", text) if part.strip()]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def clean(self, value):
        addresses = self.to_python(value)
        self.validate(addresses)
        if len(addresses) > MAX_NAMED_PEOPLE:
            raise ValidationError(
                _(
                    "Name at most %(max)s people; to reach more, choose their working groups, "
                    "cities or organisations."
                ),
                params={"max": MAX_NAMED_PEOPLE},
            )
        bad = [address for address in addresses if not _is_email(address)]
        if bad:
            raise ValidationError(
                _("Not an email address: %(list)s."), params={"list": ", ".join(bad)}
            )
        wanted = {address.lower() for address in addresses}
        if not wanted:
            return frozenset()
        found = dict(
            Person.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=wanted)
            .values_list("email_lower", "pk")
        )
        unknown = sorted(wanted - set(found))
        if unknown:
            raise ValidationError(
                _("No person in the directory has this address: %(list)s."),
                params={"list": ", ".join(unknown)},
            )
        return frozenset(found.values())


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _tlp_choices():
    return [(value, f"{label} — {TLP_PLAIN_WORDS[value]}") for value, label in TLP.choices]


class BriefingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary line"),
        max_length=300,
        help_text=_("One or two sentences. AMBER and RED mail carries only the title and this."),
    )
    body_markdown = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Written in Markdown (## for a heading, * for a list, [text](https://…) for a "
            "link). HTML is removed, not shown."
        ),
    )
    tlp = forms.ChoiceField(
        label=_("TLP marking"),
        choices=_tlp_choices,
        widget=forms.RadioSelect,
        help_text=_("Who recipients may share it with. The marking limits who can receive it."),
    )
    review_by = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When to check whether it still holds."),
    )
    local_moments = GroupedModelMultipleChoiceField(
        LocalMoment.objects.none(),
        label=_("Local moments it relates to"),
        required=False,
        help_text=_("Moments from the past year and the next two, grouped by city."),
    )
    audience_cities = forms.ModelMultipleChoiceField(
        City.objects.order_by("name"),
        label=_("Cities"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everyone at the city's working groups."),
    )
    audience_groups = GroupedModelMultipleChoiceField(
        WorkingGroup.objects.select_related("city").order_by("city__name", "name"),
        label=_("Working groups"),
        required=False,
    )
    audience_organisations = GroupedModelMultipleChoiceField(
        Organisation.objects.select_related("city").order_by("city__name", "name"),
        label=_("Organisations"),
        required=False,
        help_text=_("Everyone in the directory who belongs to them."),
    )
    audience_legs = forms.MultipleChoiceField(
        label=_("Only these legs"),
        choices=Leg.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Narrows the cities, groups or organisations chosen; none means all legs."),
    )
    audience_sectors = forms.ModelMultipleChoiceField(
        Sector.objects.order_by("position", "name"),
        label=_("Only these sectors"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Narrows the audience like legs do; none means all sectors."),
    )
    audience_people = NamedPeopleField(
        label=_("Named people"),
        required=False,
        help_text=_(
            "Their email addresses, one per line. Named people always receive it; for "
            "TLP:RED they are the only recipients."
        ),
    )
    shown_to_all_signed_in = forms.BooleanField(
        label=_("Also show it to every signed-in user (TLP:CLEAR only)"), required=False
    )

    AUDIENCE_FIELDS = (
        "audience_cities",
        "audience_groups",
        "audience_organisations",
        "audience_legs",
        "audience_sectors",
        "audience_people",
        "shown_to_all_signed_in",
    )
    CONTENT_FIELDS = ("title", "summary", "body_markdown", "tlp")

    def __init__(self, *args, briefing: LandscapeBriefing | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.briefing = briefing
        today = timezone.localdate()
        moments = LocalMoment.objects.filter(
            starts_on__lte=today + MOMENTS_AHEAD, starts_on__gte=today - MOMENTS_PAST
        )
        if briefing is not None:
            moments = moments | LocalMoment.objects.filter(briefings=briefing)
        self.fields["local_moments"].queryset = (
            moments.distinct().select_related("city").order_by("city__name", "starts_on", "title")
        )
        # Warnings never block saving; the view shows them after a save.
        self.warnings: list[str] = []
        self.locked = briefing is not None and briefing.status in (
            LandscapeBriefing.Status.PUBLISHED,
            LandscapeBriefing.Status.WITHDRAWN,
        )
        if self.locked:
            # Recipients already have the text: only the review date and moments may change.
            for name in (*self.CONTENT_FIELDS, *self.AUDIENCE_FIELDS):
                self.fields[name].disabled = True
        # Named people without an address cannot be typed in; they stay named.
        self.named_without_email = (
            list(briefing.audience_people.filter(email="").order_by("full_name"))
            if briefing is not None
            else []
        )

    @staticmethod
    def initial_from(briefing: LandscapeBriefing) -> dict:
        emails = briefing.audience_people.order_by("email").values_list("email", flat=True)
        return {
            "title": briefing.title,
            "summary": briefing.summary,
            "body_markdown": briefing.body_markdown,
            "tlp": briefing.tlp,
            "review_by": briefing.review_by,
            "local_moments": list(briefing.local_moments.values_list("pk", flat=True)),
            "audience_cities": list(briefing.audience_cities.values_list("pk", flat=True)),
            "audience_groups": list(briefing.audience_groups.values_list("pk", flat=True)),
            "audience_organisations": list(
                briefing.audience_organisations.values_list("pk", flat=True)
            ),
            "audience_legs": list(briefing.audience_legs.values_list("leg", flat=True)),
            "audience_sectors": list(briefing.audience_sectors.values_list("pk", flat=True)),
            "audience_people": "\n".join(emails),
            "shown_to_all_signed_in": briefing.shown_to_all_signed_in,
        }

    def clean_review_by(self):
        value = self.cleaned_data.get("review_by")
        if value is not None and not 2000 <= value.year <= 2100:
            raise ValidationError(_("Give a date between 2000 and 2100."))
        return value

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in ("tlp", *self.AUDIENCE_FIELDS)):
            return cleaned
        for message in audience_errors(self.audience()):
            self.add_error(None, message)
        if markdown_has_html(cleaned.get("body_markdown", "")):
            self.warnings.append(
                str(
                    _(
                        "The body contains HTML; it is removed when the briefing is shown. "
                        "Use Markdown instead."
                    )
                )
            )
        return cleaned

    def audience(self) -> Audience:
        if self.locked:
            return audience_of(self.briefing)
        data = self.cleaned_data

        def ids(name):
            return frozenset(obj.pk for obj in data.get(name) or ())

        return Audience(
            tlp=data.get("tlp", ""),
            cities=ids("audience_cities"),
            groups=ids("audience_groups"),
            organisations=ids("audience_organisations"),
            people=frozenset(data.get("audience_people") or ())
            | {person.pk for person in self.named_without_email},
            legs=frozenset(data.get("audience_legs") or ()),
            sectors=ids("audience_sectors"),
            shown_to_all_signed_in=bool(data.get("shown_to_all_signed_in")),
        )

    def briefing_data(self) -> BriefingData:
        data = self.cleaned_data
        return BriefingData(
            title=data["title"].strip(),
            summary=data["summary"].strip(),
            body_markdown=data["body_markdown"],
            review_by=data.get("review_by"),
            local_moment_ids=frozenset(m.pk for m in data.get("local_moments") or ()),
            audience=self.audience(),
        )


# --- Attachments ------------------------------------------------------------------------------

PDF_CONTENT_TYPES = {"application/pdf", "application/x-pdf"}


def safe_file_name(name: str) -> str:
    """The uploaded file's name, made safe to show and to put in a download header:
    no path, no control characters, at most 200 characters, ending in .pdf."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'["<>:|?*]+', "_", name).strip(" .")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem[:190] or "attachment"
    return f"{stem}.pdf"


class AttachmentForm(forms.Form):
    """One PDF: checked by extension, declared type, its first bytes, and by opening it.

    A file can be renamed to .pdf and sent with any declared type, so the bytes decide;
    opening it with pypdf refuses broken and password-protected files, which could not be
    read or stamped for AMBER and RED downloads.
    """

    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set when the upload handler stopped reading an oversized file (see the view).
        self.too_large = too_large
        self.fields["file"].help_text = _("PDF only, at most %(size)s.") % {
            "size": filesizeformat(attachment_max_bytes())
        }

    def _too_large_message(self):
        return _("The file is too large: attachments may be at most %(size)s.") % {
            "size": filesizeformat(attachment_max_bytes())
        }

    def clean(self):
        if self.too_large:
            # The handler skipped the file, so "required" would be misleading.
            self.errors.pop("file", None)
            raise ValidationError(self._too_large_message(), code="too_large")
        return super().clean()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > attachment_max_bytes():
            raise ValidationError(self._too_large_message(), code="too_large")
        if not upload.name.lower().endswith(".pdf"):
            raise ValidationError(_("Only PDF files can be attached (the name must end in .pdf)."))
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        if content_type not in PDF_CONTENT_TYPES:
            raise ValidationError(_("Only PDF files can be attached; this file is not a PDF."))
        upload.seek(0)
        if upload.read(5) != b"%PDF-":
            raise ValidationError(
                _("This file is not a PDF, although its name ends in .pdf. Attach a real PDF.")
            )
        problem = _pdf_problem(upload)
        if problem:
            raise ValidationError(problem)
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        self.sha256 = digest.hexdigest()
        self.original_name = safe_file_name(upload.name)
        return upload


def _pdf_problem(upload) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    upload.seek(0)
    data = upload.read()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return str(_("The PDF is password-protected; attach a copy without a password."))
        if len(reader.pages) < 1:
            return str(_("The PDF has no pages."))
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, OSError):
        # pypdf raises many kinds on damaged files; each means "cannot be opened".
        return str(_("The PDF cannot be opened: it seems damaged. Save it again and retry."))
    finally:
        upload.seek(0)
    return None


# --- Publishing -----------------------------------------------------------------------------


def zone_choices() -> list[tuple[str, str]]:
    """UTC and the pilot cities' zones (one query)."""
    zones = sorted(set(City.objects.values_list("time_zone", flat=True)))
    return [("UTC", "UTC"), *[(z, z) for z in zones if z != "UTC"]]


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    zone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)

    def clean(self):
        cleaned = super().clean()
        when, zone_name = cleaned.get("publish_at"), cleaned.get("zone")
        if when is None or not zone_name:
            return cleaned
        zone = zoneinfo.ZoneInfo(zone_name)
        # The field read the wall-clock time in the server's zone; keep only the wall clock.
        naive = timezone.make_naive(when) if timezone.is_aware(when) else when
        try:
            local = resolve_local(naive.date(), naive.time(), zone)
        except NonexistentLocalTime:
            self.add_error(
                "publish_at",
                _(
                    "%(time)s does not exist in %(zone)s that day: the clocks go forward. "
                    "Choose another time."
                )
                % {"time": naive.strftime("%Y-%m-%d %H:%M"), "zone": zone_name},
            )
            return cleaned
        cleaned["publish_at_utc"] = local.utc
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recipients see this instead of the briefing."),
    )


def local_now_input(zone_name: str) -> str:
    """An hour from now in `zone_name`, as a datetime-local value (the default choice)."""
    when = datetime.now(zoneinfo.ZoneInfo(zone_name)) + timedelta(hours=1)
    return when.strftime("%Y-%m-%dT%H:00")
