"""Writes for landscape briefings."""

from django.db import transaction
from django.utils import timezone

from briefings.models import LandscapeBriefing


def briefings_publish_due(*, now=None) -> int:
    """Publish every scheduled briefing whose time has come; return how many.

    The conditional UPDATE is the claim: two beats running at once cannot publish a
    briefing twice, because only one of them sees it still "scheduled".
    """
    now = now or timezone.now()
    with transaction.atomic():
        return LandscapeBriefing.objects.filter(
            status=LandscapeBriefing.Status.SCHEDULED, publish_at__lte=now
        ).update(status=LandscapeBriefing.Status.PUBLISHED, published_at=now)
