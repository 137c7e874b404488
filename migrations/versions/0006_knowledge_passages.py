"""knowledge passages (sentence windows embedded per chunk) and corpus lexeme document frequencies

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_passages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("chunk_id", sa.String(length=300), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("embedding_model", sa.String(length=100), nullable=False),
        sa.Column("embedding_dim", sa.Integer(), nullable=False),
        sa.Column("embedding", Vector(), nullable=False),
        sa.ForeignKeyConstraint(["chunk_id"], ["knowledge_chunks.id"], ondelete="CASCADE",
                                name="fk_knowledge_passages_chunk_id_knowledge_chunks"),
    )
    op.create_index("ix_knowledge_passages_chunk_id", "knowledge_passages", ["chunk_id"])
    op.create_table(
        "knowledge_lexemes",
        sa.Column("lexeme", sa.Text(), primary_key=True),
        sa.Column("doc_freq", sa.Integer(), nullable=False),  # chunks containing the lexeme (english config)
    )


def downgrade() -> None:
    op.drop_table("knowledge_lexemes")
    op.drop_index("ix_knowledge_passages_chunk_id", table_name="knowledge_passages")
    op.drop_table("knowledge_passages")
