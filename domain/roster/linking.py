"""Staff imported from a roster carry no Teams identity. The first time such a person messages Faraday, the bot
reads their Teams member record (UPN and e-mail, from the Bot Connector) and ``StaffLinks.link`` binds it to the one
active staff row with that e-mail, that sign-in name, or that SDS username + the configured UPN domain. Audited.

Admins also set the roles a roster does not carry (nurse, coach) with ``set_role``: audited, and a later roster
import keeps that role (``Staff.role_locked``)."""

from __future__ import annotations

import logging

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.db import unit_of_work
from domain.errors import InvalidInput, NotAllowed
from domain.identity import actor_from_row, plausible_id, staff_actor_columns
from domain.models import Role, Staff

log = logging.getLogger(__name__)
VIA_LINK = "teams:first_message"
VIA_SET_ROLE = "command:set_role"
MAX_NAME_CHARS = 254


def _sign_in_names(*values: str | None) -> set[str]:
    return {v.strip().lower() for v in values if v and "@" in v and len(v) <= MAX_NAME_CHARS}


class StaffLinks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], upn_domain: str = "",
                 trusted_tenants: tuple[str, ...] = ()) -> None:
        """``trusted_tenants``: the school's tenant(s) (the bot's own tenant and ``ALLOWED_TENANTS``). A member record
        from any other tenant is never bound: its e-mail attribute is whatever that tenant's admin typed. Empty (a
        multi-tenant bot in development) trusts every tenant."""
        self._sessions = sessions
        self._domain = upn_domain.strip().lstrip("@").lower()
        self._tenants = {t.lower() for t in trusted_tenants if t}

    async def link(self, tenant_id: str | None, aad_object_id: str | None, upn: str | None,
                   email: str | None) -> Actor | None:
        """The staff member this Teams user is, now bound to their (tenant, AAD object id); None when no single
        unlinked active staff row matches (the caller then gets the polite refusal)."""
        names = _sign_in_names(upn, email)
        if not (names and plausible_id(tenant_id) and plausible_id(aad_object_id)):
            return None
        if self._tenants and (tenant_id or "").lower() not in self._tenants:
            log.info("staff link refused: tenant not trusted")
            return None
        conditions = [func.lower(Staff.email).in_(names), func.lower(Staff.sis_username).in_(names)]
        if self._domain:
            conditions.append(func.lower(Staff.sis_username + "@" + self._domain).in_(names))
        try:
            async with unit_of_work(self._sessions) as session:
                matches = (await session.execute(
                    select(Staff.id).where(Staff.active.is_(True), Staff.aad_object_id.is_(None), or_(*conditions))
                    .limit(2).with_for_update()
                )).scalars().all()
                if len(matches) != 1:
                    log.info("staff link: no single match", extra={"matches": len(matches)})
                    return None
                await session.execute(update(Staff).where(Staff.id == matches[0], Staff.aad_object_id.is_(None))
                                      .values(tenant_id=tenant_id, aad_object_id=aad_object_id))
                row = (await session.execute(staff_actor_columns().where(Staff.id == matches[0]))).first()
                if row is None:
                    return None
                actor = actor_from_row(tuple(row))
                await audit.record(session, actor, action="staff.link", subject_type="staff",
                                   subject_ids=[actor.staff_id], via=VIA_LINK, allowed=True,
                                   reason="Teams member record matched the roster by UPN or e-mail")
        except IntegrityError:  # that Teams identity already belongs to another (inactive) staff row
            log.info("staff link refused: identity already bound")
            return None
        log.info("staff linked", extra={"staff_id": actor.staff_id})
        return actor

    async def set_role(self, actor: Actor, person: str, role: str) -> str:
        """Give a staff member of the admin's school a role (teacher, coach, nurse, admin); returns a sentence."""
        if actor.role != Role.admin:
            raise NotAllowed("Only administrators can set roles.")
        try:
            new_role = Role(role.strip().lower())
        except ValueError:
            raise InvalidInput(f"The role must be one of: {', '.join(r.value for r in Role)}.") from None
        query = " ".join(person.split()).lower()
        if not query or len(query) > MAX_NAME_CHARS:
            raise InvalidInput("Name the person by their e-mail or full name.")
        async with unit_of_work(self._sessions) as session:
            found = (await session.execute(
                select(Staff.id, Staff.display_name, Staff.role).where(
                    Staff.school_id == actor.school_id, Staff.active.is_(True),
                    or_(func.lower(Staff.email) == query, func.lower(Staff.display_name) == query,
                        func.lower(Staff.sis_username) == query))
                .limit(3)
            )).all()
            if not found:
                raise InvalidInput(f"No active staff member called '{person}' at {actor.school_name}.")
            if len(found) > 1:
                raise InvalidInput(f"Several staff members match '{person}'; use their e-mail.")
            staff_id, name, old_role = found[0]
            await session.execute(update(Staff).where(Staff.id == staff_id).values(role=new_role, role_locked=True))
            await audit.record(session, actor, action="staff.role.set", subject_type="staff", subject_ids=[staff_id],
                               via=VIA_SET_ROLE, allowed=True, reason=f"{Role(old_role).value} -> {new_role.value}")
        return f"{name} is now a {new_role.value}. A roster import will keep this role."
