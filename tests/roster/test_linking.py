"""Staff imported from a roster meet Faraday in Teams: the bot reads their Teams member record from the (fake) Bot
Connector, binds them to their staff row by UPN or e-mail (audited), and from then on they are who the roster says.
Through the real app over HTTP on real PostgreSQL and Valkey."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.turns.caller import UNKNOWN_USER
from devtools.fakes.activities import TENANT, activity
from domain.models import AuditLog, ConversationReference, Role, Staff
from domain.roster.service import import_roster
from domain.seed.facts import DEMO
from tests.roster.conftest import FIXTURES
from tests.support.app_client import bot_settings, serving

ROBIN = "11111111-0000-0000-0000-000000000001"  # teacher u-t1 in the hand-built roster
DANA = "11111111-0000-0000-0000-000000000004"  # administrator u-a1
CRAIG = "11111111-0000-0000-0000-000000000014"  # SDS teacher 14001 ... username only, no e-mail in the file
NOBODY = "11111111-0000-0000-0000-000000000099"
NEW_AAD = "11111111-0000-0000-0000-000000000023"


def member(aad: str, upn: str, email: str | None = None) -> dict[str, object]:
    return {"id": f"29:{aad}", "name": "Teams User", "aadObjectId": aad, "userPrincipalName": upn,
            "email": email or upn, "tenantId": TENANT}


def texts(connector) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.get("text") or "" for m in connector.messages()]


def card_titles(connector) -> list[str]:  # type: ignore[no-untyped-def]
    return [a["content"]["body"][0].get("text", "") for m in connector.messages() for a in m.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


async def test_an_imported_teacher_is_linked_on_first_message_and_sees_only_their_students(
        demo_db_url, redis_url, connector, sessions, settings):
    await import_roster(sessions, settings, FIXTURES / "handmade_oneroster_1_2", dry_run=False, all_classes=False)
    connector.members[f"29:{ROBIN}"] = member(ROBIN, "RMarsh@Lakeview.example")
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        status, _ = await bot.post(activity(connector.url, text="show me Avery Quill", aad=ROBIN))
        assert status == 201
        assert card_titles(connector) == ["Ave Quill"]  # the profile card, by her preferred name
        assert UNKNOWN_USER not in texts(connector)

        await bot.post(activity(connector.url, text="show me Riley Novak", aad=ROBIN))  # a demo-school student
        assert card_titles(connector) == ["Ave Quill"]  # no second profile card
        assert "**Riley Novak** in your classes" in texts(connector)[-1]  # "couldn't find anyone called ..."

    async with sessions() as session:
        robin = (await session.execute(select(Staff).where(Staff.source_id == "u-t1"))).scalar_one()
        links = (await session.execute(select(AuditLog).where(AuditLog.action == "staff.link"))).scalars().all()
        refused = (await session.execute(select(AuditLog).where(
            AuditLog.actor_staff_id == robin.id, AuditLog.allowed.is_(False)))).scalars().all()
    assert (robin.tenant_id, robin.aad_object_id) == (TENANT, ROBIN)
    assert [(a.subject_id, a.actor_staff_id, a.via) for a in links] == [(robin.id, robin.id, "teams:first_message")]
    assert refused  # the look-up of a student outside Robin's classes was refused and audited
    assert ("GET", f"/v3/conversations/a:personal-{ROBIN}/members/29:{ROBIN}") in connector.requests


async def test_an_sds_username_links_with_the_configured_upn_domain(demo_db_url, redis_url, connector, sessions,
                                                                   settings):
    await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=True)
    connector.members[f"29:{CRAIG}"] = member(CRAIG, "cbeane@contoso-schools.example")
    async with serving(bot_settings(demo_db_url, redis_url, roster_upn_domain="contoso-schools.example"),
                       connector) as bot:
        await bot.post(activity(connector.url, text="help", aad=CRAIG))
    assert UNKNOWN_USER not in texts(connector)
    async with sessions() as session:
        craig = (await session.execute(select(Staff).where(Staff.source_id == "14001"))).scalar_one()
    assert (craig.sis_username, craig.aad_object_id) == ("CBeane", CRAIG)


async def test_an_unmatched_user_still_gets_the_polite_refusal_and_nothing_is_bound(
        demo_db_url, redis_url, connector, sessions, settings):
    await import_roster(sessions, settings, FIXTURES / "sds_v1_100_users", dry_run=False, all_classes=True)
    connector.members[f"29:{NOBODY}"] = member(NOBODY, "cbeane@elsewhere.example")  # right name, wrong domain
    async with serving(bot_settings(demo_db_url, redis_url, roster_upn_domain="contoso-schools.example"),
                       connector) as bot:
        await bot.post(activity(connector.url, text="show me Ora Klein", aad=NOBODY))
        await bot.post(activity(connector.url, text="hello", aad="11111111-0000-0000-0000-000000000098"))  # 404
    assert texts(connector) == [UNKNOWN_USER, UNKNOWN_USER]
    async with sessions() as session:
        bound = (await session.execute(select(Staff).where(Staff.source_id.is_not(None),
                                                           Staff.aad_object_id.is_not(None)))).scalars().all()
    assert bound == []


async def test_an_admin_sets_a_role_the_files_do_not_carry_and_a_reimport_keeps_it(
        demo_db_url, redis_url, connector, sessions, settings):
    path = FIXTURES / "handmade_oneroster_1_2"
    await import_roster(sessions, settings, path, dry_run=False, all_classes=False)
    connector.members[f"29:{DANA}"] = member(DANA, "dvega@lakeview.example")
    connector.members[f"29:{ROBIN}"] = member(ROBIN, "rmarsh@lakeview.example")
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await bot.post(activity(connector.url, text="set role Robin Marsh nurse", aad=ROBIN))  # a teacher: refused
        await bot.post(activity(connector.url, text="set role Jordan Okafor nurse", aad=DANA))
        await bot.post(activity(connector.url, text="roster status", aad=DANA))
        await bot.post(activity(connector.url, text="help", aad=DANA))
    refusal, done, status, help_text = texts(connector)
    assert "**set role Jordan Okafor nurse**" in help_text and "**roster status**" in help_text
    assert refusal == "Only administrators can use that command."
    assert done == "Jordan Okafor is now a nurse. A roster import will keep this role."
    assert "oneroster-1.2 from handmade\\_oneroster\\_1\\_2" in status  # markdown-escaped file name
    assert "staff: 3 created" in status

    again = await import_roster(sessions, settings, path, dry_run=False, all_classes=False)
    assert again.counts["staff"].updated == 0
    async with sessions() as session:
        jordan = (await session.execute(select(Staff).where(Staff.source_id == "u-t2"))).scalar_one()
        audit = (await session.execute(select(AuditLog).where(AuditLog.action == "staff.role.set"))).scalars().all()
    assert (jordan.role, jordan.role_locked) == (Role.nurse, True)
    assert [(a.subject_id, a.reason) for a in audit] == [(jordan.id, "teacher -> nurse")]


async def test_a_member_record_from_another_tenant_is_never_bound(demo_db_url, redis_url, connector, sessions,
                                                                  settings):
    """The e-mail attribute is whatever a tenant's admin typed: only the school's own tenant links."""
    await import_roster(sessions, settings, FIXTURES / "handmade_oneroster_1_2", dry_run=False, all_classes=False)
    connector.members[f"29:{ROBIN}"] = member(ROBIN, "rmarsh@lakeview.example")
    # a single-tenant bot registration names the school's tenant; the activity comes from TENANT
    elsewhere = bot_settings(demo_db_url, redis_url, microsoft_app_tenant_id="a-different-school-tenant")
    async with serving(elsewhere, connector) as bot:
        await bot.post(activity(connector.url, text="hello", aad=ROBIN))
    async with serving(bot_settings(demo_db_url, redis_url, microsoft_app_tenant_id=TENANT), connector) as bot:
        await bot.post(activity(connector.url, text="hello", aad=ROBIN))
    first, second = texts(connector)
    assert first == UNKNOWN_USER
    assert second != UNKNOWN_USER


async def test_staff_installed_for_by_an_admin_are_linked_by_the_install_event(
        demo_db_url, redis_url, connector, sessions):
    """Faraday installed through Graph for someone who never wrote to it (domain.teams_install names them by UPN):
    Teams' install event in the new 1:1 chat links them by their member record and stores the chat."""
    async with sessions() as session, session.begin():
        await session.execute(update(Staff).where(Staff.email == DEMO.isaiah.email)
                              .values(tenant_id=None, aad_object_id=None))
    connector.members[f"29:{NEW_AAD}"] = member(NEW_AAD, DEMO.isaiah.email)
    async with serving(bot_settings(demo_db_url, redis_url), connector) as bot:
        await bot.post(activity(connector.url, type="installationUpdate", action="add", aad=NEW_AAD,
                                conversation_id="19:installed-by-graph@unq.gbl.spaces"))
    assert texts(connector) == []  # no welcome in a 1:1 chat: the manifest's prompt starters introduce Faraday
    async with sessions() as session:
        isaiah = (await session.execute(select(Staff).where(Staff.email == DEMO.isaiah.email))).scalar_one()
        chats = (await session.execute(select(ConversationReference.conversation_id)
                                       .where(ConversationReference.staff_id == isaiah.id))).scalars().all()
    assert (isaiah.tenant_id, isaiah.aad_object_id) == (TENANT, NEW_AAD)
    assert chats == ["19:installed-by-graph@unq.gbl.spaces"]
