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
    op.add_column("classes", sa.Column("term_name", sa.String(length=120), nullable=True))
    op.add_column("classes", sa.Column("term_starts_on", sa.Date(), nullable=True))
    op.add_column("classes", sa.Column("term_ends_on", sa.Date(), nullable=True))
    op.create_check_constraint("ck_classes_term", "classes", "(term_starts_on IS NULL) = (term_ends_on IS NULL) "
                               "AND (term_starts_on IS NULL OR term_starts_on <= term_ends_on)")


def downgrade() -> None:
    op.drop_constraint("ck_classes_term", "classes", type_="check")
    for column in ("term_ends_on", "term_starts_on", "term_name"):
        op.drop_column("classes", column)
    op.drop_column("schools", "active")
