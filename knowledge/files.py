"""The original files of uploaded documents, for citations: signed, expiring links and what they open.

A link names the document's current upload and the staff member it was issued to, with an expiry and an HMAC (the
.ics links' scheme, with its own key derived from the same secret). It works only while that upload is the current
version (a replaced or removed document's links stop working: answers never point at another version) and while
the staff member still exists; everything else answers the same "not found". Every member of staff may read the
district's documents (the knowledge base is staff-only); a link is issued only inside a staff member's turn.
The file itself is the ``knowledge_uploads.original`` bytea of that upload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actor import Actor
from domain.settings import Settings

TOKEN = re.compile(r"^d(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{8,32})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_name: str
    media_type: str
    data: bytes


class FileLinks:
    def __init__(self, secret: bytes, ttl: timedelta, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 bytes")
        self._key = hmac.new(secret, b"faraday knowledge file links", hashlib.sha256).digest()
        self._ttl = ttl
        self._base = base_url.rstrip("/")
        self._clock = clock or (lambda: datetime.now(UTC))

    def issue(self, upload_id: int, staff_id: int) -> str:
        expires = int((self._clock() + self._ttl).timestamp())
        payload = f"d{upload_id}.{staff_id}.{expires}.{secrets.token_urlsafe(9)}"
        return f"{payload}.{self._mac(payload)}"

    def url(self, token: str) -> str:
        return f"{self._base}/knowledge/files/{token}"

    def verify(self, token: str) -> tuple[int, int] | None:
        """(upload id, staff id) of a genuine, unexpired token, else None."""
        match = TOKEN.match(token or "")
        if match is None:
            return None
        payload = token.rsplit(".", 1)[0]
        if not hmac.compare_digest(match.group(5), self._mac(payload)):
            return None
        if self._clock().timestamp() >= int(match.group(3)):
            return None
        return int(match.group(1)), int(match.group(2))

    def _mac(self, payload: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()).decode() \
            .rstrip("=")


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
