"""knowledge chunks carry their document's filter fields (kind, audience, grade band as two ints, approved);
SharePoint syncs an admin starts in Teams run as claimed background jobs


Copied from the document by triggers, in the same transaction as the write: on a chunk's insert (and when it moves to
another document), and onto every chunk of a document whose kind, audience, grade band or approval changes. With the
filter on the chunk row, an HNSW scan filters before any join and a partial HNSW index can hold one filter's chunks
(``knowledge.store``); the B-tree indexes find the few chunks a very selective filter passes.

``knowledge_sharepoint_jobs``: a sync an admin asked for in Teams, run by whichever replica claims it (a lease, so a
crashed replica's job is taken over), then the result sent to the admin's 1:1 chat through an outbox
(``knowledge_sync_notices``, one row per finished job, relayed on ``domain.outbox``).

Revision ID: 0019_h22
Revises: 0018_safety24b
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_h22"
down_revision: str | None = "0018_safety24b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "K-12" → (0, 12), "7" → (7, 7), as knowledge.documents.grade_range; anything else → NULLs (passes no grade filter).
GRADE_BOUNDS = r"""
CREATE FUNCTION knowledge_grade_bounds(band text, OUT low integer, OUT high integer)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE m text[];
BEGIN
    m := regexp_match(upper(coalesce(band, '')), '^\s*(K|\d{1,2})\s*(-\s*(K|\d{1,2}))?\s*$');
    IF m IS NULL THEN
        low := NULL; high := NULL;
    ELSE
        low := CASE WHEN m[1] = 'K' THEN 0 ELSE m[1]::integer END;
        high := CASE WHEN coalesce(m[3], m[1]) = 'K' THEN 0 ELSE coalesce(m[3], m[1])::integer END;
    END IF;
END $$
"""

CHUNK_TRIGGER = ("""
CREATE FUNCTION knowledge_chunk_document_fields() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    SELECT kind, audience, grade_band, approved INTO d FROM knowledge_documents WHERE id = NEW.document_id;
    NEW.doc_kind := d.kind;
    NEW.doc_audience := d.audience;
    NEW.doc_approved := coalesce(d.approved, false);
    SELECT b.low, b.high INTO NEW.grade_low, NEW.grade_high FROM knowledge_grade_bounds(d.grade_band) AS b;
    RETURN NEW;
END $$
""", """
CREATE TRIGGER knowledge_chunks_document_fields
    BEFORE INSERT OR UPDATE OF document_id ON knowledge_chunks
    FOR EACH ROW EXECUTE FUNCTION knowledge_chunk_document_fields()
""")

DOCUMENT_TRIGGER = ("""
CREATE FUNCTION knowledge_document_fields_to_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE knowledge_chunks c
       SET doc_kind = NEW.kind, doc_audience = NEW.audience, doc_approved = coalesce(NEW.approved, false),
           grade_low = b.low, grade_high = b.high
      FROM knowledge_grade_bounds(NEW.grade_band) AS b
     WHERE c.document_id = NEW.id;
    RETURN NULL;
END $$
""", """
CREATE TRIGGER knowledge_documents_fields_to_chunks
    AFTER UPDATE OF kind, audience, grade_band, approved ON knowledge_documents
    FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.audience IS DISTINCT FROM NEW.audience
          OR OLD.grade_band IS DISTINCT FROM NEW.grade_band OR OLD.approved IS DISTINCT FROM NEW.approved)
    EXECUTE FUNCTION knowledge_document_fields_to_chunks()
""")


def upgrade() -> None:
    op.add_column("knowledge_chunks", sa.Column("doc_kind", sa.String(20), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("doc_audience", sa.String(40), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("grade_low", sa.Integer(), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("grade_high", sa.Integer(), nullable=True))
    op.add_column("knowledge_chunks", sa.Column("doc_approved", sa.Boolean(), server_default=sa.false(),
                                                nullable=False))
    op.execute(GRADE_BOUNDS)
    op.execute(
        "UPDATE knowledge_chunks c SET doc_kind = d.kind, doc_audience = d.audience, "
        "doc_approved = coalesce(d.approved, false), grade_low = b.low, grade_high = b.high "
        "FROM knowledge_documents d, knowledge_grade_bounds(d.grade_band) AS b WHERE d.id = c.document_id"
    )
    for statement in (*CHUNK_TRIGGER, *DOCUMENT_TRIGGER):
        op.execute(statement)
    # What a selective filter's count and exact scan read (index-only for the count).
    op.create_index("ix_knowledge_chunks_filter_kind", "knowledge_chunks",
                    ["embedding_model", "embedding_dim", "doc_kind", "grade_low", "grade_high", "doc_audience"],
                    postgresql_where=sa.text("doc_approved"))
    op.create_index("ix_knowledge_chunks_filter_audience", "knowledge_chunks",
                    ["embedding_model", "embedding_dim", "doc_audience", "grade_low", "grade_high"],
                    postgresql_where=sa.text("doc_approved"))
    _jobs_table()


def _jobs_table() -> None:
    op.create_table(
        "knowledge_sharepoint_jobs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("folder_id", sa.BigInteger(), sa.ForeignKey(
            "knowledge_sharepoint_folders.id", ondelete="CASCADE",
            name="fk_knowledge_sharepoint_jobs_folder_id"), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), sa.ForeignKey(
            "staff.id", ondelete="CASCADE", name="fk_knowledge_sharepoint_jobs_requested_by"), nullable=False),
        sa.Column("folder_label", sa.String(length=700), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_sharepoint_jobs"),
    )
    # one queued or running job per folder (0: every approved folder)
    op.create_index("ix_knowledge_sharepoint_jobs_active", "knowledge_sharepoint_jobs",
                    [sa.text("coalesce(folder_id, 0)")], unique=True,
                    postgresql_where=sa.text("status IN ('pending', 'running')"))
    op.create_table(
        "knowledge_sync_notices",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["knowledge_sharepoint_jobs.id"],
                                name="fk_knowledge_sync_notices_job_id_knowledge_sharepoint_jobs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_knowledge_sync_notices_staff_id_staff",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_sync_notices"),
        sa.UniqueConstraint("job_id", name="uq_knowledge_sync_notices_job_id"),
    )
    op.create_index("ix_knowledge_sync_notices_due", "knowledge_sync_notices", ["next_attempt_at"],
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))


def downgrade() -> None:
    op.drop_index("ix_knowledge_sync_notices_due", table_name="knowledge_sync_notices")
    op.drop_table("knowledge_sync_notices")
    op.drop_index("ix_knowledge_sharepoint_jobs_active", table_name="knowledge_sharepoint_jobs")
    op.drop_table("knowledge_sharepoint_jobs")
    op.drop_index("ix_knowledge_chunks_filter_audience", table_name="knowledge_chunks")
    op.drop_index("ix_knowledge_chunks_filter_kind", table_name="knowledge_chunks")
    op.execute("DROP TRIGGER knowledge_documents_fields_to_chunks ON knowledge_documents")
    op.execute("DROP FUNCTION knowledge_document_fields_to_chunks()")
    op.execute("DROP TRIGGER knowledge_chunks_document_fields ON knowledge_chunks")
    op.execute("DROP FUNCTION knowledge_chunk_document_fields()")
    op.execute("DROP FUNCTION knowledge_grade_bounds(text)")
    for column in ("doc_approved", "grade_high", "grade_low", "doc_audience", "doc_kind"):
        op.drop_column("knowledge_chunks", column)
