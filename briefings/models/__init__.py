from briefings.models.briefings import (
    TLP,
    AudienceLeg,
    BriefingAttachment,
    BriefingStatus,
    LandscapeBriefing,
)
from briefings.models.deliveries import Delivery, DeliveryStatus
from briefings.models.requests import BriefingRequest, RequestEvent, RequestStatus

__all__ = [
    "TLP",
    "AudienceLeg",
    "BriefingAttachment",
    "BriefingRequest",
    "BriefingStatus",
    "Delivery",
    "DeliveryStatus",
    "LandscapeBriefing",
    "RequestEvent",
    "RequestStatus",
]
