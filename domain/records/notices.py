"""Equipment notices: when a check fails a piece (or a whole item), the other teachers whose classes use that
equipment are told privately, through an outbox (``equipment_notices``) written in the check's own transaction and
delivered by a relay on the shared outbox (``domain/outbox``): rows claimed with ``FOR UPDATE SKIP LOCKED`` and
leased, outcomes fenced on (status, attempts), retries with backoff and jitter honouring Retry-After, the Redis send
journal (a crash after Teams accepted a notice and before it was marked sent does not send it twice), sent through
the same ``BotSender`` and Teams rate limiter, in the same loop as alerts and emergency cards
(``bot/alert_runner.py``).

Who "uses" a piece of equipment, from the schema: equipment carries the curriculum units that use it
(``equipment.units``) and no location (it is stored per school, not per room), and a class carries its current unit
(``classes.current_unit``). So the recipients are the teachers and coaches (active staff) of the same school's
active classes whose current unit is one of the item's units; an item listing no units is general gear (mats,
cones, first-aid kit, AED) that any lesson may use, so every such teacher of the school is told. The inspector is
never told about their own check; classes are named on the card.

Idempotent: a piece is announced to a recipient once per *episode* (since the item last passed a check as a whole),
so re-saving the same failed check, or another check still finding it failed, tells nobody again; a piece that fails
again after the item passed is announced again. The item row is locked for the check (``FOR UPDATE``), so two checks
saved at once cannot both announce a piece. Each notice is audited (``equipment.notice``, one row per recipient).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import audit
from domain.actor import Actor
from domain.models import EquipmentNotice
from domain.outbox import OutboxClaim, OutboxRelay, OutboxTable, Sent, Target, load_target

log = logging.getLogger(__name__)
VIA_RELAY = "relay:equipment_notice"

# The teachers (other than the inspector) of the school's active classes that use the item, each with their
# classes, and the failed pieces not yet announced to them in this episode; one outbox row per teacher.
_ENQUEUE = text(
    """
    WITH users AS (
        SELECT c.teacher_id AS recipient_id,
               string_agg(c.name || coalesce(' (' || c.current_unit || ')', ''), '; '
                          ORDER BY c.period, c.name) AS classes
        FROM classes c JOIN staff s ON s.id = c.teacher_id
        WHERE c.school_id = :school_id AND c.active AND s.active AND s.role IN ('teacher', 'coach')
          AND c.teacher_id <> :inspector_id
          AND (cardinality(CAST(:units AS text[])) = 0 OR c.current_unit = ANY(CAST(:units AS text[])))
        GROUP BY c.teacher_id
    ), fresh AS (
        SELECT u.recipient_id, u.classes, array_agg(p.piece ORDER BY p.ord) AS pieces,
               string_agg(p.piece || coalesce(' (' || nullif(p.note, '') || ')', ''), '; ' ORDER BY p.ord) AS details
        FROM users u
        CROSS JOIN unnest(CAST(:pieces AS text[]), CAST(:notes AS text[])) WITH ORDINALITY AS p(piece, note, ord)
        WHERE NOT EXISTS (
            SELECT 1 FROM equipment_notices n
            WHERE n.equipment_id = :equipment_id AND n.recipient_id = u.recipient_id AND n.episode = :episode
              AND p.piece = ANY(n.pieces))
        GROUP BY u.recipient_id, u.classes
    )
    INSERT INTO equipment_notices (equipment_id, episode, pieces, details, check_key, inspected_on, inspector_id,
                                   recipient_id, classes, status, attempts, next_attempt_at)
    SELECT :equipment_id, :episode, pieces, left(details, 2000), :check_key, :inspected_on, :inspector_id,
           recipient_id, left(classes, 2000), 'pending', 0, :now
    FROM fresh
    ON CONFLICT (check_key, recipient_id) DO NOTHING
    RETURNING recipient_id
    """
)
# The item's last whole-item pass: the start of the current failure episode.
_EPISODE = text(
    "SELECT coalesce(max(id), 0) FROM equipment_inspections "
    "WHERE equipment_id = :equipment_id AND item_label IS NULL AND result = 'pass'"
)


async def enqueue_notices(
    session: AsyncSession, actor: Actor, *, equipment_id: int, units: list[str], failed: list[tuple[str, str]],
    day: date, key: str, via: str, now: datetime,
) -> list[int]:
    """Write the notices for ``failed`` pieces ((label, note)) in the check's transaction (the item row must be
    locked by the caller); returns the recipients' staff ids (audited here)."""
    if not failed:
        return []
    episode = await session.scalar(_EPISODE, {"equipment_id": equipment_id}) or 0
    rows = await session.execute(_ENQUEUE, {
        "school_id": actor.school_id, "inspector_id": actor.staff_id, "units": list(units),
        "pieces": [label for label, _ in failed], "notes": [note for _, note in failed],
        "equipment_id": equipment_id, "episode": episode, "check_key": key, "inspected_on": day, "now": now,
    })
    recipients = sorted(r[0] for r in rows)
    if recipients:
        pieces = ", ".join(label for label, _ in failed)
        await audit.record(session, actor, action="equipment.notice", subject_type="staff", subject_ids=recipients,
                           via=via, allowed=True, reason=f"equipment {equipment_id} out of service: {pieces}"[:200])
        log.info("equipment notices queued", extra={"equipment_id": equipment_id, "recipients": len(recipients)})
    return recipients


# --- delivery ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EquipmentNoticeView:
    """What the card shows: the item, the failed pieces with their notes, who checked it and when, and the
    recipient's classes that use it. No student data."""

    notice_id: int
    equipment_name: str
    details: str
    inspected_on: date
    inspector_name: str
    classes: str
    school_name: str


class NoticeSender(Protocol):
    async def send(self, target: Target, view: EquipmentNoticeView) -> Sent: ...


_VIEW = text(
    """
    SELECT n.id, e.name AS equipment_name, n.details, n.inspected_on, coalesce(i.display_name, 'A colleague')
           AS inspector_name, n.classes, sc.name AS school_name
    FROM equipment_notices n
    JOIN equipment e ON e.id = n.equipment_id
    JOIN schools sc ON sc.id = e.school_id
    LEFT JOIN staff i ON i.id = n.inspector_id
    WHERE n.id = :id
    """
)


@dataclass(frozen=True, slots=True)
class NoticeClaim(OutboxClaim):
    recipient_id: int


class EquipmentNoticeRelay(OutboxRelay[NoticeClaim, NoticeSender]):
    """One job of the alert runner: ``tick`` delivers one batch of due notices and returns how many it claimed."""

    name = "equipment notice"
    table = OutboxTable.of(EquipmentNotice, NoticeClaim)
    journal_key = "faraday:equipment_notices:sent:{}"

    async def _deliver(self, claim: NoticeClaim) -> None:
        async with self._sessions() as session:
            target = await load_target(session, claim.recipient_id)
            row = (await session.execute(_VIEW, {"id": claim.id})).mappings().first()
        if target is None or row is None:
            await self._outbox.finish(claim, "cancelled", "notice or recipient no longer exists")
            return
        view = EquipmentNoticeView(row["id"], row["equipment_name"], row["details"], row["inspected_on"],
                                   row["inspector_name"], row["classes"], row["school_name"])
        sent, _ = await self._outbox.send_once(claim, lambda: self._sender.send(target, view))
        await self._outbox.record_sent(claim, sent, claim.recipient_id)
