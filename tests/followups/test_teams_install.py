"""Installing Faraday for staff it cannot reach (#24.3) through Microsoft Graph's proactive installation, against the
fake Graph over TLS (real msal token) and the demo district on real PostgreSQL: the admin asks, confirms on a card,
the press queues a background job and answers at once, the job installs (201) or finds it installed (409 Conflict →
looked up), the 1:1 chat id becomes a conversation reference, the per-person report goes to the admin's 1:1 chat
through the real botbuilder sender on the shared outbox, and an alert then reaches the nurse in that chat. One person
blocked by policy is reported by name while the others are installed; a second press of the same card queues
nothing and asks Graph nothing; a teacher is refused; everything is audited. The job's own behaviour (slow Graph,
late listings, replicas) is in test_teams_install_jobs.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bot.cards.teams_install import report_card
from bot.channel.install_notice_sender import InstallNoticeCardSender
from bot.channel.proactive import BotSender
from bot.commands.reach import INSTALL, REACH_ACTIONS, reach_command
from devtools.fakes.graph import CLIENT_ID, CLIENT_SECRET, TENANT
from devtools.fakes.graph_teams import FakeTeamsApps
from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.alerts.ratelimit import RateLimiter
from domain.calendar.graph import GraphConfig
from domain.graph_client import GraphClient
from domain.outbox import Sent, Target
from domain.reach import Reachability
from domain.seed.facts import DEMO
from domain.teams_install import PERMISSION, InstallReport, ListingWait, TeamsInstaller
from domain.teams_install_jobs import InstallNoticeRelay, TeamsInstallJobs
from tests.followups.conftest import CATALOG_ID
from tests.support.alerts import FakeClock, World, adapter, drain, make_relay
from tests.support.emergencies import card_texts

NOW = datetime(2026, 11, 20, 15, 40, tzinfo=UTC)


@dataclass(frozen=True)
class ReachServices:
    reach: Reachability | None
    teams_install: TeamsInstallJobs | None


@dataclass(frozen=True)
class Deps:
    actor: Any
    services: ReachServices


class ReportSink:
    """The notice relay's sender: records each report the admin would get in their 1:1 chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[Target, InstallReport]] = []

    async def send(self, target: Target, report: InstallReport) -> Sent:
        self.sent.append((target, report))
        return Sent(activity_id=f"a-{len(self.sent)}", conversation_id="c")


def jobs_for(sessions: Any, graph_client: GraphClient, reach: Reachability, **kwargs: Any) -> TeamsInstallJobs:
    wait = kwargs.pop("wait", ListingWait(total_s=1.0, first_s=0.05, cap_s=0.2))
    installer = TeamsInstaller(sessions, graph_client, CATALOG_ID, reach=reach, bot_app_id="faraday-bot", wait=wait)
    return TeamsInstallJobs(sessions, installer, **kwargs)


def client(graph: FakeTeamsApps) -> GraphClient:
    config = GraphConfig(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                         authority_host=graph.url, base_url=f"{graph.url}/v1.0", ca_file=str(graph.ca_file))
    return GraphClient(config, permission=PERMISSION, retry_budget_s=1.0)


async def _world(demo_sessions: Any, connector: RateLimitedConnector) -> World:
    world = World(demo_sessions, connector, FakeClock(NOW))
    for email in (DEMO.alex.email, DEMO.megan.email):
        await world.remember(email)  # Megan's chat also tells Faraday the tenant's Bot Connector address
    isaiah, patti = await world.actor(DEMO.isaiah.email), await world.actor(DEMO.patti.email)
    async with demo_sessions() as s, s.begin():
        await s.execute(text("INSERT INTO pre_class_briefs (class_id, teacher_id, day, starts_at, status, attempts,"
                             " next_attempt_at, last_error, created_at) SELECT c.id, :t, '2026-11-20', :now,"
                             " 'failed', 1, :now, '403: BotNotInConversationRoster', :now FROM classes c"
                             " ORDER BY c.id LIMIT 1"), {"now": NOW, "t": patti.staff_id})
        await s.execute(text("UPDATE staff SET tenant_id = NULL, aad_object_id = NULL WHERE id = :i"),
                        {"i": isaiah.staff_id})  # never linked: Graph is given his e-mail (a UPN)
    return world


async def _unreachable(demo_sessions: Any) -> list[tuple[int, str, str | None]]:
    async with demo_sessions() as s:
        school = (await s.execute(text("SELECT school_id FROM staff WHERE email = :e"),
                                  {"e": DEMO.megan.email})).scalar_one()
        return [tuple(r) for r in await s.execute(text(  # type: ignore[misc]
            "SELECT id, display_name, coalesce(aad_object_id, email) FROM staff WHERE school_id = :s AND active"
            " AND role IN ('teacher', 'coach', 'nurse', 'admin') AND email NOT IN (:a, :m)"),
            {"s": school, "a": DEMO.alex.email, "m": DEMO.megan.email})]


async def test_an_admin_installs_faraday_for_unreachable_staff_and_an_alert_then_reaches_the_nurse(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await _world(demo_sessions, connector)
    others = await _unreachable(demo_sessions)
    for _, name, address in others:
        if name not in (DEMO.adele.display_name, DEMO.patti.display_name, DEMO.isaiah.display_name):
            graph.add_user(str(address), f"{address}@directory.example", blocked=True)  # blocked by policy
    adele = graph.add_user(DEMO.adele.aad_object_id, DEMO.adele.email)
    graph.add_user(DEMO.patti.aad_object_id, DEMO.patti.email, installed=True)  # Teams has it; Faraday had no chat
    graph.add_user("aad-of-isaiah-in-directory", DEMO.isaiah.email)
    blocked = [n for _, n, _ in others if n not in (DEMO.adele.display_name, DEMO.patti.display_name,
                                                      DEMO.isaiah.display_name)]
    assert blocked, "the demo school has other staff Faraday cannot reach (here: blocked by policy)"
    graph_client = client(graph)
    reach = Reachability(demo_sessions, clock=world.clock)
    jobs = jobs_for(demo_sessions, graph_client, reach)
    services = ReachServices(reach, jobs)
    megan = await world.actor(DEMO.megan.email)
    try:
        listed = await reach_command("reachability", megan, services)
        assert listed is not None and listed.cards
        assert [a["data"]["action"] for a in listed.cards[0]["actions"]] == ["reach.install.confirm"]

        confirm = await reach_command("install faraday for unreachable staff", megan, services)
        assert confirm is not None and confirm.cards
        card = confirm.cards[0]
        shown = card_texts(card)
        for name in (DEMO.adele.display_name, DEMO.patti.display_name, DEMO.isaiah.display_name):
            assert f"• {name}" in shown
        install = next(a for a in card["actions"] if a["data"]["action"] == INSTALL)
        assert not graph.graph_requests("POST"), "nothing is installed before Install is pressed"

        done = await REACH_ACTIONS[INSTALL](install["data"], Deps(megan, services))  # type: ignore[arg-type]
        assert done.text == f"Installing Faraday for {len(others)} people; I'll message you when it's done."
        assert not done.cards and not graph.graph_requests(), "the press queues the job; Graph is asked nothing yet"
        pressed = await REACH_ACTIONS[INSTALL](install["data"], Deps(megan, services))  # type: ignore[arg-type]
        assert pressed.text is not None and pressed.text.startswith(f"Already installing Faraday for {len(others)}")
        async with demo_sessions() as s:
            assert await s.scalar(text("SELECT count(*) FROM teams_install_jobs")) == 1, "one job per card"

        assert await jobs.run_due() == 1 and await jobs.run_due() == 0
        megan_chat = f"a:personal-{megan.aad_object_id}"
        relay = InstallNoticeRelay(demo_sessions, InstallNoticeCardSender(BotSender(adapter(), "", RateLimiter())))
        assert await relay.tick() == 1 and await relay.tick() == 0  # sent once
        [notice] = connector.cards(megan_chat)  # the report reached Megan's 1:1 chat
        report = card_texts(notice)
        assert report[0] == f"Faraday is installed for 3 of {len(others)}"
        assert f"• {DEMO.adele.display_name} (installed)" in report
        assert f"• {DEMO.isaiah.display_name} (installed)" in report  # by his UPN: he was never linked
        assert f"• {DEMO.patti.display_name} (already installed)" in report  # Graph's 409, then looked up
        for name in blocked:  # partial failure: by name, with the reason, the others still installed
            assert any(line.startswith(f"• {name}: Graph refused (403)") for line in report), report
        posts = graph.graph_requests("POST")
        assert {p.json["teamsApp@odata.bind"] for p in posts} == {f"{graph.url}/v1.0/appCatalogs/teamsApps/{CATALOG_ID}"}
        assert f"/v1.0/users/{DEMO.isaiah.email}/teamwork/installedApps" in {p.path for p in posts}
        lookups = [r for r in graph.graph_requests("GET") if r.path.endswith("/installedApps")]
        assert lookups and all(r.query == {"$expand": "teamsAppDefinition",
                                           "$filter": f"teamsApp/id eq '{CATALOG_ID}'"} for r in lookups)
        assert graph.installs_posted == 2  # Adele and Isaiah; Patti's was there

        before = len(graph.requests)
        again = await REACH_ACTIONS[INSTALL](install["data"], Deps(megan, services))  # type: ignore[arg-type]
        assert again.cards and "This was already done; nothing more was installed." in card_texts(again.cards[0])
        assert f"• {DEMO.adele.display_name} (installed)" in card_texts(again.cards[0])
        assert again.text is not None and all(name in again.text for name in blocked)
        assert await jobs.run_due() == 0 and await relay.tick() == 0
        assert len(graph.requests) == before, "a press after the job asks Graph nothing and queues nothing"

        alex = await world.actor(DEMO.alex.email)
        refused = await REACH_ACTIONS[INSTALL]({"form_key": "another-key-123"},  # type: ignore[arg-type]
                                               Deps(alex, services))
        assert refused.text == "Only administrators can install Faraday for other staff."
        assert await jobs.run_due() == 0 and len(graph.requests) == before

        async with demo_sessions() as s:
            chats = dict((await s.execute(text(
                "SELECT s.email, c.conversation_id FROM conversation_references c JOIN staff s ON s.id = c.staff_id"
                " WHERE c.conversation_id LIKE '19:%'"))).all())
            audited = [tuple(r) for r in await s.execute(text(
                "SELECT actor_staff_id, subject_id, allowed, reason FROM audit_log"
                " WHERE action = 'staff.teams_install' ORDER BY id"))]
            notified = [tuple(r) for r in await s.execute(text(
                "SELECT actor_aad_object_id, reason FROM audit_log WHERE action = 'staff.teams_install.notify'"))]
        assert chats == {DEMO.adele.email: FakeTeamsApps.chat_id(adele),
                         DEMO.patti.email: f"19:{DEMO.patti.aad_object_id}_faraday-bot@unq.gbl.spaces",
                         DEMO.isaiah.email: "19:aad-of-isaiah-in-directory_faraday-bot@unq.gbl.spaces"}
        assert notified == [("faraday:relay", f"3 of {len(others)} reachable")]
        assert len(audited) == len(others) + 1  # one row per person, and the teacher's refusal
        assert audited[-1] == (alex.staff_id, alex.school_id, False, "not an administrator")
        assert {r[3] for r in audited[:-1]} >= {"installed: chat opened", "already installed: chat opened"}
        assert all(r[0] == megan.staff_id and r[2] for r in audited[:-1])

        after = await reach_command("reachability", megan, services)
        assert after is not None and after.cards
        lines = card_texts(after.cards[0])
        assert not any(DEMO.adele.display_name in t or DEMO.patti.display_name in t for t in lines)
        assert any(t.startswith(f"• {DEMO.isaiah.display_name}") and "not linked" in t for t in lines)

        # an alert for a serious incident now reaches the nurse in the chat Graph opened
        await world.log_incident(severity="serious")
        await drain(make_relay(demo_sessions, clock=world.clock))
        assert connector.cards(FakeTeamsApps.chat_id(adele)), "the alert card reached Adele's new 1:1 chat"
    finally:
        await graph_client.close()


async def test_graph_refusing_the_app_reports_each_person_with_the_permission_to_grant(
        demo_sessions: Any, connector: RateLimitedConnector, graph: FakeTeamsApps) -> None:
    world = await _world(demo_sessions, connector)
    graph.add_user(DEMO.adele.aad_object_id, DEMO.adele.email)
    graph.fail_next("POST", "/teamwork/installedApps", 403, count=50, code="Forbidden")
    graph_client = client(graph)
    reach = Reachability(demo_sessions, clock=world.clock)
    jobs = jobs_for(demo_sessions, graph_client, reach)
    services = ReachServices(reach, jobs)
    try:
        done = await REACH_ACTIONS[INSTALL]({"key": "key-refused-0001"},  # type: ignore[arg-type]  # an older card
                                            Deps(await world.actor(DEMO.megan.email), services))
        assert done.text is not None and done.text.startswith("Installing Faraday for ")
        assert await jobs.run_due() == 1
        sink = ReportSink()
        assert await InstallNoticeRelay(demo_sessions, sink).tick() == 1
        [(target, sent)] = sink.sent
        assert target.staff_id == (await world.actor(DEMO.megan.email)).staff_id
        report = card_texts(report_card(sent))
        assert "Faraday is installed for 0 of" in report[0]
        assert any(line.startswith(f"• {DEMO.adele.display_name}: Graph refused (403)")
                   and "TeamsAppInstallation.ReadWriteSelfForUser.All" in line for line in report), report
        async with demo_sessions() as s:
            stored = await s.scalar(text("SELECT count(*) FROM conversation_references"
                                         " WHERE conversation_id LIKE '19:%'"))
        assert stored == 0
    finally:
        await graph_client.close()


async def test_without_graph_the_reachability_card_offers_no_install_and_the_command_says_why(
        demo_sessions: Any, connector: RateLimitedConnector) -> None:
    world = await _world(demo_sessions, connector)
    services = ReachServices(Reachability(demo_sessions, clock=world.clock), None)
    megan = await world.actor(DEMO.megan.email)
    listed = await reach_command("reachability", megan, services)
    assert listed is not None and listed.cards and "actions" not in listed.cards[0]
    answer = await reach_command("install Faraday for unreachable staff", megan, services)
    assert answer is not None and answer.text is not None and "isn't set up" in answer.text
