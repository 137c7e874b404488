"""Messages home: a draft made from a record, and what was sent (or saved, or packaged as .eml) to each guardian."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class HomeMessage(IdMixin, CreatedMixin, Base):
    """One message home as the teacher saw it on the draft card. ``key`` is the card's: *Send* claims the row
    (status draft → sending) in one statement, so a second press or a Teams re-send sends nothing more."""

    __tablename__ = "home_messages"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'sending', 'sent', 'drafted', 'packaged', 'failed', 'cancelled')",
                        name="status"),
    )
    key: Mapped[str] = mapped_column(String(80), unique=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # incident | attendance | fitness | class_notice
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(BigInteger)  # the incident the note is about
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # {language: {"subject", "body", "health"}}: the texts shown on the card (body has a {guardian} placeholder)
    texts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    writer: Mapped[str] = mapped_column(String(20))  # template | openai
    include_health: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    delivery: Mapped[str | None] = mapped_column(String(12))  # graph_send | graph_draft | eml
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HomeMessageRecipient(IdMixin, Base):
    """One guardian a message went to. The .eml (local mode) is kept for its signed download link."""

    __tablename__ = "home_message_recipients"
    message_id: Mapped[int] = mapped_column(ForeignKey("home_messages.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(12))  # sent | drafted | packaged | failed | uncertain
    external_id: Mapped[str | None] = mapped_column(String(300))  # Outlook draft id
    eml: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
