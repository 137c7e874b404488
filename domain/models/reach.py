"""Installing Faraday in Teams for unreachable staff as a background job (``domain.teams_install_jobs``): one job per
confirmation card (unique card key), run by the replica that claims it (``claimed_until`` is its lease, renewed while
it runs), then its result sent to the admin's 1:1 chat (a ``TeamsInstallNotice``, relayed on ``domain.outbox``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class TeamsInstallJob(IdMixin, CreatedMixin, Base):
    __tablename__ = "teams_install_jobs"
    card_key: Mapped[str] = mapped_column(String(80), unique=True)  # "{via}:{key}": a re-press finds this row
    requested_by: Mapped[int] = mapped_column(ForeignKey(
        "staff.id", ondelete="CASCADE", name="fk_teams_install_jobs_requested_by"))
    # [{"staff_id", "name", "address", "tenant_id"}]: who was unreachable when the admin pressed Install
    people: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(12), server_default="pending")  # pending | running | done
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # {"problem": why it stopped or None, "results": [{"staff_id", "name", "outcome", "detail"}]}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TeamsInstallNotice(IdMixin, CreatedMixin, Base):
    """Outbox row: a finished install job's result for the admin who asked, written with the job's end."""

    __tablename__ = "teams_install_notices"
    __table_args__ = (
        Index("ix_teams_install_notices_due", "next_attempt_at",
              postgresql_where=sql_text("status IN ('pending', 'sending')")),
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("teams_install_jobs.id", ondelete="CASCADE"), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), server_default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(300))
