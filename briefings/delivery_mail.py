"""The mail that delivers a landscape briefing: one message per person, marked with its TLP.

The subject always starts with the marking in capitals, `[TLP:AMBER] `, as TLP 2.0 asks of
mail subjects, and the body opens with a TLP line in words. What travels depends on it:

- TLP:CLEAR and TLP:GREEN: the summary, the full body (the author's Markdown as the plain
  text, rendered and sanitised HTML as the alternative) and links to the attachments;
- TLP:AMBER, TLP:AMBER+STRICT and TLP:RED: only the title, the summary line and a link to
  read it signed in. Never the body or the attachments: mail is forwarded, kept in other
  systems and read on shared screens; the portal can check who reads, and stamp the copy.

Nothing in the message depends on the person but the address, so the templates are rendered
once per chunk (BriefingMail) and each recipient gets a copy addressed to them alone.
"""

from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from briefings.markdown import render_markdown
from briefings.models import TLP, BriefingAttachment, LandscapeBriefing

# The markings whose text may travel in a mail; the others go only to readers signed in.
FULL_TEXT_BY_MAIL = frozenset({TLP.CLEAR, TLP.GREEN})

TLP_RULES = {
    TLP.CLEAR: _("No limit on sharing: it may be shared with anyone, publicly too."),
    TLP.GREEN: _(
        "Share within the community (the working groups and partners), but not publicly: "
        "not on websites or social media."
    ),
    TLP.AMBER: _(
        "Share only within the recipient's own organisation and with its clients who need to "
        "know to protect themselves or prevent harm."
    ),
    TLP.AMBER_STRICT: _("Share only within the recipient's own organisation, with no one else."),
    TLP.RED: _(
        "For the named recipients only, as if said in a closed meeting: do not share it with "
        "anyone."
    ),
}


def briefing_read_path(briefing_id: int) -> str:
    """The path of the page where a recipient reads the briefing signed in."""
    return reverse("briefing_read", kwargs={"briefing_id": briefing_id})


def attachment_path(briefing_id: int, attachment_id: int) -> str:
    """The path of the download view (it checks the reader; nothing is attached to mail)."""
    kwargs = {"briefing_id": briefing_id, "attachment_id": attachment_id}
    return reverse("briefing_attachment", kwargs=kwargs)


def absolute(path: str) -> str:
    """An absolute link for mail, on the portal's public address (as RSVP links are)."""
    return f"{settings.PORTAL_BASE_URL}{path}"


class BriefingMail:
    """One briefing's mail, rendered once; `message(address)` gives each recipient a copy."""

    def __init__(
        self, briefing: LandscapeBriefing, attachments: list[BriefingAttachment] | None = None
    ) -> None:
        full = briefing.tlp in FULL_TEXT_BY_MAIL
        context = {
            "briefing": briefing,
            "marking": f"TLP:{briefing.tlp}",
            "tlp_rule": TLP_RULES.get(briefing.tlp, ""),
            "full": full,
            "body_html": render_markdown(briefing.body_markdown) if full else "",
            "attachments": [
                {
                    "name": attachment.original_name,
                    "size_kb": max(1, round(attachment.size_bytes / 1024)),
                    "url": absolute(attachment_path(briefing.pk, attachment.pk)),
                }
                for attachment in (attachments or [])
            ]
            if full
            else [],
            "url": absolute(briefing_read_path(briefing.pk)),
        }
        self.subject = f"[TLP:{briefing.tlp}] {briefing.title}"
        # Plain text holds the author's Markdown as typed; render_to_string marks it safe
        # HTML, which it is not. Slicing gives a plain str, escaped wherever it is shown.
        self.text = render_to_string("briefings/mail/delivery.txt", context)[:]
        self.html = render_to_string("briefings/mail/delivery.html", context)

    def message(self, address: str) -> EmailMultiAlternatives:
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],  # one person per message: no shared To or Cc
            headers={"Auto-Submitted": "auto-generated"},
        )
        email.attach_alternative(self.html, "text/html")
        return email


def briefing_mail(briefing: LandscapeBriefing) -> BriefingMail:
    """The briefing's mail; reads the attachments only when their links may travel."""
    attachments = (
        list(briefing.attachments.order_by("uploaded_at", "pk"))
        if briefing.tlp in FULL_TEXT_BY_MAIL
        else []
    )
    return BriefingMail(briefing, attachments)


@lru_cache(maxsize=4)
def _cached_mail(briefing_id: int) -> BriefingMail:
    return briefing_mail(LandscapeBriefing.objects.get(pk=briefing_id))


def bench_sample_message(briefing: LandscapeBriefing, address: str) -> EmailMultiAlternatives:
    """The briefing's message addressed to `address`, for the bench's plain-loop baseline.

    Rendered once and copied per address, as the distribution does per chunk, so the
    baseline measures the same work: building and sending each message.
    """
    return _cached_mail(briefing.pk).message(address)
