"""knowledge chunks carry their section's role (steps | criteria | roles | background | other), decided at ingestion

Existing rows are classified here with the same rule the ingest uses (domain.section_roles), so answers lead with
the steps without waiting for a re-ingest.

Revision ID: 0013
Revises: 0010 (knowledge document files)
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from domain.section_roles import role_of

    op.add_column("knowledge_chunks", sa.Column("role", sa.String(length=12), server_default="other", nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, section, content FROM knowledge_chunks")).all()
    updates = [{"id": r.id, "role": role_of(r.section, r.content)} for r in rows]
    updates = [u for u in updates if u["role"] != "other"]
    if updates:
        bind.execute(sa.text("UPDATE knowledge_chunks SET role = :role WHERE id = :id"), updates)


def downgrade() -> None:
    op.drop_column("knowledge_chunks", "role")
