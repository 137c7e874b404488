"""Exports: what leaves Faraday as a file — a widget's table (CSV, XLSX) or card (PDF), an incident's one-page report
(PDF), a class's fitness results for the state report (CSV, XLSX) — made only of records the caller may read,
audited, kept until a signed link bound to the caller expires (see ``service``)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.exports.links import ExportLinks
from domain.exports.service import (
    FORMAT_NAMES,
    MEDIA_TYPES,
    ExportedFile,
    ExportPending,
    ExportReady,
    ExportService,
)
from domain.settings import Settings
from domain.widgets import WidgetService

log = logging.getLogger(__name__)


def build_export_service(settings: Settings, sessions: async_sessionmaker[AsyncSession],
                         widgets: WidgetService) -> ExportService:
    """Links share the .ics links' secret (``ICS_LINK_SECRET``: one per process when empty, so links then work on
    this replica until it restarts) and public address; ``EXPORT_LINK_TTL_HOURS`` sets how long they work; an export
    naming more than ``EXPORT_CONFIRM_STUDENTS`` students is confirmed first."""
    secret = settings.ics_link_secret.get_secret_value().encode()
    if not secret:
        log.warning("ICS_LINK_SECRET is not set: export links work on this replica only, until it restarts")
        secret = secrets.token_bytes(32)
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    links = ExportLinks(secret, timedelta(hours=settings.export_link_ttl_hours), base)
    return ExportService(sessions, widgets, links, confirm_students=settings.export_confirm_students)


__all__ = ["FORMAT_NAMES", "MEDIA_TYPES", "ExportLinks", "ExportPending", "ExportReady", "ExportService",
           "ExportedFile", "build_export_service"]
