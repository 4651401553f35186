from trainings.models.assessments import (
    AssessmentMailStatus,
    AssessmentPhase,
    AssessmentRequest,
    CoverageNudge,
)
from trainings.models.catalogue import (
    Completion,
    CompletionMethod,
    TrainingModule,
    TrainingSession,
)
from trainings.models.materials import MaterialKind, MaterialRead, ModuleMaterial

__all__ = [
    "AssessmentMailStatus",
    "AssessmentPhase",
    "AssessmentRequest",
    "Completion",
    "CompletionMethod",
    "CoverageNudge",
    "MaterialKind",
    "MaterialRead",
    "ModuleMaterial",
    "TrainingModule",
    "TrainingSession",
]
