"""roster and records follow-ups: schools deactivated when they leave the roster; each class's term from the roster
(recordings outside it are refused); the equipment notice outbox (teachers told when gear their classes use fails)

Revision ID: 0015_rosterrec
Revises: 0014_docs
Create Date: 2026-12-05 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_rosterrec"
down_revision: str | None = "0014_docs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column("classes", sa.Column("term_name", sa.String(length=120), nullable=True))
    op.add_column("classes", sa.Column("term_starts_on", sa.Date(), nullable=True))
    op.add_column("classes", sa.Column("term_ends_on", sa.Date(), nullable=True))
    op.create_check_constraint("ck_classes_term", "classes", "(term_starts_on IS NULL) = (term_ends_on IS NULL) "
                               "AND (term_starts_on IS NULL OR term_starts_on <= term_ends_on)")
    op.create_table(
        "equipment_notices",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("equipment_id", sa.BigInteger(), nullable=False),
        sa.Column("episode", sa.BigInteger(), nullable=False),
        sa.Column("pieces", postgresql.ARRAY(sa.String(length=120)), nullable=False),
        sa.Column("details", sa.String(length=2000), nullable=False),
        sa.Column("check_key", sa.String(length=80), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("classes", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=400), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["equipment_id"], ["equipment.id"], name="fk_equipment_notices_equipment_id_equipment",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inspector_id"], ["staff.id"], name="fk_equipment_notices_inspector_id_staff",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recipient_id"], ["staff.id"], name="fk_equipment_notices_recipient_id_staff",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_equipment_notices"),
        sa.UniqueConstraint("check_key", "recipient_id", name="uq_equipment_notice_check_recipient"),
    )
    op.create_index("ix_equipment_notices_due", "equipment_notices", ["next_attempt_at"],
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index("ix_equipment_notices_episode", "equipment_notices", ["equipment_id", "recipient_id", "episode"])


def downgrade() -> None:
    op.drop_table("equipment_notices")
    op.drop_constraint("ck_classes_term", "classes", type_="check")
    for column in ("term_ends_on", "term_starts_on", "term_name"):
        op.drop_column("classes", column)
    op.drop_column("schools", "active")
