"""What staff tell the briefs: a teacher turns their pre-class briefs off or on (``briefs off``), and anyone on a
school's staff enters today's temperature (``temperature 94``), which the brief uses for its heat rule. Both audited;
a repeated command changes nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.alerts.types import Clock, utc_now
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed
from domain.models import Role

TEACHING = (Role.teacher, Role.coach)
LOWEST_F, HIGHEST_F = -40.0, 130.0

_ENABLED = text("SELECT enabled FROM brief_preferences WHERE staff_id = :id")
_SET = text(
    "INSERT INTO brief_preferences (staff_id, enabled, updated_at) VALUES (:id, :on, :now)"
    " ON CONFLICT (staff_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at"
)
_TEMPERATURE = text(
    "INSERT INTO school_temperatures (school_id, day, temperature_f, entered_by, entered_at)"
    " VALUES (:school, :day, :t, :by, :now) ON CONFLICT (school_id, day) DO UPDATE SET"
    " temperature_f = EXCLUDED.temperature_f, entered_by = EXCLUDED.entered_by, entered_at = EXCLUDED.entered_at"
)
_TODAY = text("SELECT temperature_f FROM school_temperatures WHERE school_id = :school AND day = :day")


@dataclass(frozen=True, slots=True)
class BriefStatus:
    enabled: bool
    minutes_before: float
    temperature_f: float | None  # today's, entered or configured
    entered: bool  # the temperature was entered by staff today (else configured, or none)


class BriefSettings:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, minutes_before: float,
                 default_temperature_f: float | None = None, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self.minutes_before = minutes_before
        self._default_temperature_f = default_temperature_f
        self._clock = clock

    async def set_enabled(self, actor: Actor, on: bool, *, via: str) -> bool:
        """Turn the actor's briefs on or off; True when that changed something."""
        if actor.role not in TEACHING:
            raise NotAllowed("Pre-class safety briefs go to teachers and coaches before their classes.")
        async with unit_of_work(self._sessions) as session:
            before = await session.scalar(_ENABLED, {"id": actor.staff_id})
            if (True if before is None else before) == on:
                return False
            await session.execute(_SET, {"id": actor.staff_id, "on": on, "now": self._clock()})
            await audit.record(session, actor, action="brief.preference", subject_type="staff",
                               subject_ids=[actor.staff_id], via=via, allowed=True, reason="on" if on else "off")
        return True

    async def status(self, actor: Actor) -> BriefStatus:
        async with self._sessions() as session:
            enabled = await session.scalar(_ENABLED, {"id": actor.staff_id})
            temperature, entered = await temperature_today(session, actor.school_id, self._today(actor),
                                                           self._default_temperature_f)
        return BriefStatus(enabled is not False, self.minutes_before, temperature, entered)

    async def enter_temperature(self, actor: Actor, fahrenheit: float, *, via: str) -> float:
        if not LOWEST_F <= fahrenheit <= HIGHEST_F:
            raise InvalidInput(f"A temperature between {LOWEST_F:.0f} and {HIGHEST_F:.0f} °F, please "
                               "(e.g. temperature 94); nothing was saved.", {"temperature": "°F"})
        async with unit_of_work(self._sessions) as session:
            await session.execute(_TEMPERATURE, {"school": actor.school_id, "day": self._today(actor),
                                                 "t": fahrenheit, "by": actor.staff_id, "now": self._clock()})
            await audit.record(session, actor, action="brief.temperature", subject_type="school",
                               subject_ids=[actor.school_id], via=via, allowed=True, reason=f"{fahrenheit:g}F")
        return fahrenheit

    def _today(self, actor: Actor) -> date:
        return self._clock().astimezone(ZoneInfo(actor.time_zone)).date()


async def temperature_today(session: AsyncSession, school_id: int, day: date,
                            default_f: float | None) -> tuple[float | None, bool]:
    """(°F, entered by staff): the temperature entered for that school's day, else the configured one."""
    entered = await session.scalar(_TODAY, {"school": school_id, "day": day})
    if entered is not None:
        return float(entered), True
    return default_f, False


def now_local(clock: Clock, time_zone: str) -> datetime:
    return clock().astimezone(ZoneInfo(time_zone))
