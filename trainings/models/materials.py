"""Module materials (files and links) under the same TLP rules as briefings, and who read them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from briefings.models import TLP
from stakeholders.models import Person
from trainings.models.catalogue import TrainingModule


def material_path(instance: "ModuleMaterial", filename: str) -> str:
    # A random stored name, as for briefing attachments; the original name is in the row.
    return f"trainings/{instance.module_id}/{uuid.uuid4().hex}.pdf"


class MaterialKind(models.TextChoices):
    FILE = "file", _("File (PDF)")
    LINK = "link", _("Link")


class ModuleMaterial(models.Model):
    """A reading or a link for a module. A file is a PDF served through a checked download
    (stamped for AMBER and RED, as briefing attachments are); a link points elsewhere."""

    Kind = MaterialKind

    module = models.ForeignKey(
        TrainingModule,
        on_delete=models.CASCADE,
        related_name="materials",
        verbose_name=_("module"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    tlp = models.CharField(_("TLP marking"), max_length=12, choices=TLP.choices, default=TLP.CLEAR)
    file = models.FileField(_("file"), upload_to=material_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("link"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("module material")
        ordering = ["module", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MaterialKind.values), name="material_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(tlp__in=TLP.values), name="material_tlp_valid"
            ),
            # A file has a file and no link; a link has a link and no file.
            models.CheckConstraint(
                condition=(models.Q(kind="file") & ~models.Q(file="") & models.Q(url=""))
                | (models.Q(kind="link") & ~models.Q(url="") & models.Q(file="")),
                name="material_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MaterialRead(models.Model):
    """A person opened a material signed in: what self-paced completion counts."""

    material = models.ForeignKey(
        ModuleMaterial, on_delete=models.CASCADE, related_name="reads", verbose_name=_("material")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="material_reads", verbose_name=_("person")
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("material read")
        constraints = [
            models.UniqueConstraint(fields=["material", "person"], name="material_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.material}"
