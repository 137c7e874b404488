"""Append-only audit trail: every read of a student record, allowed or denied, and every write."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.models import AuditLog

# A declarative class's __table__ is a Table; the stubs type it as the wider FromClause.
AUDIT_TABLE = cast("Table", AuditLog.__table__)


async def record(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_ids: list[int],
    via: str,
    allowed: bool,
    reason: str | None = None,
) -> None:
    """Add one audit row per subject to the caller's transaction (it commits or rolls back with the work)."""
    if not subject_ids:
        return
    await session.execute(
        insert(AUDIT_TABLE),  # a Core insert: the ORM's bulk-insert machinery costs more than the round trip
        [
            {
                "actor_staff_id": actor.staff_id,
                "actor_tenant_id": actor.tenant_id,
                "actor_aad_object_id": actor.aad_object_id,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "via": via,
                "allowed": allowed,
                "reason": reason,
                "conversation_type": actor.conversation_type,
            }
            for subject_id in subject_ids
        ],
    )


async def record_refusal(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_ids: list[int],
    via: str,
    reason: str,
) -> None:
    """A refused attempt, in its own transaction: it must be kept even though the refused work rolls back."""
    async with sessions() as session, session.begin():
        await record(
            session, actor, action=action, subject_type=subject_type, subject_ids=subject_ids, via=via,
            allowed=False, reason=reason,
        )


async def record_unattended(
    session: AsyncSession,
    process: str,
    *,
    action: str,
    subject_type: str,
    subject_ids: list[int],
    via: str,
    reason: str | None = None,
) -> None:
    """A write no person started in that moment (a scheduled sync, the operator's command line): no staff id, the
    process named in place of the AAD object id. In the caller's transaction, like ``record``."""
    if not subject_ids:
        return
    await session.execute(
        insert(AUDIT_TABLE),
        [
            {"actor_staff_id": None, "actor_tenant_id": "", "actor_aad_object_id": process[:64], "action": action,
             "subject_type": subject_type, "subject_id": subject_id, "via": via, "allowed": True, "reason": reason,
             "conversation_type": None}
            for subject_id in subject_ids
        ],
    )
