"""Requests for the school nurse (*Notify nurse* after a protocol answer): one request per press (unique key per
requester), one delivery row per nurse, sent by the alert runner's nurse relay (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin


class NurseRequest(IdMixin, Base):
    __tablename__ = "nurse_requests"
    __table_args__ = (UniqueConstraint("requester_id", "idempotency_key", name="uq_nurse_requests_requester_key"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NurseDelivery(IdMixin, Base):
    __tablename__ = "nurse_deliveries"
    __table_args__ = (UniqueConstraint("request_id", "nurse_id", name="uq_nurse_deliveries_request_nurse"),)
    request_id: Mapped[int] = mapped_column(ForeignKey("nurse_requests.id", ondelete="CASCADE"), index=True)
    nurse_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), server_default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(300))
