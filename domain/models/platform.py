"""Platform records: conversation references and memory, the audit log, feedback, knowledge documents/chunks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class ConversationReference(IdMixin, Base):
    """Where Faraday can reach a staff member proactively; stored only from authenticated turns."""

    __tablename__ = "conversation_references"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(400), unique=True)
    conversation_type: Mapped[str] = mapped_column(String(20))  # personal | groupChat | channel
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(40))
    bot_id: Mapped[str] = mapped_column(String(200))
    reference: Mapped[dict[str, Any]] = mapped_column(JSONB)
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ConversationTurn(IdMixin, CreatedMixin, Base):
    """Conversation memory: one row per user or assistant message (trimmed to a budget when read)."""

    __tablename__ = "conversation_turns"
    conversation_id: Mapped[str] = mapped_column(String(400), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # user | assistant
    content: Mapped[str] = mapped_column(Text)
    student_ids: Mapped[list[int]] = mapped_column(JSONB, default=list)  # for deletion of a student's traces


class AuditLog(IdMixin, Base):
    """Append-only (an UPDATE/DELETE trigger refuses changes; see the migration)."""

    __tablename__ = "audit_log"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor_staff_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # no FK: the log outlives staff rows
    actor_tenant_id: Mapped[str] = mapped_column(String(64))
    actor_aad_object_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))  # student.read | student.health.read | incident.create ...
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    via: Mapped[str] = mapped_column(String(60))  # tool:lookup_student | card:incident | widget:attendance ...
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(200))
    conversation_type: Mapped[str | None] = mapped_column(String(20))  # personal | groupChat | channel (None: older)


class RosterImport(IdMixin, Base):
    """One applied roster import or Graph sync: what came in and what it changed (for ``roster status``)."""

    __tablename__ = "roster_imports"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    format: Mapped[str] = mapped_column(String(20))  # oneroster-1.1 | sds-v1 | sds-v2.1 | graph ...
    source: Mapped[str] = mapped_column(String(300))  # the file or folder name (no directory), or the Graph host
    scope: Mapped[str] = mapped_column(Text)  # the PE pattern, or "all classes"
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)


class RosterUpload(IdMixin, CreatedMixin, Base):
    """A roster .zip an admin sent in Teams: held between the preview card and Apply (or Cancel)."""

    __tablename__ = "roster_uploads"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64))
    # pending | applying | applied | failed | cancelled
    status: Mapped[str] = mapped_column(String(12), server_default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageFeedback(IdMixin, CreatedMixin, Base):
    __tablename__ = "message_feedback"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(200))
    reaction: Mapped[str] = mapped_column(String(20))  # like | dislike
    text: Mapped[str | None] = mapped_column(Text)


class KnowledgeDocument(IdMixin, Base):
    __tablename__ = "knowledge_documents"
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), index=True)  # safety | curriculum | policy
    audience: Mapped[str] = mapped_column(String(40))
    grade_band: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(20))
    reviewed_by: Mapped[str] = mapped_column(String(200))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # corpus: a bundled file under knowledge/corpus (the start-up sync owns it) or one ingested from the command line;
    # upload: added by an admin in Teams; sharepoint: synced from an approved SharePoint folder
    source: Mapped[str] = mapped_column(String(10), server_default="corpus")
    format: Mapped[str] = mapped_column(String(10), server_default="markdown")  # pdf | docx | markdown | text
    pages: Mapped[int | None] = mapped_column(Integer)  # None for formats without pages


class KnowledgeUpload(IdMixin, CreatedMixin, Base):
    """A document an admin sent in Teams: held here between the preview card and Add (or Cancel), then kept as the
    record of who added which version, with the original file (bytea: at most the upload cap, 20 MB; transactional
    and deleted with its row, which a large object is not) for signed download links from citations. A replaced
    version keeps its row, status ``replaced``, and its file. Documents ingested from the command line or synced from
    SharePoint keep their original here too (``origin``), so their citations link to it as well; a retired one's row
    stays, status ``removed``, without its file."""

    __tablename__ = "knowledge_uploads"
    # The admin who sent it in Teams; None for a file ingested from the command line or synced from SharePoint.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(12), server_default="teams")  # teams | cli | sharepoint
    file_name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, server_default="")  # markdown text (empty for other formats)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    status: Mapped[str] = mapped_column(String(12), server_default="pending")  # pending|added|replaced|cancelled
    original: Mapped[bytes | None] = mapped_column(LargeBinary)  # the file as sent (None once cancelled)
    media_type: Mapped[str | None] = mapped_column(String(100))
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # knowledge.parsed.ParsedFile.to_json()
    title: Mapped[str | None] = mapped_column(String(300))  # as added (the card's metadata)
    version: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_documents.id", ondelete="SET NULL"))


class KnowledgeSharePointFolder(IdMixin, CreatedMixin, Base):
    """A SharePoint document library folder an admin approved for the knowledge base (``knowledge.sharepoint``)."""

    __tablename__ = "knowledge_sharepoint_folders"
    __table_args__ = (UniqueConstraint("drive_id", "folder_item_id", name="uq_knowledge_sharepoint_folders_drive_id"),)
    site: Mapped[str] = mapped_column(String(300))  # as the admin gave it: host/sites/name
    folder_path: Mapped[str] = mapped_column(String(400))  # inside the library, as given
    site_id: Mapped[str] = mapped_column(String(300))
    drive_id: Mapped[str] = mapped_column(String(200))
    folder_item_id: Mapped[str] = mapped_column(String(200))
    # the approved folder and the folders inside it (delta items carry no path: scope is tracked by id)
    folder_ids: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    overrides: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))  # kind...
    delta_link: Mapped[str | None] = mapped_column(Text)  # of the last complete sync; None: enumerate from scratch
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class KnowledgeSharePointItem(IdMixin, Base):
    """A file seen in an approved folder: the version last read and the document it became (or why it could not)."""

    __tablename__ = "knowledge_sharepoint_items"
    __table_args__ = (UniqueConstraint("folder_id", "item_id", name="uq_knowledge_sharepoint_items_folder_id"),)
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_sharepoint_folders.id", ondelete="CASCADE",
                   name="fk_knowledge_sharepoint_items_folder_id"))
    item_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(200))  # Graph's content hash (quickXorHash / sha1) or cTag / eTag
    document_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_documents.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KnowledgeSharePointJob(IdMixin, CreatedMixin, Base):
    """A SharePoint sync an admin asked for in Teams (``knowledge.sharepoint_jobs``): queued by the command, run by the
    replica that claims it (``claimed_until`` is its lease), then its result sent to the admin's 1:1 chat (a
    ``KnowledgeSyncNotice`` written when it finishes)."""

    __tablename__ = "knowledge_sharepoint_jobs"
    __table_args__ = (
        Index("ix_knowledge_sharepoint_jobs_active", sql_text("coalesce(folder_id, 0)"), unique=True,
              postgresql_where=sql_text("status IN ('pending', 'running')")),
    )
    # None: every approved folder
    folder_id: Mapped[int | None] = mapped_column(ForeignKey(
        "knowledge_sharepoint_folders.id", ondelete="CASCADE",
        name="fk_knowledge_sharepoint_jobs_folder_id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey(
        "staff.id", ondelete="CASCADE", name="fk_knowledge_sharepoint_jobs_requested_by"))
    folder_label: Mapped[str] = mapped_column(String(700))  # site/folder as the admin gave it, for the notice
    status: Mapped[str] = mapped_column(String(12), server_default="pending")  # pending | running | done
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # {"problem": why it could not run or None, "reports": [knowledge.sharepoint.SyncReport.as_dict(), ...]}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnowledgeSyncNotice(IdMixin, CreatedMixin, Base):
    """Outbox row (``domain.outbox``): a finished SharePoint job's result, to be sent to the admin who asked; written
    in the transaction that finishes the job (``knowledge.sharepoint_jobs``)."""

    __tablename__ = "knowledge_sync_notices"
    __table_args__ = (
        Index("ix_knowledge_sync_notices_due", "next_attempt_at",
              postgresql_where=sql_text("status IN ('pending', 'sending')")),
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("knowledge_sharepoint_jobs.id", ondelete="CASCADE"), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))  # the admin who asked
    status: Mapped[str] = mapped_column(String(12), server_default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(300))


class KnowledgeChunk(CreatedMixin, Base):
    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        Index("ix_knowledge_chunks_tsv", "tsv", postgresql_using="gin"),
        Index("ix_knowledge_chunks_model", "embedding_model", "embedding_dim"),
        Index("ix_knowledge_chunks_filter_kind", "embedding_model", "embedding_dim", "doc_kind", "grade_low",
              "grade_high", "doc_audience", postgresql_where=sql_text("doc_approved")),
        Index("ix_knowledge_chunks_filter_audience", "embedding_model", "embedding_dim", "doc_audience", "grade_low",
              "grade_high", postgresql_where=sql_text("doc_approved")),
    )
    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # "doc-slug#section-slug"
    document_id: Mapped[int] = mapped_column(ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(300))
    # domain.section_roles, decided at ingestion: steps | criteria | roles | background | other
    role: Mapped[str] = mapped_column(String(12), server_default="other")
    content: Mapped[str] = mapped_column(Text)  # with the "Document — Section" prefix the embedder saw
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding_model: Mapped[str] = mapped_column(String(100))
    embedding_dim: Mapped[int] = mapped_column(Integer)
    embedding = mapped_column(Vector())  # dimension varies by model; searches filter on embedding_model
    page_start: Mapped[int | None] = mapped_column(Integer)  # pages the chunk's text came from (None: no pages)
    page_end: Mapped[int | None] = mapped_column(Integer)
    tsv = mapped_column(TSVECTOR, Computed("to_tsvector('english', content)", persisted=True))
    # The document's filter fields, copied by triggers (migration 0019_h22) in the writing transaction, so searches
    # filter chunks without a join and partial HNSW indexes can hold one filter's chunks (knowledge.store,
    # knowledge.hnsw_indexes).
    doc_kind: Mapped[str | None] = mapped_column(String(20))
    doc_audience: Mapped[str | None] = mapped_column(String(40))
    grade_low: Mapped[int | None] = mapped_column(Integer)  # the document's grade band; K = 0
    grade_high: Mapped[int | None] = mapped_column(Integer)
    doc_approved: Mapped[bool] = mapped_column(Boolean, server_default=false())


class KnowledgePassage(Base):
    """Sentence windows of a chunk, embedded on their own: a chunk scores as well as its best passage."""

    __tablename__ = "knowledge_passages"
    __table_args__ = (Index("ix_knowledge_passages_chunk_id", "chunk_id"),)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    chunk_id: Mapped[str] = mapped_column(
        String(300),
        ForeignKey("knowledge_chunks.id", ondelete="CASCADE", name="fk_knowledge_passages_chunk_id_knowledge_chunks"),
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    embedding_model: Mapped[str] = mapped_column(String(100))
    embedding_dim: Mapped[int] = mapped_column(Integer)
    embedding = mapped_column(Vector(), nullable=False)


class KnowledgeLexeme(Base):
    """How many chunks contain each English lexeme (rebuilt at every ingest; for abstention)."""

    __tablename__ = "knowledge_lexemes"
    lexeme: Mapped[str] = mapped_column(Text, primary_key=True)
    doc_freq: Mapped[int] = mapped_column(Integer)
