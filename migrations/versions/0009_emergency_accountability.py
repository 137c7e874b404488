"""emergency accountability: emergencies (drill or real), the classes in session and their answers, per-student
marks (append-only), and the card outbox (emergency_deliveries) the relay delivers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE = "status IN ('pending', 'sending', 'update_pending', 'updating')"


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete, name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "emergencies",
        _id(),
        sa.Column("school_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalate_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        _fk("emergencies", "school_id", "schools", "CASCADE"),
        _fk("emergencies", "started_by", "staff", "SET NULL"),
        _fk("emergencies", "closed_by", "staff", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_emergencies"),
    )
    op.create_index("ix_emergencies_school_id", "emergencies", ["school_id"])
    op.create_index("ix_emergencies_escalate_after", "emergencies", ["escalate_after"])
    op.create_index("uq_emergencies_one_open_per_school", "emergencies", ["school_id"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"))

    op.create_table(
        "emergency_classes",
        _id(),
        sa.Column("emergency_id", sa.BigInteger(), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="unanswered", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        _fk("emergency_classes", "emergency_id", "emergencies", "CASCADE"),
        _fk("emergency_classes", "class_id", "classes", "CASCADE"),
        _fk("emergency_classes", "teacher_id", "staff", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_classes"),
        sa.UniqueConstraint("emergency_id", "class_id", name="uq_emergency_classes_class"),
    )
    op.create_index("ix_emergency_classes_emergency_id", "emergency_classes", ["emergency_id"])
    op.create_index("ix_emergency_classes_teacher_id", "emergency_classes", ["teacher_id"])

    op.create_table(
        "emergency_marks",
        _id(),
        sa.Column("emergency_id", sa.BigInteger(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=False),
        sa.Column("class_id", sa.BigInteger(), nullable=True),
        sa.Column("mark", sa.String(length=12), nullable=False),
        sa.Column("marked_by", sa.BigInteger(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        _fk("emergency_marks", "emergency_id", "emergencies", "CASCADE"),
        _fk("emergency_marks", "student_id", "students", "CASCADE"),
        _fk("emergency_marks", "class_id", "classes", "SET NULL"),
        _fk("emergency_marks", "marked_by", "staff", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_marks"),
    )
    op.create_index("ix_emergency_marks_student", "emergency_marks", ["emergency_id", "student_id", "id"])

    op.create_table(
        "emergency_deliveries",
        _id(),
        sa.Column("emergency_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=400), nullable=True),
        sa.Column("rendered_version", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("emergency_deliveries", "emergency_id", "emergencies", "CASCADE"),
        _fk("emergency_deliveries", "recipient_id", "staff", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_deliveries"),
        sa.UniqueConstraint("emergency_id", "recipient_id", "kind", "level", name="uq_emergency_delivery_recipient"),
    )
    op.create_index("ix_emergency_deliveries_emergency_id", "emergency_deliveries", ["emergency_id"])
    op.create_index("ix_emergency_deliveries_due", "emergency_deliveries", ["next_attempt_at"],
                    postgresql_where=sa.text(DUE))


def downgrade() -> None:
    op.drop_table("emergency_deliveries")
    op.drop_table("emergency_marks")
    op.drop_table("emergency_classes")
    op.drop_table("emergencies")
