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
from workinggroups.models.progress import (
    FRAMEWORK_COMPONENTS,
    AdoptionInstrument,
    CityProgress,
    FrameworkStatus,
    FrameworkVersion,
    Milestone,
    MilestoneRecord,
    ProgressReport,
    ReportStatus,
)

__all__ = [
    "FRAMEWORK_COMPONENTS",
    "ActionItem",
    "AdoptionInstrument",
    "Attendance",
    "CalendarFeed",
    "CityProgress",
    "Convening",
    "ConveningKind",
    "ConveningMessage",
    "ConveningSeries",
    "ConveningStatus",
    "ExistingInitiative",
    "FrameworkStatus",
    "FrameworkVersion",
    "GroupKind",
    "GroupStatus",
    "Invitation",
    "InvitationResponse",
    "Membership",
    "MembershipRole",
    "MessageKind",
    "MessageStatus",
    "Milestone",
    "MilestoneRecord",
    "ProgressReport",
    "ReportStatus",
    "WorkingGroup",
]
