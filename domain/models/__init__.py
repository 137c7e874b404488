"""All ORM models, importable from one place (Alembic reads ``Base.metadata`` from here)."""

from domain.models.base import Base
from domain.models.briefs import BriefPreference, PreClassBrief, SchoolTemperature
from domain.models.emergency import Emergency, EmergencyClass, EmergencyDelivery, EmergencyMark
from domain.models.nurse import NurseDelivery, NurseRequest
from domain.models.org import District, Enrollment, Guardian, Role, School, SchoolClass, Staff, Student
from domain.models.planning import CalendarEvent, LessonPlan
from domain.models.platform import (
    AuditLog,
    ConversationReference,
    ConversationTurn,
    KnowledgeChunk,
    KnowledgeDocument,
    KnowledgeLexeme,
    KnowledgePassage,
    KnowledgeUpload,
    MessageFeedback,
    RosterImport,
    RosterUpload,
)
from domain.models.records import (
    Activity,
    ActivityParticipation,
    Attendance,
    DriversEdProgress,
    FitnessBand,
    FitnessTest,
    HealthNote,
    RecordSubmission,
    SkillAssessment,
)
from domain.models.safety import Alert, AlertDelivery, AlertRule, Equipment, EquipmentInspection, Incident, Severity

__all__ = [
    "Activity",
    "ActivityParticipation",
    "Alert",
    "AlertDelivery",
    "AlertRule",
    "Attendance",
    "AuditLog",
    "Base",
    "BriefPreference",
    "CalendarEvent",
    "ConversationReference",
    "ConversationTurn",
    "District",
    "DriversEdProgress",
    "Emergency",
    "EmergencyClass",
    "EmergencyDelivery",
    "EmergencyMark",
    "Enrollment",
    "Equipment",
    "EquipmentInspection",
    "FitnessBand",
    "FitnessTest",
    "Guardian",
    "HealthNote",
    "Incident",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "KnowledgeLexeme",
    "KnowledgePassage",
    "KnowledgeUpload",
    "LessonPlan",
    "MessageFeedback",
    "NurseDelivery",
    "NurseRequest",
    "PreClassBrief",
    "RecordSubmission",
    "Role",
    "RosterImport",
    "RosterUpload",
    "School",
    "SchoolClass",
    "SchoolTemperature",
    "Severity",
    "SkillAssessment",
    "Staff",
    "Student",
]
