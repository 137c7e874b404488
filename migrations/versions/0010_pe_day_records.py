"""teachers record the PE day: attendance reasons and who recorded them, card submissions (idempotency), fitness
bands with a maximum, a unit and their published edition (loaded from domain/records/data/fitnessgram_hfz.csv),
equipment out of service

Revision ID: 0009_records
Revises: 0009
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_records"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "('present', 'absent', 'tardy', 'excused', 'sat_out')"
REASONS = "('injury', 'illness', 'no_kit', 'medical_note')"


def upgrade() -> None:
    op.add_column("attendance", sa.Column("reason", sa.String(length=20), nullable=True))
    op.add_column("attendance", sa.Column("recorded_by", sa.BigInteger(), nullable=True))
    op.add_column("attendance", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key("fk_attendance_recorded_by_staff", "attendance", "staff", ["recorded_by"], ["id"],
                          ondelete="SET NULL")
    op.create_check_constraint("ck_attendance_status", "attendance", f"status IN {STATUSES}")
    op.create_check_constraint(
        "ck_attendance_reason", "attendance",
        f"(status = 'sat_out' AND reason IN {REASONS}) OR (status <> 'sat_out' AND reason IS NULL)")
    op.create_table(
        "record_submissions",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="SET NULL",
                                name="fk_record_submissions_staff_id_staff"),
        sa.PrimaryKeyConstraint("key", name="pk_record_submissions"),
    )
    op.alter_column("fitness_bands", "healthy_min", existing_type=sa.Float(), nullable=True)
    op.add_column("fitness_bands", sa.Column("healthy_max", sa.Float(), nullable=True))
    op.add_column("fitness_bands", sa.Column("unit", sa.String(length=20), server_default="", nullable=False))
    op.add_column("fitness_bands", sa.Column("edition", sa.String(length=200), server_default="", nullable=False))
    op.add_column("equipment", sa.Column("out_of_service", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("equipment", sa.Column("item_count", sa.Integer(), nullable=True))
    op.add_column("equipment_inspections", sa.Column("item_label", sa.String(length=40), nullable=True))
    op.add_column("equipment_inspections", sa.Column("idempotency_key", sa.String(length=80), nullable=True))
    op.create_index("ix_equipment_inspections_idempotency_key", "equipment_inspections", ["idempotency_key"])
    op.add_column("fitness_tests", sa.Column("class_id", sa.BigInteger(), nullable=True))
    op.add_column("fitness_tests", sa.Column("recorded_by", sa.BigInteger(), nullable=True))
    op.create_foreign_key("fk_fitness_tests_class_id_classes", "fitness_tests", "classes", ["class_id"], ["id"],
                          ondelete="SET NULL")
    op.create_foreign_key("fk_fitness_tests_recorded_by_staff", "fitness_tests", "staff", ["recorded_by"], ["id"],
                          ondelete="SET NULL")
    _load_published_bands()


def _load_published_bands() -> None:
    from domain.records.fitness_bands import published_rows  # the shipped data file, read once here

    bands = sa.table("fitness_bands", sa.column("test", sa.String), sa.column("sex", sa.String),
                     sa.column("age", sa.Integer), sa.column("healthy_min", sa.Float),
                     sa.column("healthy_max", sa.Float), sa.column("unit", sa.String), sa.column("edition", sa.String))
    op.execute(bands.delete())  # the earlier illustrative rows (never a published standard) are replaced
    op.bulk_insert(bands, published_rows())


def downgrade() -> None:
    op.drop_constraint("fk_fitness_tests_recorded_by_staff", "fitness_tests", type_="foreignkey")
    op.drop_constraint("fk_fitness_tests_class_id_classes", "fitness_tests", type_="foreignkey")
    op.drop_column("fitness_tests", "recorded_by")
    op.drop_column("fitness_tests", "class_id")
    op.drop_index("ix_equipment_inspections_idempotency_key", table_name="equipment_inspections")
    op.drop_column("equipment_inspections", "idempotency_key")
    op.drop_column("equipment_inspections", "item_label")
    op.drop_column("equipment", "item_count")
    op.drop_column("equipment", "out_of_service")
    op.execute("DELETE FROM fitness_bands WHERE healthy_min IS NULL")
    op.drop_column("fitness_bands", "edition")
    op.drop_column("fitness_bands", "unit")
    op.drop_column("fitness_bands", "healthy_max")
    op.alter_column("fitness_bands", "healthy_min", existing_type=sa.Float(), nullable=False)
    op.drop_table("record_submissions")
    op.drop_constraint("ck_attendance_reason", "attendance", type_="check")
    op.drop_constraint("ck_attendance_status", "attendance", type_="check")
    op.drop_constraint("fk_attendance_recorded_by_staff", "attendance", type_="foreignkey")
    op.drop_column("attendance", "recorded_at")
    op.drop_column("attendance", "recorded_by")
    op.drop_column("attendance", "reason")
