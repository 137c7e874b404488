"""knowledge documents added by admins in Teams: a source column (corpus | upload) and the uploads they came from

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("knowledge_documents",
                  sa.Column("source", sa.String(length=10), server_default="corpus", nullable=False))
    op.create_table(
        "knowledge_uploads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE",
                                name="fk_knowledge_uploads_staff_id_staff"),
        sa.ForeignKeyConstraint(["document_id"], ["knowledge_documents.id"], ondelete="SET NULL",
                                name="fk_knowledge_uploads_document_id_knowledge_documents"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_uploads"),
    )
    op.create_index("ix_knowledge_uploads_staff_id", "knowledge_uploads", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_knowledge_uploads_staff_id", table_name="knowledge_uploads")
    op.drop_table("knowledge_uploads")
    op.drop_column("knowledge_documents", "source")
