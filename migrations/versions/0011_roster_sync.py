"""roster import and sync: source ids, active flags for students and classes, staff imported before their Teams
identity is known (tenant/AAD id and e-mail nullable), admin-set roles kept, the import history

Revision ID: 0009_roster
Revises: 0009_records
Create Date: 2026-12-05 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_roster"
down_revision: str | None = "0009_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCED = ("schools", "staff", "classes", "students")


def upgrade() -> None:
    for table in SOURCED:
        op.add_column(table, sa.Column("source_id", sa.String(length=255), nullable=True))
        op.create_unique_constraint(f"uq_{table}_source_id", table, ["source_id"])
    op.add_column("staff", sa.Column("sis_username", sa.String(length=254), nullable=True))
    op.add_column("staff", sa.Column("role_locked", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.alter_column("staff", "tenant_id", nullable=True)
    op.alter_column("staff", "aad_object_id", nullable=True)
    op.alter_column("staff", "email", nullable=True)
    op.add_column("classes", sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.alter_column("classes", "teacher_id", nullable=True)
    op.add_column("students", sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.alter_column("students", "date_of_birth", nullable=True)
    op.alter_column("students", "student_number", type_=sa.String(length=64))
    op.add_column("guardians", sa.Column("source_id", sa.String(length=255), nullable=True))
    op.create_unique_constraint("uq_guardians_student_source", "guardians", ["student_id", "source_id"])
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roster_imports"),
    )
    op.create_index("ix_roster_imports_at", "roster_imports", ["at"])
    op.create_table(
        "roster_uploads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE",
                                name="fk_roster_uploads_staff_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_roster_uploads"),
    )
    op.create_index("ix_roster_uploads_staff_id", "roster_uploads", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_roster_uploads_staff_id", table_name="roster_uploads")
    op.drop_table("roster_uploads")
    op.drop_index("ix_roster_imports_at", table_name="roster_imports")
    op.drop_table("roster_imports")
    op.drop_constraint("uq_guardians_student_source", "guardians", type_="unique")
    op.drop_column("guardians", "source_id")
    # rows imported from a roster have no Teams identity or date of birth: they cannot survive the old constraints
    op.execute("DELETE FROM students WHERE source_id IS NOT NULL")
    op.execute("DELETE FROM classes WHERE source_id IS NOT NULL")
    op.execute("DELETE FROM staff WHERE source_id IS NOT NULL AND (aad_object_id IS NULL OR email IS NULL)")
    op.alter_column("students", "student_number", type_=sa.String(length=20))
    op.alter_column("students", "date_of_birth", nullable=False)
    op.drop_column("students", "active")
    op.alter_column("classes", "teacher_id", nullable=False)
    op.drop_column("classes", "active")
    op.alter_column("staff", "email", nullable=False)
    op.alter_column("staff", "aad_object_id", nullable=False)
    op.alter_column("staff", "tenant_id", nullable=False)
    op.drop_column("staff", "role_locked")
    op.drop_column("staff", "sis_username")
    for table in reversed(SOURCED):
        op.drop_constraint(f"uq_{table}_source_id", table, type_="unique")
        op.drop_column(table, "source_id")
