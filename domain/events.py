"""Events: validated drafts, proposals with conflicts, idempotent creation (local or Outlook), lists and
cancellation."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.authorization import class_visible
from domain.calendar import local, people
from domain.calendar.backend import Busy, CalendarUnavailable, ExternalCalendar, Organizer, OutgoingEvent
from domain.calendar.ics import event_ics
from domain.calendar.links import IcsLinks
from domain.calendar.records import EventChoices, EventProposal, SavedEvent
from domain.calendar.times import day_bounds, end_of, zone
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import CalendarEvent, SchoolClass, Staff
from domain.validation import validate_fields

__all__ = ["EventChoices", "EventDraft", "EventProposal", "EventService", "SavedEvent", "validate_draft"]

MIN_MINUTES, MAX_MINUTES = 5, 480
DEFAULT_MINUTES = 60
DEFAULT_REMINDER = 15
HORIZON = timedelta(days=400)
KEY = re.compile(r"^[A-Za-z0-9_-]{16,80}$")
Span = Literal["today", "tomorrow", "week", "day"]


class EventDraft(BaseModel):
    """What a confirmed event must contain. Card submissions and model proposals both end here."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    start: datetime
    duration_minutes: int = Field(ge=MIN_MINUTES, le=MAX_MINUTES)
    time_zone: str = Field(min_length=1, max_length=64)
    location: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    staff_ids: list[int] = Field(default_factory=list, max_length=30)
    guardian_student_ids: list[int] = Field(default_factory=list, max_length=10)
    class_id: int | None = Field(default=None, gt=0)
    reminder_minutes: int = Field(default=DEFAULT_REMINDER, ge=0, le=1440)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone")
        return value

    @property
    def end(self) -> datetime:
        return end_of(self.start, self.duration_minutes)


def validate_draft(data: dict[str, object], now: datetime) -> EventDraft:
    """Validate untrusted input; every problem is reported per field (``InvalidInput.field_errors``)."""
    draft = validate_fields(EventDraft, data, _duration_message)
    tz = zone(draft.time_zone)
    draft.start = draft.start.astimezone(tz)
    # Compare in UTC: Python compares two datetimes sharing a tzinfo by wall clock, ignoring DST folds.
    if draft.start.astimezone(UTC) <= now.astimezone(UTC):
        raise InvalidInput("The start is in the past; pick a future time.", {"start": "That time has already passed."})
    if draft.start.astimezone(UTC) > now.astimezone(UTC) + HORIZON:
        raise InvalidInput("That's more than a year away.", {"start": "Pick a date within the next year."})
    return draft


def check_key(key: str) -> None:
    if not KEY.match(key or ""):
        raise InvalidInput("This form has expired; open a new one.")


def _duration_message(error: ErrorDetails) -> str | None:
    if (error["loc"] and error["loc"][0] == "duration_minutes"
            and error["type"] in ("greater_than_equal", "less_than_equal")):
        return f"Between {MIN_MINUTES} and {MAX_MINUTES} minutes."
    return None


def new_key() -> str:
    return uuid.uuid4().hex




class EventService:
    """Local mode keeps events in ``calendar_events``; Outlook mode (``outlook`` set) creates them through Graph and
    keeps a row per created event, claimed before the call and removed if the call fails (nothing half-created)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, outlook: ExternalCalendar | None = None,
                 links: IcsLinks | None = None, public_base_url: str = "") -> None:
        self._sessions = sessions
        self._outlook = outlook
        self._links = links
        self._base_url = public_base_url.rstrip("/")

    @property
    def mode(self) -> Literal["outlook", "local"]:
        return "local" if self._outlook is None else "outlook"

    new_key = staticmethod(new_key)

    async def close(self) -> None:
        if self._outlook is not None:
            await self._outlook.close()

    async def choices(self, actor: Actor) -> EventChoices:
        async with self._sessions() as session:
            return EventChoices(await people.staff_choices(session, actor), await people.class_choices(session, actor))

    async def match_staff(self, actor: Actor, names: list[str]) -> tuple[list[int], list[str]]:
        """Staff ids for names or e-mails as written; the ones that match nobody (or several) come back as text."""
        async with self._sessions() as session:
            staff = await people.staff_choices(session, actor)
            emails = await people.staff_emails(session, actor)
        found: list[int] = []
        missing: list[str] = []
        for name in names:
            ids = people.match_staff(name, staff, emails)
            if len(ids) == 1:
                found.append(ids[0])
            else:
                missing.append(name)
        return sorted(set(found)), missing

    async def families(self, actor: Actor, student_ids: list[int]) -> list[tuple[int, str]]:
        """Students whose guardians could be invited (an e-mail on file), labelled for an unticked box."""
        async with self._sessions() as session:
            return await people.families(session, actor, student_ids)

    async def class_named(self, actor: Actor, hint: str) -> int | None:
        async with self._sessions() as session:
            rows = (await session.execute(select(SchoolClass.id, SchoolClass.name, SchoolClass.period)
                                          .where(class_visible(actor)))).all()
        wanted = hint.strip().lower()
        ids = [i for i, name, period in rows
               if wanted in name.lower() or wanted in (period.lower(), f"period {period}".lower())]
        return ids[0] if len(ids) == 1 else None

    async def busy(self, actor: Actor, start: datetime, end: datetime) -> tuple[list[Busy], str | None]:
        """Existing events overlapping [start, end), and a note when the calendar could not be checked."""
        try:
            return await self._between(actor, start, end), None
        except CalendarUnavailable as exc:
            return [], f"I couldn't check your Outlook calendar for conflicts: {exc}"

    async def upcoming(self, actor: Actor, span: Span, now: datetime, day: date | None = None) -> list[Busy]:
        """The actor's own events of ``span`` (for 'day': of ``day``), in ``now``'s time zone."""
        start, end = day_bounds(now, span, day)
        return await self._between(actor, start, end)

    async def create(self, actor: Actor, draft: EventDraft, key: str, *, via: str) -> SavedEvent:
        """Save a confirmed event once per key. In Outlook mode a failure leaves no row and no Outlook event."""
        check_key(key)
        try:
            return await self._create(actor, draft, key, via=via)
        except people.GuardiansRefused as refused:
            async with unit_of_work(self._sessions) as session:
                await people.record_refusal(session, actor, refused, via=via)
            raise

    async def _create(self, actor: Actor, draft: EventDraft, key: str, *, via: str) -> SavedEvent:
        async with unit_of_work(self._sessions) as session:
            attendees = await people.staff_attendees(session, actor, draft.staff_ids)
            attendees += await people.guardian_attendees(session, actor, draft.guardian_student_ids, via=via)
            if draft.class_id is not None and await session.scalar(
                    select(SchoolClass.id).where(SchoolClass.id == draft.class_id, class_visible(actor))) is None:
                raise InvalidInput("Pick one of your classes.", {"class_id": "Pick one of your classes."})
            claimed = await local.claim(session, {
                "organizer_id": actor.staff_id, "class_id": draft.class_id, "title": draft.title,
                "starts_at": draft.start, "ends_at": draft.end, "time_zone": draft.time_zone,
                "location": draft.location, "description": draft.description,
                "attendees": list(dict.fromkeys(a.email for a in attendees)),
                "status": local.CONFIRMED if self._outlook is None else local.PENDING, "idempotency_key": key,
            })
            row = claimed.row
            if row.organizer_id != actor.staff_id:
                raise NotAllowed("This form was already used by someone else.")
            if not claimed.fresh and row.status != local.PENDING:
                return self._saved(row, created=False)
            if not claimed.fresh and not claimed.stale:
                raise CalendarUnavailable("This event is still being saved; look for it in a moment.")
            if self._outlook is None:
                await self._audit(session, actor, row.id, "calendar.create", via)
                return self._saved(row, created=True)
            await local.restamp(session, row.id)
            event_id = row.id
        outgoing = OutgoingEvent(key, draft.title, draft.start, draft.end, draft.location, draft.description,
                                 tuple(attendees), draft.reminder_minutes)
        return await self._create_in_outlook(actor, event_id, outgoing, via)

    async def cancel(self, actor: Actor, event_id: int, *, via: str) -> SavedEvent:
        async with self._sessions() as session:
            row = await session.scalar(select(CalendarEvent).where(
                CalendarEvent.id == event_id, CalendarEvent.organizer_id == actor.staff_id))
        if row is None or row.status == local.PENDING:
            raise NotFound("I can't find that event in the events you organise.")
        if row.status == local.CANCELLED:
            return self._saved(row, created=False)
        if self._outlook is not None and row.graph_event_id:
            await self._outlook.delete(_organizer(actor), row.graph_event_id)
        async with unit_of_work(self._sessions) as session:
            await local.mark_cancelled(session, row.id)
            await self._audit(session, actor, row.id, "calendar.cancel", via)
        row.status = local.CANCELLED
        return self._saved(row, created=True)

    async def ics(self, token: str) -> bytes | None:
        """The .ics file a link points to, or None (unknown, tampered, expired, or the event was cancelled)."""
        target = self._links.verify(token) if self._links else None
        if target is None:
            return None
        async with self._sessions() as session:
            found = (await session.execute(
                select(CalendarEvent, Staff).join(Staff, Staff.id == CalendarEvent.organizer_id).where(
                    CalendarEvent.id == target.event_id, CalendarEvent.organizer_id == target.organizer_id,
                    CalendarEvent.status == local.CONFIRMED))).first()
        if found is None:
            return None
        row, organizer = found
        return event_ics(
            uid=f"{row.idempotency_key or row.id}@faraday", title=row.title, start=row.starts_at, end=row.ends_at,
            time_zone=row.time_zone, location=row.location, description=row.description,
            organizer=(organizer.email, organizer.display_name), attendees=list(row.attendees),
            reminder_minutes=DEFAULT_REMINDER, stamp=row.created_at,
        )

    async def _create_in_outlook(self, actor: Actor, event_id: int, outgoing: OutgoingEvent, via: str) -> SavedEvent:
        assert self._outlook is not None
        try:
            external_id = await self._outlook.create(_organizer(actor), outgoing)
        except BaseException:
            async with unit_of_work(self._sessions) as session:
                await local.release(session, event_id)
            raise
        try:
            async with unit_of_work(self._sessions) as session:
                await local.confirm(session, event_id, external_id)
                await self._audit(session, actor, event_id, "calendar.create", via)
                row = await session.get(CalendarEvent, event_id, populate_existing=True)
        except Exception as exc:
            await self._outlook.delete(_organizer(actor), external_id)
            async with unit_of_work(self._sessions) as session:
                await local.release(session, event_id)
            raise CalendarUnavailable("Something went wrong saving the event, so I removed it again. "
                                      "Please try once more.") from exc
        assert row is not None
        return self._saved(row, created=True)

    async def _between(self, actor: Actor, start: datetime, end: datetime) -> list[Busy]:
        if self._outlook is not None:
            return await self._outlook.between(_organizer(actor), start, end, actor.time_zone)
        async with self._sessions() as session:
            return await local.between(session, actor.staff_id, actor.email, start, end)

    @staticmethod
    async def _audit(session: AsyncSession, actor: Actor, event_id: int, action: str, via: str) -> None:
        await audit.record(session, actor, action=action, subject_type="calendar_event", subject_ids=[event_id],
                           via=via, allowed=True)

    def _saved(self, row: CalendarEvent, *, created: bool) -> SavedEvent:
        tz = zone(row.time_zone)
        url = None
        if self._outlook is None and self._links is not None and row.status == local.CONFIRMED:
            url = f"{self._base_url}/calendar/{self._links.issue(row.id, row.organizer_id)}.ics"
        return SavedEvent(
            id=row.id, created=created, title=row.title, start=row.starts_at.astimezone(tz),
            end=row.ends_at.astimezone(tz), time_zone=row.time_zone, location=row.location,
            attendees=list(row.attendees), status=row.status, mode=self.mode, ics_url=url,
        )


def _organizer(actor: Actor) -> Organizer:
    return Organizer(actor.staff_id, actor.aad_object_id, actor.email, actor.display_name)
