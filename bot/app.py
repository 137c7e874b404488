"""The aiohttp app factory: routes, and every resource (database, Redis, adapter, agent) in cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from aiohttp import web
from redis.asyncio import Redis

from agent.loop import Agent
from agent.model import ModelBackend
from agent.offline.planner import OfflinePlanner
from agent.openai_backend import OpenAIBackend
from bot import actions as card_actions
from bot.alert_runner import RELAY_CLOCK, alert_relay_ctx
from bot.channel.adapter import make_adapter
from bot.channel.dedupe import Deduplicator
from bot.channel.file_consent import FileConsent
from bot.channel.policy import LOOPBACK_HOSTS, ChannelPolicy
from bot.channel.prompt_starters import prompt_starter_scopes
from bot.channel.rate_limit import BudgetedBackend, RateLimiter
from bot.commands.admin import ADMIN_ACTIONS
from bot.commands.knowledge_upload import FileFetcher
from bot.commands.nurse import NURSE_ACTIONS
from bot.commands.reach import REACH_ACTIONS
from bot.export_routes import EXPORTS, export_routes
from bot.handler import FaradayBot
from bot.process.heap import freeze_startup_heap
from bot.process.roster_sync import graph_sync_ctx
from bot.routes import (
    ADAPTER,
    AUTH,
    BOT,
    ENGINE,
    EVENTS,
    KNOWLEDGE_FILES,
    LIMITER,
    LINK_HOSTS,
    MEMORY_ENGINE,
    MESSAGES_HOME,
    POLICY,
    SETTINGS,
    document_routes,
    ics_routes,
    message_routes,
    routes,
)
from bot.turns.welcome import welcome_once
from domain.access_history import AccessHistoryService
from domain.alerts import AlertOutbox, AlertService
from domain.alerts.types import Clock, utc_now
from domain.alerts.wakeup import RedisWaker
from domain.background import run_jobs
from domain.briefs import BriefSettings
from domain.calendar.factory import build_event_service
from domain.calendar.proposals import EventProposer
from domain.conversations import ConversationService
from domain.db import make_engine, make_sessionmaker
from domain.emergencies import EmergencyService
from domain.exports import build_export_service
from domain.feedback import FeedbackService
from domain.graph_client import GraphClient, graph_config
from domain.identity import IdentityService
from domain.incidents import IncidentService
from domain.lessons import LessonService
from domain.memory import ConversationMemory
from domain.messages_home.factory import build_message_home
from domain.nurse import NurseRequests
from domain.privacy import PrivacyService
from domain.reach import Reachability
from domain.records.attendance import AttendanceService
from domain.records.equipment import EquipmentCheckService
from domain.records.fitness import FitnessService
from domain.records.skills import SkillService
from domain.records.terms import TermWindow
from domain.roster.linking import StaffLinks
from domain.roster.service import RosterStatus
from domain.roster.uploads import RosterUploads
from domain.settings import Settings
from domain.students import StudentService
from domain.teams_install import PERMISSION as TEAMS_INSTALL_PERMISSION
from domain.teams_install import ListingWait, TeamsInstaller
from domain.teams_install_jobs import TeamsInstallJobs
from domain.turn_start import TurnStart
from domain.widgets import WidgetService
from knowledge import situations
from knowledge.embedders import MINILM_NAME, Embedder, close_embedder, make_embedder
from knowledge.files import build_knowledge_files
from knowledge.lesson_builder import LessonWriter, OfflineLessonWriter
from knowledge.lesson_planning import LessonPlanner
from knowledge.lesson_writers import OpenAILessonWriter
from knowledge.parsers import Limits
from knowledge.retriever import Retriever
from knowledge.sharepoint import PERMISSION as SHAREPOINT_PERMISSION
from knowledge.sharepoint import SharePointSync
from knowledge.sharepoint_jobs import SharePointJobs
from knowledge.sharepoint_schedule import scheduled_sharepoint_sync
from knowledge.topics import topic_index
from knowledge.uploads import KnowledgeUploads
from tools.base import Services
from tools.registry import TOOLS

log = logging.getLogger(__name__)


class UnsafeConfiguration(Exception):
    """The settings would expose the bot without authentication."""


def check_safe(settings: Settings) -> None:
    """Refuse to run unauthenticated unless explicitly in local dev mode and bound to loopback."""
    if settings.microsoft_app_id:
        return
    if not settings.faraday_dev_insecure:
        raise UnsafeConfiguration(
            "MICROSOFT_APP_ID is empty: set it (and its password), or set FARADAY_DEV_INSECURE=1 for local testing."
        )
    if not _is_loopback(settings.host):
        raise UnsafeConfiguration(
            f"FARADAY_DEV_INSECURE=1 accepts unauthenticated requests, so HOST must be loopback, not {settings.host}."
        )


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(
    settings: Settings,
    *,
    backend: ModelBackend | None = None,
    clock: Callable[[str], datetime] | None = None,
    relay_clock: Clock | None = None,
) -> web.Application:
    """``clock`` is each turn's time (by time zone); ``relay_clock`` (UTC) drives the alert runner's jobs and what
    "today" is for the briefs' commands, so tests of scheduled briefs need not follow the wall clock."""
    check_safe(settings)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    if relay_clock is not None:
        app[RELAY_CLOCK] = relay_clock
    hosts = tuple(settings.allowed_service_url_hosts) + (LOOPBACK_HOSTS if settings.faraday_dev_insecure else ())
    app[POLICY] = ChannelPolicy(allowed_tenants=tuple(settings.allowed_tenants), allowed_service_url_hosts=hosts)
    card_actions.ACTIONS.update(ADMIN_ACTIONS)
    card_actions.ACTIONS.update(NURSE_ACTIONS)
    card_actions.ACTIONS.update(REACH_ACTIONS)
    app[LINK_HOSTS] = tuple(settings.allowed_link_hosts)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_bot(backend, clock))
    app.cleanup_ctx.append(alert_relay_ctx)  # after _bot: it needs the adapter
    app.cleanup_ctx.append(graph_sync_ctx)  # the roster from Graph on a schedule, when configured
    app.add_routes(routes)
    app.add_routes(ics_routes)
    app.add_routes(document_routes)
    app.add_routes(message_routes)
    app.add_routes(export_routes)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[SETTINGS].database_url)
    app[ENGINE] = engine
    # conversation memory only: commits that need not wait for the WAL flush (see ConversationMemory)
    app[MEMORY_ENGINE] = make_engine(app[SETTINGS].database_url, pool_size=2, durable_commits=False)
    yield
    await app[MEMORY_ENGINE].dispose()
    await engine.dispose()


def _bot(backend: ModelBackend | None, clock: Callable[[str], datetime] | None):  # type: ignore[no-untyped-def]
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        sessions = make_sessionmaker(app[ENGINE])
        redis = (Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
                 if settings.redis_url else None)
        limiter = RateLimiter(
            redis, per_minute=settings.rate_limit_per_minute, per_hour=settings.rate_limit_per_hour,
            daily_tokens=settings.daily_token_budget,
        )
        app[LIMITER] = limiter
        model = backend or _default_backend(settings)
        if isinstance(model, OpenAIBackend):
            model = BudgetedBackend(model, limiter)  # type: ignore[assignment]
        embedder = make_embedder(settings.openai_api_key.get_secret_value(), settings.openai_base_url)
        retriever = Retriever(sessions, embedder)
        events = build_event_service(settings, sessions)
        lesson_writer = _lesson_writer(settings)
        waker = RedisWaker(redis) if redis is not None else None
        escalate = timedelta(minutes=settings.alert_escalation_minutes)
        terms = [TermWindow(t.name, t.start, t.end) for t in settings.school_terms]
        app[EVENTS] = events
        messages_home = app[MESSAGES_HOME] = build_message_home(settings, sessions)
        files = app[KNOWLEDGE_FILES] = build_knowledge_files(settings, sessions)
        limits = Limits(max_bytes=settings.knowledge_upload_max_mb * 1024 * 1024,
                        max_pages=settings.knowledge_upload_max_pages)
        sharepoint_graph = (GraphClient(graph_config(settings), permission=SHAREPOINT_PERMISSION)
                            if settings.graph_configured else None)
        sharepoint = (SharePointSync(sessions, embedder, sharepoint_graph, limits=limits,
                                     parse_timeout_s=settings.knowledge_parse_timeout_s)
                      if sharepoint_graph is not None else None)
        scheduled = (asyncio.create_task(scheduled_sharepoint_sync(sharepoint,
                                                                   settings.knowledge_sharepoint_sync_minutes))
                     if sharepoint is not None and settings.knowledge_sharepoint_sync_minutes > 0 else None)
        # syncs admins start in Teams run here, never in the turn; their results go out through the alert runner
        sharepoint_jobs = SharePointJobs(sessions, sharepoint) if sharepoint is not None else None
        jobs_loop = asyncio.create_task(run_jobs(sharepoint_jobs)) if sharepoint_jobs is not None else None
        reach = Reachability(sessions, clock=app.get(RELAY_CLOCK, utc_now))
        install_graph = (GraphClient(graph_config(settings), permission=TEAMS_INSTALL_PERMISSION,
                                     retry_budget_s=settings.graph_retry_budget_s)
                         if settings.graph_configured and settings.teams_app_catalog_id else None)
        # installs admins ask for run here too, never in the turn; their results go out through the alert runner
        teams_install = (TeamsInstallJobs(sessions, TeamsInstaller(
            sessions, install_graph, settings.teams_app_catalog_id, reach=reach, bot_app_id=settings.microsoft_app_id,
            wait=ListingWait(total_s=settings.teams_install_wait_s))) if install_graph is not None else None)
        install_loop = asyncio.create_task(run_jobs(teams_install)) if teams_install is not None else None
        warm = asyncio.create_task(_warm_up(embedder, freeze=settings.freeze_startup_heap))
        offline = OfflinePlanner()
        agent = Agent(
            backend=model,
            tools=TOOLS,
            max_steps=settings.agent_max_steps,
            deadline_s=settings.agent_turn_deadline_s,
            fallback=None if model.name == offline.name else offline,
        )
        adapter = make_adapter(settings)
        app[AUTH] = adapter.auth
        students = StudentService(sessions)
        lessons = LessonService(sessions)
        widgets = WidgetService(sessions)
        exports = app[EXPORTS] = build_export_service(settings, sessions, widgets)
        app[ADAPTER] = adapter
        app[BOT] = FaradayBot(
            identity=IdentityService(sessions),
            turn_start=TurnStart(sessions),
            conversations=ConversationService(sessions),
            memory=ConversationMemory(sessions, make_sessionmaker(app[MEMORY_ENGINE])),
            feedback=FeedbackService(sessions),
            services=Services(
                students=students,
                incidents=IncidentService(sessions, after_create=[AlertOutbox(escalate_after=escalate, waker=waker)]),
                knowledge=retriever,
                privacy=PrivacyService(sessions, redis),
                access_history=AccessHistoryService(sessions),
                events=events,
                widgets=widgets,
                lessons=lessons,
                lesson_writer=lesson_writer,
                event_proposals=EventProposer(events, students),
                lesson_planner=LessonPlanner(retriever, lesson_writer, lessons),
                alerts=AlertService(sessions, escalate_after=escalate, waker=waker),
                uploads=KnowledgeUploads(sessions, embedder, limits=limits,
                                         parse_timeout_s=settings.knowledge_parse_timeout_s),
                files=files,
                emergencies=EmergencyService(sessions, waker=waker,
                                             escalate_after=timedelta(minutes=settings.emergency_escalation_minutes)),
                attendance=AttendanceService(sessions, terms),
                fitness=FitnessService(sessions, terms),
                equipment_checks=EquipmentCheckService(sessions, waker=waker),
                skills=SkillService(sessions, terms),
                staff_links=StaffLinks(sessions, settings.roster_upn_domain, trusted_tenants=(
                    settings.microsoft_app_tenant_id, *settings.allowed_tenants)),
                roster_status=RosterStatus(sessions),
                roster_uploads=RosterUploads(sessions, settings),
                messages_home=messages_home,
                exports=exports,
                briefs=BriefSettings(sessions, minutes_before=settings.pre_class_brief_minutes,
                                     default_temperature_f=settings.brief_temperature_f,
                                     clock=app.get(RELAY_CLOCK, utc_now)),
                nurse_requests=NurseRequests(sessions, clock=app.get(RELAY_CLOCK, utc_now)),
                reach=reach,
                teams_install=teams_install,
                sharepoint=sharepoint_jobs,
            ),
            agent=agent,
            dedupe=Deduplicator(redis, settings.dedupe_ttl_s),
            welcomed=welcome_once(redis),
            max_message_chars=settings.max_message_chars,
            informative_after_s=settings.informative_after_s,
            clock=clock,
            file_fetcher=FileFetcher(tuple(settings.knowledge_upload_hosts), max_bytes=limits.max_bytes,
                                     allow_loopback_http=settings.faraday_dev_insecure),
            app_id=settings.microsoft_app_id,
            card_secret=card_owner_secret(settings),
            file_consent=FileConsent(exports, tuple(settings.export_upload_hosts),
                                     allow_loopback_http=settings.faraday_dev_insecure),
            prompt_starter_scopes=prompt_starter_scopes(),
        )
        log.info("faraday ready", extra={"model": model.name})
        yield
        warm.cancel()
        for task in (scheduled, jobs_loop, install_loop):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await adapter.close()
        await close_embedder(embedder)
        if sharepoint_graph is not None:
            await sharepoint_graph.close()
        if install_graph is not None:
            await install_graph.close()
        await events.close()
        await messages_home.close()
        if isinstance(lesson_writer, OpenAILessonWriter):
            await lesson_writer.close()
        if isinstance(model, OpenAIBackend | BudgetedBackend):
            await model.close()
        if redis is not None:
            await redis.aclose()

    return ctx


async def _warm_up(embedder: Embedder, *, freeze: bool) -> None:
    """Load the local embedding model and the safety topics' example vectors in the background so the first question
    does not wait for them; then freeze the start-up heap (``bot.process.heap``) so full garbage collections stop
    walking it."""
    warm = getattr(embedder, "warm_up", None)
    if warm is not None:
        try:
            await warm()
            if embedder.name == MINILM_NAME:  # the safety topics' examples (cached on disk after the first run)
                await topic_index()
                await asyncio.to_thread(situations.warm_up)
        except Exception:  # the first search will try again and report properly
            log.warning("embedder warm-up failed", exc_info=True)
    if freeze:
        freeze_startup_heap()


def card_owner_secret(settings: Settings) -> bytes | None:
    """The key that signs whom a card in a shared conversation was made for: derived from the link secret, which
    replicas already share, so a card posted by one replica is checked the same way by another (empty: random per
    process, as for the links)."""
    secret = settings.ics_link_secret.get_secret_value().encode()
    return hmac.new(secret, b"faraday card owner", hashlib.sha256).digest() if secret else None


def _lesson_writer(settings: Settings) -> LessonWriter:
    """Offline: plans assembled from the curriculum. With a key: the model writes them, then they are validated."""
    if settings.offline:
        return OfflineLessonWriter()
    return OpenAILessonWriter(
        api_key=settings.openai_api_key.get_secret_value(),
        model=settings.openai_model,
        base_url=settings.openai_base_url or None,
        timeout_s=min(settings.openai_timeout_s, 7.0),  # leaves room in the 12 s turn for the agent's own calls
        max_retries=settings.openai_max_retries,
    )


def _default_backend(settings: Settings) -> ModelBackend:
    return OfflinePlanner() if settings.offline else OpenAIBackend.from_settings(settings)


