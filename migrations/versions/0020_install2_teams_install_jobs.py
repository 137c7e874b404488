"""Installing Faraday in Teams for unreachable staff runs as a claimed background job

``teams_install_jobs``: one row per confirmation card an admin pressed (``card_key`` unique, so a re-press queues
nothing more), with who was unreachable at the press; run by whichever replica claims it (a lease renewed while it
runs, so a crashed replica's job is taken over). ``teams_install_notices``: the result for the admin's 1:1 chat, one
row per finished job, relayed on ``domain.outbox``.

Revision ID: 0020_install2
Revises: 0019_h22
Create Date: 2026-12-05 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_install2"
down_revision: str | None = "0019_h22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_install_jobs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("card_key", sa.String(length=80), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), sa.ForeignKey(
            "staff.id", ondelete="CASCADE", name="fk_teams_install_jobs_requested_by"), nullable=False),
        sa.Column("people", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams_install_jobs"),
        sa.UniqueConstraint("card_key", name="uq_teams_install_jobs_card_key"),
    )
    op.create_table(
        "teams_install_notices",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["teams_install_jobs.id"],
                                name="fk_teams_install_notices_job_id_teams_install_jobs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_teams_install_notices_staff_id_staff",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_teams_install_notices"),
        sa.UniqueConstraint("job_id", name="uq_teams_install_notices_job_id"),
    )
    op.create_index("ix_teams_install_notices_due", "teams_install_notices", ["next_attempt_at"],
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))


def downgrade() -> None:
    op.drop_index("ix_teams_install_notices_due", table_name="teams_install_notices")
    op.drop_table("teams_install_notices")
    op.drop_table("teams_install_jobs")
