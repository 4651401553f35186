"""The working-groups app's models, one module per concern."""

from workinggroups.models.convenings import (
    Attendance,
    Convening,
    ConveningKind,
    ConveningSeries,
    ConveningStatus,
    Invitation,
    InvitationResponse,
)
from workinggroups.models.follow_up import ActionItem, CalendarFeed
from workinggroups.models.groups import (
    ExistingInitiative,
    GroupKind,
    GroupStatus,
    Membership,
    MembershipRole,
    WorkingGroup,
)
from workinggroups.models.outbound import ConveningMessage, MessageKind, MessageStatus

__all__ = [
    "ActionItem",
    "Attendance",
    "CalendarFeed",
    "Convening",
    "ConveningKind",
    "ConveningMessage",
    "ConveningSeries",
    "ConveningStatus",
    "ExistingInitiative",
    "GroupKind",
    "GroupStatus",
    "Invitation",
    "InvitationResponse",
    "Membership",
    "MembershipRole",
    "MessageKind",
    "MessageStatus",
    "WorkingGroup",
]
