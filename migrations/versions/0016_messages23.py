"""messages home (#23): guardians' preferred language and contact permission; home messages and their recipients

Revision ID: 0016_messages23
Revises: 0015_rosterrec
Create Date: 2026-12-05 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_messages23"
down_revision: str | None = "0015_rosterrec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("guardians", sa.Column("preferred_language", sa.String(length=35), nullable=True))
    op.add_column("guardians", sa.Column("contact_allowed", sa.Boolean(), server_default=sa.text("true"),
                                         nullable=False))
    op.create_table(
        "home_messages",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=True),
        sa.Column("class_id", sa.BigInteger(), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("texts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("writer", sa.String(length=20), nullable=False),
        sa.Column("include_health", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'sending', 'sent', 'drafted', 'packaged', 'failed', 'cancelled')",
                           name=op.f("ck_home_messages_status")),
        sa.ForeignKeyConstraint(["sender_id"], ["staff.id"], name=op.f("fk_home_messages_sender_id_staff"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], name=op.f("fk_home_messages_student_id_students"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name=op.f("fk_home_messages_class_id_classes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_home_messages_key")),
    )
    op.create_index(op.f("ix_home_messages_sender_id"), "home_messages", ["sender_id"])
    op.create_index(op.f("ix_home_messages_student_id"), "home_messages", ["student_id"])
    op.create_table(
        "home_message_recipients",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("guardian_id", sa.BigInteger(), nullable=True),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("eml", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["home_messages.id"],
                                name=op.f("fk_home_message_recipients_message_id_home_messages"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardians.id"],
                                name=op.f("fk_home_message_recipients_guardian_id_guardians"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"],
                                name=op.f("fk_home_message_recipients_student_id_students"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_message_recipients")),
    )
    op.create_index(op.f("ix_home_message_recipients_message_id"), "home_message_recipients", ["message_id"])
    op.create_index(op.f("ix_home_message_recipients_student_id"), "home_message_recipients", ["student_id"])


def downgrade() -> None:
    op.drop_table("home_message_recipients")
    op.drop_table("home_messages")
    op.drop_column("guardians", "contact_allowed")
    op.drop_column("guardians", "preferred_language")
