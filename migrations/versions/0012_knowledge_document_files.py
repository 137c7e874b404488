"""knowledge documents of any format: pages on documents and chunks, the original file and what was read kept on
each upload (bytea), and uploads of replaced versions kept as the audit record

Revision ID: 0010
Revises: 0009_roster
Create Date: 2026-12-05 07:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009_roster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("knowledge_documents", sa.Column("format", sa.String(length=10), server_default="markdown",
                                                   nullable=False))
    op.add_column("knowledge_documents", sa.Column("pages", sa.Integer(), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("page_start", sa.Integer(), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("page_end", sa.Integer(), nullable=True))
    op.add_column("knowledge_uploads", sa.Column("original", postgresql.BYTEA(), nullable=True))
    op.add_column("knowledge_uploads", sa.Column("media_type", sa.String(length=100), nullable=True))
    op.add_column("knowledge_uploads", sa.Column("parsed", postgresql.JSONB(), nullable=True))
    op.add_column("knowledge_uploads", sa.Column("title", sa.String(length=300), nullable=True))
    op.add_column("knowledge_uploads", sa.Column("version", sa.String(length=20), nullable=True))
    op.alter_column("knowledge_uploads", "content", server_default="")


def downgrade() -> None:
    op.alter_column("knowledge_uploads", "content", server_default=None)
    for column in ("version", "title", "parsed", "media_type", "original"):
        op.drop_column("knowledge_uploads", column)
    op.drop_column("knowledge_chunks", "page_end")
    op.drop_column("knowledge_chunks", "page_start")
    op.drop_column("knowledge_documents", "pages")
    op.drop_column("knowledge_documents", "format")
