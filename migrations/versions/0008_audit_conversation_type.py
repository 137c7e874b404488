"""audit rows keep the kind of conversation a student record was opened from (personal, groupChat, channel)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: rows written before this revision did not record it, and the log is append-only (no backfill).
    op.add_column("audit_log", sa.Column("conversation_type", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "conversation_type")
