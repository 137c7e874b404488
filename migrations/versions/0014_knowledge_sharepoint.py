"""knowledge originals from every source and SharePoint folder sync

- ``knowledge_uploads`` keeps the original of documents that did not come from an admin in Teams too (a file ingested
  with ``python -m knowledge ingest PATH``, a file synced from SharePoint): ``origin`` says which (teams | cli |
  sharepoint) and ``staff_id`` is empty for them.
- ``knowledge_sharepoint_folders``: the document library folders an admin approved, with the Graph delta link of the
  last complete sync and the ids of the folders inside the approved one.
- ``knowledge_sharepoint_items``: each file seen there, the version last read (Graph's content hash) and the document
  it became, or why it could not be read.

Revision ID: 0014_docs
Revises: 0013
Create Date: 2026-12-05 10:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_docs"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("knowledge_uploads", "staff_id", nullable=True)
    op.add_column("knowledge_uploads",
                  sa.Column("origin", sa.String(length=12), server_default="teams", nullable=False))
    op.create_table(
        "knowledge_sharepoint_folders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=False),
        sa.Column("folder_path", sa.String(length=400), nullable=False),
        sa.Column("site_id", sa.String(length=300), nullable=False),
        sa.Column("drive_id", sa.String(length=200), nullable=False),
        sa.Column("folder_item_id", sa.String(length=200), nullable=False),
        sa.Column("folder_ids", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("overrides", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("delta_link", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_report", postgresql.JSONB(), nullable=True),
        sa.ForeignKeyConstraint(["approved_by"], ["staff.id"], ondelete="SET NULL",
                                name="fk_knowledge_sharepoint_folders_approved_by_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_sharepoint_folders"),
        sa.UniqueConstraint("drive_id", "folder_item_id", name="uq_knowledge_sharepoint_folders_drive_id"),
    )
    op.create_table(
        "knowledge_sharepoint_items",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["folder_id"], ["knowledge_sharepoint_folders.id"], ondelete="CASCADE",
                                name="fk_knowledge_sharepoint_items_folder_id"),
        sa.ForeignKeyConstraint(["document_id"], ["knowledge_documents.id"], ondelete="SET NULL",
                                name="fk_knowledge_sharepoint_items_document_id_knowledge_documents"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_sharepoint_items"),
        sa.UniqueConstraint("folder_id", "item_id", name="uq_knowledge_sharepoint_items_folder_id"),
    )


def downgrade() -> None:
    op.drop_table("knowledge_sharepoint_items")
    op.drop_table("knowledge_sharepoint_folders")
    op.drop_column("knowledge_uploads", "origin")
    op.execute("DELETE FROM knowledge_uploads WHERE staff_id IS NULL")
    op.alter_column("knowledge_uploads", "staff_id", nullable=False)
