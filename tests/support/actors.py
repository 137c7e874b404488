"""Demo staff as the services see them: the Actor identity resolves for an AAD object id, and a staff id no row has."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.fakes.activities import TENANT
from domain.actor import Actor
from domain.identity import IdentityService

MISSING_STAFF_ID = 987_654_321  # no staff row has it: a write naming it fails its foreign key


async def actor_for(sessions: async_sessionmaker[AsyncSession], aad: str) -> Actor:
    actor = await IdentityService(sessions).resolve(TENANT, aad)
    assert actor is not None
    return actor
