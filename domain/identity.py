"""Resolve a Teams identity to an Actor. Unknown or inactive users resolve to None and get nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.db import autocommit
from domain.models import School, Staff

MAX_ID_LENGTH = 64


def plausible_id(value: str | None) -> bool:
    """Tenant and AAD ids are kept as text and validated loosely (the Agents Playground's are not UUIDs)."""
    return bool(value) and len(value) <= MAX_ID_LENGTH and all(c.isalnum() or c in "-_" for c in value)  # type: ignore[union-attr]


class IdentityService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def resolve(self, tenant_id: str | None, aad_object_id: str | None) -> Actor | None:
        if not (plausible_id(tenant_id) and plausible_id(aad_object_id)):
            return None
        return await self._one(Staff.tenant_id == tenant_id, Staff.aad_object_id == aad_object_id)

    async def by_email(self, email: str) -> Actor | None:
        """For operator tools (``python -m bot plan --as``), never for Teams turns."""
        return await self._one(Staff.email == email.strip().lower())

    async def _one(self, *conditions: ColumnElement[bool]) -> Actor | None:
        # columns, not ORM entities: this runs on every turn, and loading two entities costs three times the query
        async with autocommit(self._sessions) as session:
            row = (
                await session.execute(
                    select(Staff.id, Staff.school_id, Staff.role, Staff.tenant_id, Staff.aad_object_id,
                           Staff.display_name, Staff.email, School.name, School.time_zone)
                    .join(School, School.id == Staff.school_id)
                    .where(*conditions, Staff.active.is_(True))
                )
            ).first()
        if row is None:
            return None
        staff_id, school_id, role, tenant_id, aad_object_id, display_name, email, school_name, time_zone = row
        return Actor(
            staff_id=staff_id,
            school_id=school_id,
            role=role,
            tenant_id=tenant_id,
            aad_object_id=aad_object_id,
            display_name=display_name,
            email=email,
            school_name=school_name,
            time_zone=time_zone,
        )
