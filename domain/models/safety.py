"""Safety: incidents, alert rules, alerts and their per-recipient deliveries (the outbox), equipment."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class Severity(str, enum.Enum):
    minor = "minor"
    moderate = "moderate"
    serious = "serious"
    critical = "critical"


class Incident(IdMixin, CreatedMixin, Base):
    __tablename__ = "incidents"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    # NULL for incidents without an injured student (equipment failure, near miss with no one hurt).
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    location: Mapped[str] = mapped_column(String(120))
    activity: Mapped[str] = mapped_column(String(120))
    incident_type: Mapped[str] = mapped_column(String(60))  # injury | illness | behavior | near_miss | ...
    severity: Mapped[Severity] = mapped_column(Enum(Severity, name="incident_severity"))
    description: Mapped[str] = mapped_column(Text)
    injuries: Mapped[str | None] = mapped_column(Text)
    action_taken: Mapped[str | None] = mapped_column(Text)
    witnesses: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | follow_up | closed
    # Client-supplied key from the confirmation card: a second press or a Teams re-send writes nothing more.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)


class AlertRule(IdMixin, Base):
    """Editable by admins. A rule matches on severity, incident type or keywords in the text."""

    __tablename__ = "alert_rules"
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))  # None: all schools
    name: Mapped[str] = mapped_column(String(120))
    min_severity: Mapped[Severity | None] = mapped_column(Enum(Severity, name="incident_severity"))
    incident_types: Mapped[list[str]] = mapped_column(JSONB, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSONB, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(IdMixin, CreatedMixin, Base):
    __tablename__ = "alerts"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalate_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class AlertDelivery(IdMixin, CreatedMixin, Base):
    """Outbox row: one per (alert, recipient, escalation level). The relay claims with FOR UPDATE SKIP LOCKED."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "recipient_id", "kind", "level", name="uq_alert_delivery_recipient"),
        Index(
            "ix_alert_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending', 'update_pending', 'updating')"),
        ),
    )
    kind: Mapped[str] = mapped_column(String(20), default="alert", server_default="alert")  # alert|escalation|reporter
    level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(300))


class Equipment(IdMixin, Base):
    __tablename__ = "equipment"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    min_quantity: Mapped[int] = mapped_column(Integer, default=0)
    condition: Mapped[str] = mapped_column(String(20), default="good")  # good | worn | damaged | retired
    inspection_interval_days: Mapped[int] = mapped_column(Integer, default=365)
    units: Mapped[list[str]] = mapped_column(JSONB, default=list)  # curriculum units that use it
    out_of_service: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    item_count: Mapped[int | None] = mapped_column(Integer)  # numbered items (#1..#n) for per-item checks


class EquipmentInspection(IdMixin, Base):
    __tablename__ = "equipment_inspections"
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    inspected_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20))  # pass | repair | fail
    notes: Mapped[str | None] = mapped_column(Text)
    item_label: Mapped[str | None] = mapped_column(String(40))  # "#3" when one numbered item was checked
    idempotency_key: Mapped[str | None] = mapped_column(String(80), index=True)


NOTICE_DUE = "status IN ('pending', 'sending')"


class EquipmentNotice(IdMixin, Base):
    """Outbox row: a teacher told (privately, by the relay) that equipment their classes use failed a check.

    ``episode`` is the id of the item's last whole-item pass before the failure (0: none): a piece is announced to a
    recipient once per episode, so re-saving the same failed check tells nobody again, while a piece that fails
    again after the item passed a check is announced again (``domain.records.notices``)."""

    __tablename__ = "equipment_notices"
    __table_args__ = (
        UniqueConstraint("check_key", "recipient_id", name="uq_equipment_notice_check_recipient"),
        Index("ix_equipment_notices_due", "next_attempt_at", postgresql_where=text(NOTICE_DUE)),
        Index("ix_equipment_notices_episode", "equipment_id", "recipient_id", "episode"),
    )
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    episode: Mapped[int] = mapped_column(BigInteger)
    pieces: Mapped[list[str]] = mapped_column(ARRAY(String(120)))  # "#3", or the item's name when all of it failed
    details: Mapped[str] = mapped_column(String(2000))  # "#3 (frayed); #5"
    check_key: Mapped[str] = mapped_column(String(80))  # the check card's key
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    classes: Mapped[str] = mapped_column(String(2000))  # the recipient's classes that use it
    status: Mapped[str] = mapped_column(String(20), server_default="pending")  # pending|sending|sent|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
