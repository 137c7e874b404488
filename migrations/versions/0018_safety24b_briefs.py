"""pre-class safety briefs: the briefs outbox, entered temperatures, teachers' on/off choice; nurse requests

Revision ID: 0018_safety24b
Revises: 0017_exports23
Create Date: 2026-12-05 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_safety24b"
down_revision: str | None = "0017_exports23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pre_class_briefs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("class_id", sa.BigInteger(), sa.ForeignKey("classes.id", ondelete="CASCADE",
                                                  name="fk_pre_class_briefs_class_id_classes"), nullable=False),
        sa.Column("teacher_id", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="CASCADE",
                                                  name="fk_pre_class_briefs_teacher_id_staff"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=400), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pre_class_briefs"),
        sa.UniqueConstraint("class_id", "day", name="uq_pre_class_briefs_class_day"),
    )
    op.create_index("ix_pre_class_briefs_teacher_id", "pre_class_briefs", ["teacher_id"])
    op.create_index("ix_pre_class_briefs_due", "pre_class_briefs", ["next_attempt_at"],
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_table(
        "school_temperatures",
        sa.Column("school_id", sa.BigInteger(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                  name="fk_school_temperatures_school_id_schools"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("temperature_f", sa.Float(), nullable=False),
        sa.Column("entered_by", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="SET NULL",
                                                  name="fk_school_temperatures_entered_by_staff"), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "day", name="pk_school_temperatures"),
    )
    op.create_table(
        "brief_preferences",
        sa.Column("staff_id", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="CASCADE",
                                                  name="fk_brief_preferences_staff_id_staff"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name="pk_brief_preferences"),
    )
    op.create_table(
        "nurse_requests",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.BigInteger(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                  name="fk_nurse_requests_school_id_schools"), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="CASCADE",
                                                     name="fk_nurse_requests_requester_id_staff"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nurse_requests"),
        sa.UniqueConstraint("requester_id", "idempotency_key", name="uq_nurse_requests_requester_key"),
    )
    op.create_table(
        "nurse_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.BigInteger(), sa.ForeignKey("nurse_requests.id", ondelete="CASCADE",
                                                   name="fk_nurse_deliveries_request_id_nurse_requests"),
                  nullable=False),
        sa.Column("nurse_id", sa.BigInteger(), sa.ForeignKey("staff.id", ondelete="CASCADE",
                                                 name="fk_nurse_deliveries_nurse_id_staff"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_nurse_deliveries"),
        sa.UniqueConstraint("request_id", "nurse_id", name="uq_nurse_deliveries_request_nurse"),
    )
    op.create_index("ix_nurse_deliveries_request_id", "nurse_deliveries", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_nurse_deliveries_request_id", table_name="nurse_deliveries")
    op.drop_table("nurse_deliveries")
    op.drop_table("nurse_requests")
    op.drop_table("brief_preferences")
    op.drop_table("school_temperatures")
    op.drop_index("ix_pre_class_briefs_due", table_name="pre_class_briefs")
    op.drop_index("ix_pre_class_briefs_teacher_id", table_name="pre_class_briefs")
    op.drop_table("pre_class_briefs")
