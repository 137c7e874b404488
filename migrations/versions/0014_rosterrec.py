"""roster and records follow-ups: schools deactivated when they leave the roster; each class's term from the roster
(recordings outside it are refused); the equipment notice outbox (teachers told when gear their classes use fails)

Revision ID: 0014_rosterrec
Revises: 0013
Create Date: 2026-12-05 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_rosterrec"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False))


def downgrade() -> None:
    op.drop_column("schools", "active")
