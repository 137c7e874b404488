"""The original files of uploaded documents, for citations: signed, expiring links and what they open.

A link names the document's current upload and the staff member it was issued to, with an expiry and an HMAC (the
.ics links' scheme, with its own key derived from the same secret). It works only while that upload is the current
version (a replaced or removed document's links stop working: answers never point at another version) and while
the staff member still exists; everything else answers the same "not found". Every member of staff may read the
district's documents (the knowledge base is staff-only); a link is issued only inside a staff member's turn.
The file itself is the ``knowledge_uploads.original`` bytea of that upload.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.settings import Settings
from domain.signed_tokens import SignedTokens


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_name: str
    media_type: str
    data: bytes


class FileLinks:
    def __init__(self, secret: bytes, ttl: timedelta, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._tokens = SignedTokens(secret, prefix="d", purpose=b"faraday knowledge file links", nonce_bytes=9,
                                    clock=clock)
        self._ttl = ttl
        self._base = base_url.rstrip("/")

    def issue(self, upload_id: int, staff_id: int) -> str:
        return self._tokens.issue(upload_id, staff_id, ttl=self._ttl)

    def url(self, token: str) -> str:
        return f"{self._base}/knowledge/files/{token}"

    def verify(self, token: str) -> tuple[int, int] | None:
        """(upload id, staff id) of a genuine, unexpired token, else None."""
        signed = self._tokens.verify(token)
        return (signed.subject, signed.holder) if signed is not None else None


class KnowledgeFiles:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], links: FileLinks) -> None:
        self._sessions = sessions
        self._links = links

    async def links_for(self, actor: Actor, slugs: Sequence[str]) -> dict[str, str]:
        """slug → a signed link to the current version's original file, for documents that have one."""
        if not slugs:
            return {}
        async with self._sessions() as session:
            rows = (await session.execute(text(
                "SELECT DISTINCT ON (d.slug) d.slug, u.id FROM knowledge_documents d "
                "JOIN knowledge_uploads u ON u.document_id = d.id AND u.status = 'added' AND u.original IS NOT NULL "
                "WHERE d.slug = ANY(:slugs) ORDER BY d.slug, u.id DESC"), {"slugs": list(set(slugs))})).all()
        return {r.slug: self._links.url(self._links.issue(int(r.id), actor.staff_id)) for r in rows}

    async def open(self, token: str) -> StoredFile | None:
        """The file a genuine link names, if it is still the current version and its holder still works here."""
        target = self._links.verify(token)
        if target is None:
            return None
        upload_id, staff_id = target
        async with self._sessions() as session:
            row = (await session.execute(text(
                "SELECT u.file_name, u.media_type, u.original FROM knowledge_uploads u "
                "JOIN knowledge_documents d ON d.id = u.document_id "
                "WHERE u.id = :upload AND u.status = 'added' AND u.original IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM staff s WHERE s.id = :staff AND s.active)"),
                {"upload": upload_id, "staff": staff_id})).first()
        if row is None:
            return None
        return StoredFile(str(row.file_name), str(row.media_type or "application/octet-stream"), bytes(row.original))


def build_knowledge_files(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> KnowledgeFiles:
    """Links share the .ics links' secret (``ICS_LINK_SECRET``; one per process when empty) and public address."""
    secret = settings.ics_link_secret.get_secret_value().encode() or secrets.token_bytes(32)
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    return KnowledgeFiles(sessions, FileLinks(secret, timedelta(hours=settings.knowledge_link_ttl_hours), base))
