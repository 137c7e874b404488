"""alerts: delivery kind/level (escalations and reporter notices), the conversation a card went to, due-row index

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DUE = "status IN ('pending', 'sending', 'update_pending', 'updating')"


def upgrade() -> None:
    op.add_column("alert_deliveries", sa.Column("kind", sa.String(length=20), server_default="alert", nullable=False))
    op.add_column("alert_deliveries", sa.Column("level", sa.Integer(), server_default="0", nullable=False))
    op.add_column("alert_deliveries", sa.Column("conversation_id", sa.String(length=400), nullable=True))
    op.drop_constraint("uq_alert_delivery_recipient", "alert_deliveries", type_="unique")
    op.create_unique_constraint(
        "uq_alert_delivery_recipient", "alert_deliveries", ["alert_id", "recipient_id", "kind", "level"]
    )
    op.create_index(
        "ix_alert_deliveries_due", "alert_deliveries", ["next_attempt_at"], unique=False, postgresql_where=sa.text(DUE)
    )


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_due", table_name="alert_deliveries", postgresql_where=sa.text(DUE))
    op.drop_constraint("uq_alert_delivery_recipient", "alert_deliveries", type_="unique")
    op.execute("DELETE FROM alert_deliveries WHERE kind <> 'alert' OR level <> 0")
    op.create_unique_constraint("uq_alert_delivery_recipient", "alert_deliveries", ["alert_id", "recipient_id"])
    op.drop_column("alert_deliveries", "conversation_id")
    op.drop_column("alert_deliveries", "level")
    op.drop_column("alert_deliveries", "kind")
