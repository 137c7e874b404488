"""How a tool is declared, what it receives (per-turn deps) and what it returns.

One way to declare a tool::

    class LookupStudentArgs(BaseModel): ...

    @tool(LookupStudentArgs)
    async def lookup_student(args: LookupStudentArgs, deps: ToolDeps[StudentsAccess]) -> ToolResult:
        \"\"\"The description the model reads.\"\"\"

Identity and services come from ``ToolDeps`` (resolved by the server), never from model arguments.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol

import openai
from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

from domain.access_history import AccessHistoryService
from domain.actor import Actor
from domain.alerts import AlertService
from domain.briefs import BriefSettings
from domain.calendar.proposals import EventProposer
from domain.emergencies import EmergencyService
from domain.errors import DomainError
from domain.events import EventService
from domain.exports import ExportService
from domain.incidents import IncidentService
from domain.lessons import LessonService, Source
from domain.messages_home.service import MessageHomeService
from domain.nurse import NurseRequests
from domain.privacy import PrivacyService
from domain.reach import Reachability
from domain.records.attendance import AttendanceService
from domain.records.equipment import EquipmentCheckService
from domain.records.fitness import FitnessService
from domain.records.skills import SkillService
from domain.roster.linking import StaffLinks
from domain.roster.service import RosterStatus
from domain.roster.uploads import RosterUploads
from domain.students import StudentService
from domain.teams_install_jobs import TeamsInstallJobs
from domain.widgets import WidgetService
from knowledge.files import KnowledgeFiles
from knowledge.lesson_builder import LessonWriter
from knowledge.lesson_planning import LessonPlanner
from knowledge.retriever import Retriever
from knowledge.sharepoint_jobs import SharePointJobs
from knowledge.uploads import KnowledgeUploads

log = logging.getLogger(__name__)

MAX_ARGUMENT_CHARS = 8000


@dataclass(frozen=True, slots=True)
class Services:
    """The domain services tools may call (built once per app)."""

    students: StudentService
    incidents: IncidentService
    knowledge: Retriever
    events: EventService
    widgets: WidgetService
    lessons: LessonService
    lesson_writer: LessonWriter
    lesson_planner: LessonPlanner
    event_proposals: EventProposer
    alerts: AlertService | None = None
    privacy: PrivacyService | None = None
    access_history: AccessHistoryService | None = None
    uploads: KnowledgeUploads | None = None
    files: KnowledgeFiles | None = None  # signed links to uploaded documents' original files
    emergencies: EmergencyService | None = None
    attendance: AttendanceService | None = None
    fitness: FitnessService | None = None
    equipment_checks: EquipmentCheckService | None = None
    skills: SkillService | None = None
    staff_links: StaffLinks | None = None  # roster staff linked to Teams on first contact; ``set role``
    roster_status: RosterStatus | None = None
    roster_uploads: RosterUploads | None = None
    messages_home: MessageHomeService | None = None  # notes to guardians, drafted from the record (#23)
    exports: ExportService | None = None  # files made of what the caller may read (widget tables, reports)
    briefs: BriefSettings | None = None  # pre-class safety briefs: on/off, today's temperature
    nurse_requests: NurseRequests | None = None  # *Notify nurse*: confirmed requests to the school's nurses
    reach: Reachability | None = None  # admins: staff Faraday cannot message
    teams_install: TeamsInstallJobs | None = None  # admins: install Faraday for them through Graph, in the background
    sharepoint: SharePointJobs | None = None  # SharePoint folder syncs admins start (Graph configured only)


# --- what a tool, command or card verb needs of Services: one small Protocol per service --------------------------
# ``Services`` satisfies all of them; a tool declares what it reads (``deps: ToolDeps[IncidentsAccess]``) and a test
# passes an object with just those attributes: mypy checks the fake against the Protocol, no ``type: ignore``.
# Optional services (not configured on every Faraday) are typed ``X | None`` and must be checked for None.
class StudentsAccess(Protocol):
    @property
    def students(self) -> StudentService: ...


class AlertsAccess(Protocol):
    @property
    def alerts(self) -> AlertService | None: ...


class PrivacyAccess(Protocol):
    @property
    def privacy(self) -> PrivacyService | None: ...


class AccessHistoryAccess(Protocol):
    @property
    def access_history(self) -> AccessHistoryService | None: ...


class UploadsAccess(Protocol):
    @property
    def uploads(self) -> KnowledgeUploads | None: ...


class IncidentsAccess(Protocol):
    @property
    def incidents(self) -> IncidentService: ...


class IncidentReportAccess(StudentsAccess, IncidentsAccess, Protocol):
    """``log_incident``: find the student, then propose the report."""


class KnowledgeAccess(Protocol):
    @property
    def knowledge(self) -> Retriever: ...

    @property
    def files(self) -> KnowledgeFiles | None: ...


class WidgetsAccess(Protocol):
    @property
    def widgets(self) -> WidgetService: ...


class LessonsAccess(Protocol):
    @property
    def lessons(self) -> LessonService: ...

    @property
    def lesson_planner(self) -> LessonPlanner: ...


class EventProposalsAccess(Protocol):
    @property
    def event_proposals(self) -> EventProposer: ...


class AttendanceAccess(Protocol):
    @property
    def attendance(self) -> AttendanceService | None: ...


class FitnessAccess(Protocol):
    @property
    def fitness(self) -> FitnessService | None: ...


class SkillsAccess(Protocol):
    @property
    def skills(self) -> SkillService | None: ...


class EquipmentChecksAccess(Protocol):
    @property
    def equipment_checks(self) -> EquipmentCheckService | None: ...


class MessagesHomeAccess(StudentsAccess, Protocol):
    """``message_home`` and its card verbs: find the student, then draft or send through the service."""

    @property
    def messages_home(self) -> MessageHomeService | None: ...


class ExportsAccess(Protocol):
    @property
    def exports(self) -> ExportService | None: ...


if TYPE_CHECKING:  # scripts/lint (mypy) proves the app's Services gives every tool and verb what it declares

    def _services_satisfy_every_access(s: Services) -> list[object]:
        checked: tuple[CommandAccess, IncidentReportAccess, KnowledgeAccess, WidgetsAccess, LessonsAccess,
                       EventProposalsAccess, AttendanceAccess, FitnessAccess, SkillsAccess, EquipmentChecksAccess,
                       MessagesHomeAccess, ExportsAccess] = (s, s, s, s, s, s, s, s, s, s, s, s)
        return list(checked)


class SharePointAccess(Protocol):
    @property
    def sharepoint(self) -> SharePointJobs | None: ...


class EmergenciesAccess(Protocol):
    @property
    def emergencies(self) -> EmergencyService | None: ...


class BriefsAccess(Protocol):
    @property
    def briefs(self) -> BriefSettings | None: ...


class NurseAccess(Protocol):
    @property
    def nurse_requests(self) -> NurseRequests | None: ...


class ReachAccess(Protocol):
    @property
    def reach(self) -> Reachability | None: ...

    @property
    def teams_install(self) -> TeamsInstallJobs | None: ...


class AdminAccess(StudentsAccess, PrivacyAccess, AccessHistoryAccess, Protocol):
    """The admin commands: find a student, their access history, delete their records."""


class CommandAccess(AlertsAccess, EmergenciesAccess, AdminAccess, UploadsAccess, SharePointAccess, BriefsAccess,
                    NurseAccess, ReachAccess, Protocol):
    """Everything the text commands read (``bot.commands.text_command``)."""


@dataclass(frozen=True, slots=True)
class Citation:
    chunk_id: str
    title: str
    section: str
    snippet: str
    url: str | None = None
    pages: tuple[int, int] | None = None  # (first, last) page of the cited text; None for formats without pages

    @property
    def reference(self) -> str:
        """"Concussion Protocol, §Return to Play, p. 4"."""
        from knowledge.retriever import cite_label

        return cite_label(self.title, self.section, self.pages)


@dataclass(slots=True)
class CitationBook:
    """The sources one turn has retrieved, numbered [1], [2]… in the order tools found them."""

    items: list[Citation] = field(default_factory=list)

    def number(self, citation: Citation) -> int:
        for i, known in enumerate(self.items, start=1):
            if known.chunk_id == citation.chunk_id:
                return i
        self.items.append(citation)
        return len(self.items)

    def source_number(self, source: Source) -> int:
        """The label of a lesson plan's source in this turn (``domain.lessons.relabel``)."""
        return self.number(citation_of(source))


def citation_of(source: Source) -> Citation:
    return Citation(chunk_id=source.chunk_id, title=source.title, section=source.section, snippet=source.snippet)


S_co = TypeVar("S_co", covariant=True, default=Any)


@dataclass(frozen=True, slots=True)
class ToolDeps(Generic[S_co]):
    """What a tool or card verb receives for one turn. ``S_co`` is what it reads of the services: a tool names the
    Protocol it needs (``ToolDeps[WidgetsAccess]``); the app passes its ``Services``, which satisfies every one."""

    actor: Actor
    services: S_co
    now: datetime  # aware, in the school's time zone
    citations: CitationBook = field(default_factory=lambda: CitationBook())


@dataclass(slots=True)
class ToolResult:
    """``for_model`` is all the model sees (minimised); ``display`` holds typed objects the bot renders as cards."""

    for_model: dict[str, Any]
    display: list[Any] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)

    @classmethod
    def error(cls, message: str) -> ToolResult:
        return cls(for_model={"error": message})

    @property
    def is_error(self) -> bool:
        return "error" in self.for_model


A = TypeVar("A", bound=BaseModel)


def _without_titles(schema: Any) -> Any:
    """pydantic's per-field "title" keys tell the model nothing the property names don't, on every call (~10% of the
    tool tokens); property names (even one called "title") are kept."""
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: _without_titles(sub) for name, sub in value.items()}
        else:
            out[key] = _without_titles(value)
    return out


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    args_model: type[A]
    run: Callable[[A, ToolDeps], Awaitable[ToolResult]]

    def openai_spec(self) -> dict[str, Any]:
        """A strict function-tool schema for Chat Completions (every field required, optional ones nullable)."""
        spec = openai.pydantic_function_tool(self.args_model, name=self.name, description=self.description)
        spec["function"]["parameters"] = _without_titles(spec["function"]["parameters"])
        return dict(spec)

    def parse(self, raw_arguments: str | dict[str, Any]) -> A:
        if isinstance(raw_arguments, str):
            if len(raw_arguments) > MAX_ARGUMENT_CHARS:
                raise ValueError("arguments too long")
            raw_arguments = json.loads(raw_arguments or "{}")
        return self.args_model.model_validate(raw_arguments)

    async def __call__(self, raw_arguments: str | dict[str, Any], deps: ToolDeps) -> ToolResult:
        """Validate and run. Bad arguments and domain errors become a short message the model can act on."""
        try:
            args = self.parse(raw_arguments)
        except (ValueError, ValidationError) as exc:
            return ToolResult.error(f"Invalid arguments for {self.name}: {_summarise(exc)}")
        try:
            return await self.run(args, deps)
        except DomainError as exc:
            return ToolResult.error(str(exc))


def tool(args_model: type[A]) -> Callable[[Callable[[A, ToolDeps], Awaitable[ToolResult]]], Tool[A]]:
    def register(fn: Callable[[A, ToolDeps], Awaitable[ToolResult]]) -> Tool[A]:
        description = inspect.getdoc(fn)
        if not description:
            raise TypeError(f"tool {fn.__name__} needs a docstring: it is the description the model reads")
        return Tool(name=fn.__name__, description=description, args_model=args_model, run=fn)

    return register


def _summarise(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()[:5]]
        return "; ".join(parts)
    if isinstance(exc, json.JSONDecodeError):
        return "arguments are not valid JSON"
    return str(exc)[:200]
