"""``JobNoticeRelay``: a background job's result, sent once to the admin who started it (the SharePoint sync and the
Teams install jobs). A subclass names its outbox, the query that loads a notice's job (``id`` first, then what
``_notice`` reads), how a row becomes the notice its sender takes, and what the audit row says; the base loads the
recipient (not linked → ``NotLinked``), sends through the send journal, marks the row and audits the send once."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import RowMapping, TextClause

from domain import audit
from domain.db import unit_of_work
from domain.outbox.base import OutboxRelay
from domain.outbox.recipients import load_linked_target
from domain.outbox.table import OutboxClaim
from domain.outbox.types import Sent, Target

N = TypeVar("N")
N_contra = TypeVar("N_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class JobNoticeClaim(OutboxClaim):
    staff_id: int  # the admin who started the job


class JobNoticeSender(Protocol[N_contra]):
    async def send(self, target: Target, notice: N_contra) -> Sent: ...


class JobNoticeRelay(OutboxRelay[JobNoticeClaim, JobNoticeSender[N]], Generic[N]):
    load_notice: ClassVar[TextClause]  # the notice's job by notice ``id``: ``id`` (the job's) and what _notice reads
    audit_action: ClassVar[str]
    subject_type: ClassVar[str]  # the job's audit subject
    via: ClassVar[str]

    @abstractmethod
    def _notice(self, row: RowMapping) -> N:
        """The notice the sender takes, from the job's row."""

    @abstractmethod
    def _summary(self, notice: N) -> str:
        """The audit row's reason: counts only, never names."""

    async def _deliver(self, claim: JobNoticeClaim) -> None:
        async with self._sessions() as session:
            row = (await session.execute(self.load_notice, {"id": claim.id})).mappings().one()
            target = await load_linked_target(session, claim.staff_id)
        notice = self._notice(row)
        sent, now = await self._outbox.send_once(claim, lambda: self._sender.send(target, notice))
        async with unit_of_work(self._sessions) as session:
            recorded = await self._outbox.mark_sent(session, claim, sent, claim.staff_id)
            if now or recorded:  # audited with the send (a replay from the journal: when this claim records it)
                await audit.record_unattended(session, "faraday:relay", action=self.audit_action,
                                              subject_type=self.subject_type, subject_ids=[row["id"]], via=self.via,
                                              reason=self._summary(notice))
