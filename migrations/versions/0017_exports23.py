"""export files: what a member of staff downloaded (widget tables and cards, incident reports, fitness results),
kept until the link expires

Revision ID: 0017_exports23
Revises: 0016_messages23
Create Date: 2026-12-05 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_exports23"
down_revision: str | None = "0016_messages23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_files",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=160), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("student_count", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_export_files_staff_id", "export_files", ["staff_id"])
    op.create_index("ix_export_files_expires_at", "export_files", ["expires_at"])


def downgrade() -> None:
    op.drop_table("export_files")
