"""The alert relay as a background task: in every bot replica (``alert_relay_ctx`` in the app's cleanup_ctx) or as
a process of its own (``python -m bot.alert_runner``). It polls every ``poll_s`` and wakes at once on a Redis
wake-up when Redis is there; correctness never depends on Redis."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from aiohttp import web
from botbuilder.core import BotAdapter
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel.adapter import FaradayAdapter, make_adapter
from bot.channel.brief_sender import BriefCardSender
from bot.channel.emergency_sender import EmergencyCardSender
from bot.channel.equipment_notice_sender import EquipmentNoticeSender
from bot.channel.install_notice_sender import InstallNoticeCardSender
from bot.channel.nurse_sender import NurseCardSender
from bot.channel.proactive import BotSender
from bot.channel.sharepoint_notice_sender import SyncNoticeCardSender
from domain.alerts.escalation import escalate_due
from domain.alerts.ratelimit import RateLimiter
from domain.alerts.relay import JOURNAL_KEY, Fault, Relay, RelayConfig
from domain.alerts.types import Clock, utc_now
from domain.alerts.wakeup import wait_for_wakeups
from domain.briefs import BriefConfig, BriefRelay
from domain.emergencies.delivery import EmergencyRelay
from domain.nurse import NurseRelay
from domain.outbox import journal_for
from domain.records.notices import EquipmentNoticeRelay
from domain.settings import Settings
from domain.teams_install_jobs import InstallNoticeRelay
from knowledge.sharepoint_jobs import SyncNoticeRelay

log = logging.getLogger(__name__)

RELAY_CLOCK: web.AppKey[Clock] = web.AppKey("relay_clock")  # optional: relay and briefs time (UTC), tests


class Job(Protocol):
    async def tick(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AlertConfig:
    escalate_after: timedelta = timedelta(minutes=5)
    poll_s: float = 1.0
    relay: RelayConfig = field(default_factory=RelayConfig)
    tenant_share: float = 1.0  # of Teams' per-tenant budget, for this process (1 / number of relaying replicas)
    crash_at: str = ""  # fault injection for crash tests only
    emergency_escalate_after: timedelta = timedelta(minutes=3)
    brief: BriefConfig = field(default_factory=BriefConfig)  # pre-class safety briefs (lead 0: none)

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertConfig:
        return cls(
            escalate_after=timedelta(minutes=settings.alert_escalation_minutes),
            poll_s=settings.alert_relay_poll_s,
            relay=RelayConfig(
                batch=settings.alert_relay_batch,
                lease=timedelta(seconds=settings.alert_relay_lease_s),
                max_attempts=settings.alert_max_attempts,
                backoff_base_s=settings.alert_backoff_base_s,
            ),
            tenant_share=settings.alert_tenant_share,
            crash_at=settings.faraday_relay_crash_at,
            emergency_escalate_after=timedelta(minutes=settings.emergency_escalation_minutes),
            brief=BriefConfig(lead=timedelta(minutes=settings.pre_class_brief_minutes), heat_f=settings.brief_heat_f,
                              default_temperature_f=settings.brief_temperature_f),
        )


def kill_at(point: str) -> Fault:
    """A fault hook that kills this process (SIGKILL: no cleanup, like a crash) at ``point``."""
    def fault(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)
    return fault


class AlertRunner:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], relay: Relay, config: AlertConfig, *,
                 redis: Redis | None = None, clock: Clock = utc_now, jobs: Sequence[Job] = ()) -> None:
        self._sessions, self._relay, self._config = sessions, relay, config
        self._jobs = tuple(jobs)  # other outboxes relayed in the same loop (emergency cards, equipment notices)
        self._redis, self._clock = redis, clock
        self._stop, self._wake = asyncio.Event(), asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._loop(), name="alert-relay"))
        if self._redis is not None:
            self._tasks.append(asyncio.create_task(wait_for_wakeups(self._redis, self._wake, self._stop)))

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)

    async def tick(self) -> int:
        """Escalate what is due, then deliver one batch; returns the rows claimed."""
        await escalate_due(self._sessions, self._clock(), self._config.escalate_after)
        claimed = await self._relay.run_once()
        for job in self._jobs:
            claimed += await job.tick()
        return claimed

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = await self.tick()
            except Exception as exc:  # database restart, network: keep going, the rows are safe
                log.warning("alert relay tick failed", extra={"error": type(exc).__name__})
                claimed = 0
            if claimed >= self._config.relay.batch:
                continue  # more is probably due
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_s)


def build_runner(sessions: async_sessionmaker[AsyncSession], adapter: BotAdapter, app_id: str, config: AlertConfig,
                 redis: Redis | None, clock: Clock = utc_now) -> AlertRunner:
    sender = BotSender(adapter, app_id, RateLimiter(tenant_share=config.tenant_share))
    relay = Relay(sessions, sender, config=config.relay, clock=clock,
                  journal=journal_for(redis, JOURNAL_KEY),
                  fault=kill_at(config.crash_at) if config.crash_at else None)
    emergencies = EmergencyRelay(sessions, EmergencyCardSender(sender), config=config.relay,  # one rate limiter
                                 escalate_after=config.emergency_escalate_after, clock=clock,
                                 journal=journal_for(redis, EmergencyRelay.journal_key))
    notices = EquipmentNoticeRelay(sessions, EquipmentNoticeSender(sender), config=config.relay, clock=clock,
                                   journal=journal_for(redis, EquipmentNoticeRelay.journal_key))
    briefs = BriefRelay(sessions, BriefCardSender(sender), clock=clock,
                        config=dataclasses.replace(config.brief, relay=config.relay),
                        journal=journal_for(redis, BriefRelay.journal_key))
    nurses = NurseRelay(sessions, NurseCardSender(sender), config=config.relay, clock=clock,
                        journal=journal_for(redis, NurseRelay.journal_key))
    sharepoint = SyncNoticeRelay(sessions, SyncNoticeCardSender(sender), config=config.relay, clock=clock,
                                 journal=journal_for(redis, SyncNoticeRelay.journal_key))
    installs = InstallNoticeRelay(sessions, InstallNoticeCardSender(sender), config=config.relay, clock=clock,
                                  journal=journal_for(redis, InstallNoticeRelay.journal_key))
    return AlertRunner(sessions, relay, config, redis=redis, clock=clock,
                       jobs=[emergencies, notices, briefs, nurses, sharepoint, installs])


def standalone_runner(settings: Settings, config: AlertConfig, sessions: async_sessionmaker[AsyncSession],
                      redis: Redis | None) -> tuple[AlertRunner, FaradayAdapter]:
    """The relay as a process of its own, sending through the same adapter as the app (``make_adapter``: connector
    timeout, aiohttp transport, cached credentials). Close the adapter after stopping the runner."""
    adapter = make_adapter(settings)
    return build_runner(sessions, adapter, settings.microsoft_app_id, config, redis), adapter


async def alert_relay_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: start the relay after the database and the adapter exist (append it after ``_bot``).
    Its clock is ``app[RELAY_CLOCK]`` when set (tests inject a fixed time; briefs follow it), else the wall clock."""
    from bot.routes import ADAPTER, ENGINE, SETTINGS
    from domain.db import make_sessionmaker

    settings = app[SETTINGS]
    redis = (Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=0.5)
             if settings.redis_url else None)
    runner = build_runner(make_sessionmaker(app[ENGINE]), app[ADAPTER], settings.microsoft_app_id,
                          AlertConfig.from_settings(settings), redis, clock=app.get(RELAY_CLOCK, utc_now))
    runner.start()
    yield
    await runner.stop()
    if redis is not None:
        await redis.aclose()


async def _main(args: argparse.Namespace) -> None:
    from domain.db import make_engine, make_sessionmaker

    settings = Settings()
    config = AlertConfig.from_settings(settings)
    relay = config.relay
    if args.lease_s:
        relay = dataclasses.replace(relay, lease=timedelta(seconds=args.lease_s))
    if args.batch:
        relay = dataclasses.replace(relay, batch=args.batch, concurrency=args.batch)
    config = dataclasses.replace(config, poll_s=args.poll_s or config.poll_s, relay=relay,
                                 crash_at=args.crash_at or config.crash_at)
    engine = make_engine(settings.database_url, pool_size=4)
    redis = Redis.from_url(settings.redis_url, socket_timeout=2) if settings.redis_url else None
    runner, adapter = standalone_runner(settings, config, make_sessionmaker(engine), redis)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    runner.start()
    print("relay ready", flush=True)
    await stop.wait()
    await runner.stop()
    await adapter.close()
    await engine.dispose()
    if redis is not None:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run Faraday's alert relay on its own (DATABASE_URL, REDIS_URL, "
                                                 "MICROSOFT_APP_* from the environment).")
    parser.add_argument("--crash-at", default="", help="fault injection: after_claim | after_connector | after_send")
    parser.add_argument("--lease-s", type=float, default=0.0)
    parser.add_argument("--poll-s", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=0)
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main(parser.parse_args()))
