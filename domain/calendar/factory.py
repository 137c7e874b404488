"""Build the event service from Settings: Outlook (Graph) when configured, the local calendar otherwise."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar.graph import GraphCalendar, GraphConfig
from domain.calendar.links import IcsLinks
from domain.events import EventService
from domain.settings import Settings

log = logging.getLogger(__name__)


def build_event_service(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> EventService:
    """No network here: msal and the HTTP session are created on first use."""
    outlook = None
    if settings.graph_configured:
        outlook = GraphCalendar(GraphConfig(
            tenant_id=settings.ms_tenant_id,
            client_id=settings.ms_client_id,
            client_secret=settings.ms_client_secret.get_secret_value(),
            certificate_path=settings.ms_client_certificate_path,
            certificate_thumbprint=settings.ms_client_certificate_thumbprint,
            authority_host=settings.ms_authority_host,
            base_url=settings.graph_base_url.rstrip("/"),
            ca_file=settings.graph_ca_file,
            timeout_s=settings.graph_timeout_s,
            retry_budget_s=settings.graph_retry_budget_s,
        ))
    secret = settings.ics_link_secret.get_secret_value().encode()
    if not secret:
        log.warning("ICS_LINK_SECRET is not set: .ics links last until this process restarts "
                    "and work on this replica only")
        secret = secrets.token_bytes(32)
    links = IcsLinks(secret, timedelta(hours=settings.ics_link_ttl_hours))
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    log.info("calendar mode", extra={"mode": "outlook" if outlook else "local"})
    return EventService(sessions, outlook=outlook, links=links, public_base_url=base)
