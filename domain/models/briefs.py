"""Pre-class safety briefs: the outbox of briefs (one per class and day, claimed by relays with FOR UPDATE SKIP
LOCKED), the temperature staff entered for a school's day, and each teacher's choice to receive briefs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin

BRIEF_DUE = "status IN ('pending', 'sending')"


class PreClassBrief(IdMixin, Base):
    """One brief for one class meeting (class, day): enqueued once by whichever replica sees it due first."""

    __tablename__ = "pre_class_briefs"
    __table_args__ = (
        UniqueConstraint("class_id", "day", name="uq_pre_class_briefs_class_day"),
        Index("ix_pre_class_briefs_due", "next_attempt_at", postgresql_where=text(BRIEF_DUE)),
    )
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)  # the meeting's date, in the school's time zone
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default="pending")  # pending|sending|sent|failed|skipped
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SchoolTemperature(Base):
    """The temperature (°F) a staff member entered for their school's day (``temperature 94``); the latest wins."""

    __tablename__ = "school_temperatures"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    temperature_f: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BriefPreference(Base):
    """A teacher who turned pre-class briefs off (``briefs off``); no row means on."""

    __tablename__ = "brief_preferences"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
