"""Dynamic typeahead (``application/search`` invokes from a ``Data.Query`` student picker) through the app: the
Teams search-response shape, prefix and misspelt names, paging, and never a student outside the caller's roster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.actions.typeahead import SEARCH_RESPONSE
from devtools.fakes.activities import ADELE, ALEX, ISAIAH, STRANGER, TENANT, activity
from devtools.fakes.connector import FakeConnector
from domain.identity import IdentityService
from domain.models import Student
from domain.students import StudentService
from tests.support.app_client import BotClient


def search(connector: FakeConnector, text: str, *, aad: str = ALEX, dataset: str = "students", skip: int = 0,
           top: int = 15) -> dict[str, Any]:
    return activity(connector.url, type="invoke", name="application/search", aad=aad,
                    value={"queryText": text, "queryOptions": {"skip": skip, "top": top}, "dataset": dataset})


async def results(bot: BotClient, invoke: dict[str, Any]) -> list[dict[str, str]]:
    status, body = await bot.post(invoke)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == SEARCH_RESPONSE
    found = body["value"]["results"]
    assert all(set(r) == {"title", "value"} and isinstance(r["title"], str) and r["value"].isdigit() for r in found)
    return found


async def roster_ids(demo_sessions, aad: str) -> set[int]:  # type: ignore[no-untyped-def]
    actor = await IdentityService(demo_sessions).resolve(TENANT, aad)
    assert actor is not None
    return {sid for sid, _, _ in await StudentService(demo_sessions).roster(actor, limit=10_000)}


async def student_id(demo_sessions, first: str, last: str) -> int:  # type: ignore[no-untyped-def]
    async with demo_sessions() as s:
        query = select(Student.id).where(Student.first_name == first, Student.last_name == last)
        return (await s.execute(query)).scalar_one()


async def test_a_typed_prefix_lists_matching_students_in_the_callers_classes(bot: BotClient, connector: FakeConnector,
                                                                             demo_sessions) -> None:
    found = await results(bot, search(connector, "Jam"))
    titles = [r["title"] for r in found]
    assert "Jamie Ortiz (grade 6)" in titles and "Jamie Chen (grade 7)" in titles
    assert all(t.lower().startswith("jam") or " jam" in t.lower() for t in titles)
    ortiz = await student_id(demo_sessions, "Jamie", "Ortiz")
    assert {"title": "Jamie Ortiz (grade 6)", "value": str(ortiz)} in found
    assert {int(r["value"]) for r in found} <= await roster_ids(demo_sessions, ALEX)


async def test_misspelt_and_preferred_names_match(bot: BotClient, connector: FakeConnector) -> None:
    assert (await results(bot, search(connector, "Jamei Ortiz")))[0]["title"] == "Jamie Ortiz (grade 6)"
    assert any(r["title"].startswith("Kate Brooks") for r in await results(bot, search(connector, "kate bro")))
    assert any(r["title"].startswith("Zoë Müller") for r in await results(bot, search(connector, "zoe mu")))


async def test_students_outside_the_roster_are_never_returned(bot: BotClient, connector: FakeConnector,
                                                              demo_sessions) -> None:
    riley = await student_id(demo_sessions, "Riley", "Novak")
    assert riley not in await roster_ids(demo_sessions, ALEX)
    for query in ("Riley", "Riley Novak", "Novak", "Rilee Novak", str(riley)):
        assert all(r["value"] != str(riley) for r in await results(bot, search(connector, query))), query
    # Isaiah teaches Riley; the nurse sees the whole school: both get her.
    assert str(riley) in {r["value"] for r in await results(bot, search(connector, "Riley", aad=ISAIAH))}
    assert str(riley) in {r["value"] for r in await results(bot, search(connector, "Riley Novak", aad=ADELE))}


async def test_paging_walks_the_whole_roster_and_nothing_else(bot: BotClient, connector: FakeConnector,
                                                              demo_sessions) -> None:
    seen: list[str] = []
    skip = 0
    while True:
        page = await results(bot, search(connector, "", skip=skip, top=50))  # top is capped at 15
        assert len(page) <= 15
        if not page:
            break
        seen += [r["value"] for r in page]
        skip += len(page)
    assert len(seen) == len(set(seen))
    assert {int(v) for v in seen} == await roster_ids(demo_sessions, ALEX)


async def test_unknown_callers_datasets_and_junk_get_no_results(bot: BotClient, connector: FakeConnector) -> None:
    assert await results(bot, search(connector, "Jamie", aad=STRANGER)) == []
    assert await results(bot, search(connector, "Jamie", dataset="staff")) == []
    junk = activity(connector.url, type="invoke", name="application/search",
                    value={"queryText": {"$ne": 1}, "queryOptions": "all", "dataset": "students"})
    assert len(await results(bot, junk)) <= 15
    status, body = await bot.post(activity(connector.url, type="invoke", name="application/search", value=None))
    assert status == 200 and body["value"]["results"] == []
