"""Messages home: draft from the record (``draft``), send only on the teacher's *Send* (``send``), once.

Privacy rules, enforced here and each tested (tests/messages_home/test_privacy.py):
- only records the sender may read (teachers: students in their own classes; nurses/admins: their school), re-checked
  at Send; a refused attempt is audited;
- only guardians with contact permission and an e-mail address; the others are counted on the card, never named;
- health details (an incident's description and first aid, fitness results) only in a message about one student to
  that student's own guardians, and only when the teacher ticks them on the card;
- a class notice goes out only after the card has shown the count and the teacher confirmed that count;
- every message is audited: one row per guardian (``message_home.send``, the guardian's id) and per student, with the
  kind and channel; no body text or address in the audit or the logs;
- the model gets the record's facts only (no guardian names or addresses: the greeting is filled in at sending).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import audit
from domain.actor import Actor
from domain.errors import InvalidInput, NotAllowed
from domain.messages_home import languages, records
from domain.messages_home.delivery import GraphMail, MailUnavailable, MessageLinks, Outgoing, eml, mailto
from domain.messages_home.texts import GUARDIAN, KINDS, Facts, MessageText
from domain.messages_home.writers import MessageWriter
from domain.models import HomeMessage, HomeMessageRecipient
from domain.records.classes import resolve_class

log = logging.getLogger(__name__)

Delivery = Literal["graph_send", "graph_draft", "eml"]
KIT = ("kit", "uniform", "gym clothes", "gym shoes", "trainers", "sneakers", "pe clothes", "change of clothes")
BULK = "class_notice"


@dataclass(frozen=True, slots=True)
class MessageRequest:
    kind: str
    student_id: int | None = None
    class_text: str | None = None
    topic: str = ""
    language: str | None = None  # a language the teacher named, for guardians with none recorded


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """What the draft card shows. ``texts``: the school's language first, then each recipient language."""

    key: str
    kind: str
    about: str  # the student's name, or the class
    texts: tuple[MessageText, ...]
    recipients: int
    students: int
    no_permission: int
    no_email: int
    languages: dict[str, int]  # language → guardians reading it
    has_health: bool
    writer: str
    delivery: Delivery
    notes: tuple[str, ...] = ()

    @property
    def bulk(self) -> bool:
        return self.kind == BULK


@dataclass(frozen=True, slots=True)
class Link:
    to: str  # the guardian's name (shown to the teacher, who may see the guardians of their students)
    eml_url: str
    mailto_url: str


@dataclass(slots=True)
class SendOutcome:
    status: Literal["sent", "drafted", "packaged", "already", "confirm", "failed", "partial"]
    sentence: str
    recipients: int = 0
    failed: int = 0
    links: list[Link] = field(default_factory=list)


class MessageHomeService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], writer: MessageWriter, *, school_language: str,
                 graph: GraphMail | None = None, graph_mode: Literal["send", "draft"] = "send",
                 links: MessageLinks | None = None) -> None:
        self._sessions = sessions
        self._writer = writer
        self._school_language = languages.normalize(school_language) or "en"
        self._graph = graph
        self._mode = graph_mode
        self._links = links

    async def close(self) -> None:
        if self._graph is not None:
            await self._graph.close()
        close = getattr(self._writer, "close", None)
        if close is not None:
            await close()

    @property
    def delivery(self) -> Delivery:
        if self._graph is None:
            return "eml"
        return "graph_send" if self._mode == "send" else "graph_draft"

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    # --- drafting --------------------------------------------------------------------------------------------------
    async def draft(self, actor: Actor, request: MessageRequest, now: datetime, *, via: str) -> MessageDraft:
        if request.kind not in KINDS:
            raise InvalidInput(f"I can write home about an incident, attendance, fitness results or a class notice, "
                               f"not '{request.kind}'.")
        async with self._sessions() as session:
            facts, student_ids, about, class_id = await self._facts(session, actor, request, now, via=via)
            group = await records.audience(session, student_ids)
            if not group.recipients:
                raise InvalidInput(_nobody(about, group))
            override = languages.normalize(request.language)
            counts: dict[str, int] = {}
            for r in group.recipients:
                lang = self._language_of(r, override)
                counts[lang] = counts.get(lang, 0) + 1
            targets = sorted(counts, key=lambda code: (code != self._school_language, code))
            written = await self._writer.write(facts, self._school_language, targets)
            key = self.new_key()
            texts = [written.texts[self._school_language]] + [written.texts[c] for c in targets
                                                              if c != self._school_language]
            await session.execute(insert(HomeMessage).values(
                key=key, sender_id=actor.staff_id, kind=request.kind,
                student_id=request.student_id if request.kind != BULK else None, class_id=class_id,
                record_id=facts.record_id, status="draft", writer=written.writer, include_health=False,
                recipients=len(group.recipients), texts={"languages": {t.language: t.to_json() for t in texts},
                                                         "override": override}))
            await audit.record(session, actor, action="message_home.draft", subject_type="student",
                               subject_ids=student_ids if request.kind != BULK else [], via=via, allowed=True,
                               reason=request.kind)
            if request.kind == BULK and class_id is not None:
                await audit.record(session, actor, action="message_home.draft", subject_type="class",
                                   subject_ids=[class_id], via=via, allowed=True, reason=request.kind)
            await session.commit()
        log.info("message home drafted", extra={"kind": request.kind, "recipients": len(group.recipients),
                                                "writer": written.writer})
        return MessageDraft(key, request.kind, about, tuple(texts), len(group.recipients), group.students,
                            group.no_permission, group.no_email, counts, facts.has_health, written.writer,
                            self.delivery, tuple(written.notes))

    def _language_of(self, recipient: records.Recipient, override: str | None) -> str:
        return languages.normalize(recipient.language) or override or self._school_language

    async def _facts(self, session: AsyncSession, actor: Actor, request: MessageRequest, now: datetime, *,
                     via: str) -> tuple[Facts, list[int], str, int | None]:
        if request.kind == BULK:
            cls = await resolve_class(session, actor, request.class_text, now, via=via)
            topic = " ".join(request.topic.split())[:1500]
            if not topic:
                raise InvalidInput("What should the notice say? For example: *remind period 3 parents about PE kit*.")
            template = "kit_reminder" if any(word in topic.lower() for word in KIT) else ""
            facts = Facts(BULK, "{student}", actor.display_name, actor.school_name, cls.name, now.date(),
                          topic=topic, template=template)
            return facts, await records.class_students(session, cls.id), cls.name, cls.id
        if request.student_id is None:
            raise InvalidInput("Which student is the message about?")
        ref = await records.student(session, actor, request.student_id, via=via)
        base = Facts(request.kind, ref.first, actor.display_name, actor.school_name, ref.class_name, now.date(),
                     topic=request.topic[:300])
        if request.kind == "incident":
            facts = await records.incident_facts(session, actor, ref, base, now)
        elif request.kind == "attendance":
            facts = await records.attendance_facts(session, actor, ref, base, now)
        else:
            facts = await records.fitness_facts(session, actor, ref, base)
        return facts, [ref.id], ref.display_name, None

    # --- sending ---------------------------------------------------------------------------------------------------
    async def send(self, actor: Actor, key: str, *, include_health: bool, confirmed: int | None, via: str,
                   now: datetime | None = None) -> SendOutcome:
        """Send (or save as drafts, or package) the message whose card was pressed. Exactly once per key."""
        now = now or datetime.now(UTC)
        if not key or len(key) > 80:
            raise InvalidInput("This card has expired; ask me for a new draft.")
        async with self._sessions() as session:
            row = await session.scalar(select(HomeMessage).where(HomeMessage.key == key))
            if row is None:
                raise InvalidInput("This draft isn't available any more; ask me for a new one.")
            if row.sender_id != actor.staff_id:
                await audit.record(session, actor, action="message_home.send", subject_type="home_message",
                                   subject_ids=[row.id], via=via, allowed=False, reason="not the sender's draft")
                await session.commit()
                raise NotAllowed("This draft was made by someone else; only they can send it.")
            if row.status != "draft":
                return SendOutcome("already", _already(row.status))
            if include_health and (row.kind == BULK or row.student_id is None):
                raise NotAllowed("Health details go only to one student's own guardians, never in a class notice.")
            student_ids = await self._still_visible(session, actor, row, via=via)
            group = await records.audience(session, student_ids)
            if not group.recipients:
                raise InvalidInput("None of the guardians can be written to any more; nothing was sent.")
            if row.kind == BULK and confirmed != len(group.recipients):
                return SendOutcome("confirm", f"This notice goes to {len(group.recipients)} guardians of "
                                              f"{group.students} students. Confirm to send it.",
                                   recipients=len(group.recipients))
            claimed = await session.scalar(
                update(HomeMessage).where(HomeMessage.id == row.id, HomeMessage.status == "draft")
                .values(status="sending", include_health=include_health, recipients=len(group.recipients),
                        delivery=self.delivery).returning(HomeMessage.id))
            await session.commit()
            if claimed is None:
                return SendOutcome("already", _already("sending"))
            texts = {lang: MessageText.from_json(lang, data) for lang, data in row.texts["languages"].items()}
            override = row.texts.get("override")
            outcome = await self._deliver(session, actor, row, group, texts, override, include_health, now, via=via)
        log.info("message home delivered", extra={"kind": row.kind, "recipients": outcome.recipients,
                                                  "failed": outcome.failed, "delivery": self.delivery})
        return outcome

    async def _still_visible(self, session: AsyncSession, actor: Actor, row: HomeMessage, *, via: str) -> list[int]:
        if row.kind == BULK:
            if row.class_id is None or not await records.class_still_visible(session, actor, row.class_id):
                raise NotAllowed("That class is no longer one of yours; nothing was sent.")
            return await records.class_students(session, row.class_id)
        assert row.student_id is not None
        await records.student(session, actor, row.student_id, via=via)  # refused and audited if no longer theirs
        return [row.student_id]

    async def _deliver(self, session: AsyncSession, actor: Actor, row: HomeMessage, group: records.Audience,
                       texts: dict[str, MessageText], override: str | None, include_health: bool, now: datetime, *,
                       via: str) -> SendOutcome:
        school = texts[self._school_language]
        rows: list[dict[str, Any]] = []
        links: list[Link] = []
        failed, unsure, first_error = 0, False, ""
        for number, recipient in enumerate(group.recipients, start=1):
            lang = self._language_of(recipient, override)
            text = texts.get(lang) or school
            chosen = text if text.translated else school
            outgoing = Outgoing(
                key=f"{row.key}-{number}", sender_name=actor.display_name, sender_email=actor.email,
                to_name=recipient.name, to_email=recipient.email,
                subject=chosen.subject.replace("{student}", recipient.student),
                body=chosen.compose(include_health).replace(GUARDIAN, recipient.name)
                .replace("{student}", recipient.student),
                language=chosen.language)
            status, external, data, error = "packaged", None, None, None
            if self._graph is None:
                data = eml(outgoing, now)
            else:
                try:
                    if self._mode == "send":
                        await self._graph.send(actor.aad_object_id, outgoing)
                        status = "sent"
                    else:
                        external = await self._graph.save_draft(actor.aad_object_id, outgoing)
                        status = "drafted"
                except MailUnavailable as exc:
                    status, error, failed = ("failed" if exc.definite else "uncertain"), str(exc), failed + 1
                    unsure = unsure or not exc.definite
                    first_error = first_error or str(exc)
            rows.append({"guardian_id": recipient.guardian_id, "student_id": recipient.student_id, "language": lang,
                         "status": status, "external_id": external, "eml": data, "error": error})
        ids = list(await session.scalars(insert(HomeMessageRecipient).returning(HomeMessageRecipient.id),
                                         [{"message_id": row.id, **r} for r in rows]))
        delivered = len(rows) - failed
        if delivered == 0 and not unsure:  # nothing went out: the teacher may press Send again once it is fixed
            await session.execute(update(HomeMessage).where(HomeMessage.id == row.id).values(status="draft"))
            await audit.record(session, actor, action="message_home.send", subject_type="home_message",
                               subject_ids=[row.id], via=via, allowed=False, reason="delivery refused")
            await session.commit()
            return SendOutcome("failed", first_error + " Nothing was sent; the draft is kept.", failed=failed)
        final = {"graph_send": "sent", "graph_draft": "drafted", "eml": "packaged"}[self.delivery]
        await session.execute(update(HomeMessage).where(HomeMessage.id == row.id).values(status=final, sent_at=now))
        reason = f"{row.kind}; {self.delivery}; message {row.id}"[:200]
        done = [r for r in rows if r["status"] in ("sent", "drafted", "packaged")]
        await audit.record(session, actor, action="message_home.send", subject_type="guardian",
                           subject_ids=[r["guardian_id"] for r in done], via=via, allowed=True, reason=reason)
        await audit.record(session, actor, action="message_home.send", subject_type="student",
                           subject_ids=sorted({r["student_id"] for r in done}), via=via, allowed=True,
                           reason=reason + ("; health details" if include_health else ""))
        await session.commit()
        if self._links is not None and self.delivery == "eml":
            for rid, recipient in zip(ids, group.recipients, strict=True):
                token = self._links.issue(rid, actor.staff_id)
                links.append(Link(recipient.name, self._links.eml_url(token), self._links.mailto_url(token)))
        return SendOutcome(
            "partial" if failed else final,  # type: ignore[arg-type]
            _sentence(final, delivered, failed, first_error), recipients=delivered, failed=failed, links=links)

    async def cancel(self, actor: Actor, key: str) -> bool:
        async with self._sessions() as session:
            done = await session.scalar(
                update(HomeMessage).where(HomeMessage.key == key, HomeMessage.sender_id == actor.staff_id,
                                          HomeMessage.status == "draft")
                .values(status="cancelled").returning(HomeMessage.id))
            await session.commit()
        return done is not None

    async def open_eml(self, token: str) -> tuple[bytes, str] | None:
        """(the .eml, its mailto: link) for a genuine, unexpired link whose sender still owns the message."""
        found = self._links.verify(token) if self._links is not None else None
        if found is None:
            return None
        recipient_id, sender_id = found
        async with self._sessions() as session:
            row = (await session.execute(
                select(HomeMessageRecipient.eml).join(HomeMessage, HomeMessage.id == HomeMessageRecipient.message_id)
                .where(HomeMessageRecipient.id == recipient_id, HomeMessage.sender_id == sender_id))).first()
        if row is None or row[0] is None:
            return None
        return bytes(row[0]), _mailto_of(bytes(row[0]))


def _mailto_of(data: bytes) -> str:
    from email import message_from_bytes
    from email.policy import default

    mail = message_from_bytes(data, policy=default)
    body = mail.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    to = str(mail["To"].addresses[0].addr_spec) if mail["To"] and mail["To"].addresses else ""
    return mailto(Outgoing("", "", "", "", to, str(mail["Subject"] or ""), str(text), ""))


def _nobody(about: str, group: records.Audience) -> str:
    reasons = []
    if group.no_permission:
        reasons.append(f"{group.no_permission} may not be contacted")
    if group.no_email:
        reasons.append(f"{group.no_email} {'has' if group.no_email == 1 else 'have'} no e-mail address on file")
    why = f" ({'; '.join(reasons)})" if reasons else ""
    return f"There is no guardian I can write to for {about}{why}. The school office can update the contacts."


def _already(status: str) -> str:
    return {"sending": "This message is already being sent; nothing more was sent.",
            "cancelled": "This draft was discarded; ask me for a new one."}.get(
        status, "This message was already sent; nothing more was sent.")


def _sentence(final: str, delivered: int, failed: int, error: str) -> str:
    who = f"{delivered} guardian{'s' if delivered != 1 else ''}"
    done = {"sent": f"Sent to {who} from your mailbox.",
            "drafted": f"Saved as {delivered} draft{'s' if delivered != 1 else ''} in your Outlook, for {who}: open "
                       "Drafts to send.",
            "packaged": f"Ready for {who}: open each e-mail below in your mail app and send it."}[final]
    return done + (f" {failed} could not be sent: {error}" if failed else "")
