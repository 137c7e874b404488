"""An outbox table: claim due rows (``FOR UPDATE SKIP LOCKED``, in a short transaction) with a lease, and record
each outcome fenced on (status, attempts).

Every outbox table has ``id``, ``status``, ``attempts`` and ``next_attempt_at``. States: ``pending`` → ``sending``
(claimed; ``next_attempt_at`` is the lease) → ``sent`` | ``failed`` | ``pending`` (retry later) | a table's own end
states (``cancelled``, ``skipped``). A table with ``updates`` also updates sent cards in place: ``update_pending`` →
``updating`` → ``sent``. A row whose lease expired is due again and claimed as it was (``previous`` tells so); a
relay that lost its lease that way changes nothing, because its outcome no longer matches (status, attempts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import BindParameter, CursorResult, Result, RowMapping, Table, bindparam, case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

DUE = ("pending", "sending")
DUE_UPDATES = ("update_pending", "updating")


class Claimed(Protocol):
    """What every claimed row carries (a relay's own claim type adds its table's columns)."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...  # sending | updating

    @property
    def attempts(self) -> int: ...


C = TypeVar("C", bound=Claimed)


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """A claimed row's outbox columns; a relay's claim subclasses it with the columns its table adds."""

    id: int
    status: str  # sending | updating
    previous: str  # the status before this claim: "sending"/"updating" means an earlier attempt never finished
    attempts: int

    @property
    def resumed(self) -> bool:
        return self.previous == self.status


K = TypeVar("K", bound=OutboxClaim)
_OUTBOX_COLUMNS = frozenset(f.name for f in fields(OutboxClaim))


@dataclass(frozen=True, slots=True)
class OutboxTable(Generic[C]):
    """``model``: the table's ORM class; ``make``: builds a claim from the returned row (``id``, ``status``,
    ``previous``, ``attempts`` and ``columns``)."""

    model: Any
    make: Callable[[RowMapping], C]
    columns: tuple[str, ...] = ()
    updates: bool = False

    @staticmethod
    def of(model: Any, claim: type[K], *, updates: bool = False) -> OutboxTable[K]:
        """``model``'s outbox, claimed as ``claim``: the columns returned are the claim's fields."""
        columns = tuple(f.name for f in fields(claim) if f.name not in _OUTBOX_COLUMNS)
        return OutboxTable(model, lambda row: claim(**row), columns, updates)

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    def claim_statement(self, now: datetime, lease_until: datetime, limit: int) -> Update:
        t = self.table
        due = (select(t.c.id, t.c.status)
               .where(t.c.status.in_(_inline(DUE + DUE_UPDATES if self.updates else DUE)), t.c.next_attempt_at <= now)
               .order_by(t.c.next_attempt_at, t.c.id).limit(limit)
               .with_for_update(skip_locked=True).cte("due"))
        claimed = (case((due.c.status.in_(_inline(DUE)), "sending"), else_="updating") if self.updates
                   else literal("sending"))
        return (update(t).where(t.c.id == due.c.id)
                .values(status=claimed, attempts=t.c.attempts + 1, next_attempt_at=lease_until)
                .returning(t.c.id, t.c.status, due.c.status.label("previous"), t.c.attempts,
                           *(t.c[name] for name in self.columns)))

    async def claim(self, session: AsyncSession, now: datetime, lease_until: datetime, limit: int) -> list[C]:
        rows = await session.execute(self.claim_statement(now, lease_until, limit))
        return [self.make(r._mapping) for r in rows]

    async def mark(self, session: AsyncSession, claim: Claimed, values: Mapping[str, Any]) -> bool:
        """Set ``values`` on the claimed row if it is still this claim's; False when another relay re-claimed it."""
        t = self.table
        result = await session.execute(
            update(t).where(t.c.id == claim.id, t.c.status == claim.status, t.c.attempts == claim.attempts)
            .values(**values))
        return rowcount(result) == 1

    def has(self, column: str) -> bool:
        return column in self.table.c


def _inline(states: tuple[str, ...]) -> BindParameter[Any]:
    """The states as literals in the SQL text: the due index is partial on them, and a generic plan can only use
    it when the query names them."""
    return bindparam(None, list(states), expanding=True, literal_execute=True)


def rowcount(result: Result[Any]) -> int:
    # An UPDATE through Session.execute returns a CursorResult (which has rowcount); the stubs type it as Result.
    return cast("CursorResult[Any]", result).rowcount
