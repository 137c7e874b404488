"""Build the messages-home service from Settings: Outlook (Graph) when configured, else .eml + mailto: links; the
model writes and translates when a key is set, else the fixed templates."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar.graph import GraphConfig
from domain.messages_home.delivery import GraphMail, MessageLinks
from domain.messages_home.service import MessageHomeService
from domain.messages_home.writers import MessageWriter, OpenAIMessageWriter, TemplateWriter
from domain.settings import Settings

log = logging.getLogger(__name__)


def build_message_home(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> MessageHomeService:
    """No network here: msal and the HTTP sessions are created on first use."""
    graph = None
    if settings.graph_configured:
        graph = GraphMail(GraphConfig(
            tenant_id=settings.ms_tenant_id, client_id=settings.ms_client_id,
            client_secret=settings.ms_client_secret.get_secret_value(),
            certificate_path=settings.ms_client_certificate_path,
            certificate_thumbprint=settings.ms_client_certificate_thumbprint,
            authority_host=settings.ms_authority_host, base_url=settings.graph_base_url.rstrip("/"),
            ca_file=settings.graph_ca_file, timeout_s=settings.graph_timeout_s,
            retry_budget_s=settings.graph_retry_budget_s,
        ))
    writer: MessageWriter = TemplateWriter()
    if not settings.offline:
        writer = OpenAIMessageWriter(
            api_key=settings.openai_api_key.get_secret_value(), model=settings.openai_model,
            base_url=settings.openai_base_url or None, timeout_s=min(settings.openai_timeout_s, 7.0),
            max_retries=settings.openai_max_retries)
    secret = settings.ics_link_secret.get_secret_value().encode() or secrets.token_bytes(32)
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    links = MessageLinks(secret, timedelta(hours=settings.messages_home_link_ttl_hours), base)
    log.info("messages home mode", extra={"graph": graph is not None, "writer": writer.name})
    return MessageHomeService(sessions, writer, school_language=settings.school_language, graph=graph,
                              graph_mode=settings.messages_home_graph_mode, links=links)

