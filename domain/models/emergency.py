"""Emergencies (evacuation, lockdown, severe weather; drill or real): per-class accountability, per-student marks
(append-only: the latest mark per student is its current state) and the card outbox the relay delivers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin

DELIVERY_DUE = "status IN ('pending', 'sending', 'update_pending', 'updating')"


class Emergency(IdMixin, Base):
    __tablename__ = "emergencies"
    __table_args__ = (
        # At most one open emergency per school: a re-sent "emergency evacuation" finds the open one.
        Index("uq_emergencies_one_open_per_school", "school_id", unique=True,
              postgresql_where=text("closed_at IS NULL")),
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # evacuation | lockdown | severe_weather
    drill: Mapped[bool] = mapped_column(Boolean)
    period: Mapped[str | None] = mapped_column(String(20))  # a planned drill's period ("3"); None: by the clock
    started_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Escalation: level 0 → re-ping unanswered teachers at escalate_after; level 1 → tell the admins; then None.
    escalation_level: Mapped[int] = mapped_column(Integer, server_default="0")
    escalate_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Bumped by every change an admin's card shows (answers, marks, escalation, all clear): a card rendered from
    # an older version is updated.
    version: Mapped[int] = mapped_column(Integer, server_default="0")


class EmergencyClass(IdMixin, Base):
    """One class in session when the emergency started, and its teacher's answer."""

    __tablename__ = "emergency_classes"
    __table_args__ = (UniqueConstraint("emergency_id", "class_id", name="uq_emergency_classes_class"),)
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), server_default="unanswered")  # unanswered | all_here | partial
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmergencyMark(IdMixin, Base):
    """Append-only: a student marked missing, injured, with a teacher from another class, or found."""

    __tablename__ = "emergency_marks"
    __table_args__ = (Index("ix_emergency_marks_student", "emergency_id", "student_id", "id"),)
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))  # where it was marked
    mark: Mapped[str] = mapped_column(String(12))  # missing | injured | with_me | found
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EmergencyDelivery(IdMixin, Base):
    """Outbox row: one card per (emergency, recipient, kind, level), claimed by relays with FOR UPDATE SKIP LOCKED."""

    __tablename__ = "emergency_deliveries"
    __table_args__ = (
        UniqueConstraint("emergency_id", "recipient_id", "kind", "level", name="uq_emergency_delivery_recipient"),
        Index("ix_emergency_deliveries_due", "next_attempt_at", postgresql_where=text(DELIVERY_DUE)),
    )
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # teacher | admin | reminder | escalation
    level: Mapped[int] = mapped_column(Integer, server_default="0")
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    rendered_version: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
