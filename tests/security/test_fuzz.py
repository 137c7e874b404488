"""Bad input everywhere: hypothesis-generated activity payloads and card submissions against the running app.
No 500, no domain write, and the process keeps serving. Examples are bounded so the suite stays fast."""

from __future__ import annotations

from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.actions import ACTIONS
from devtools.fakes.activities import ALEX, MEGAN, activity
from devtools.fakes.connector import FakeConnector
from domain.models import Base
from tests.support.app_client import BotClient
from tests.support.security import MODULE, sessions_for

pytestmark = MODULE
FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OK = {200, 201, 400, 401, 403, 413, 415, 501}  # 501: an invoke name botbuilder does not implement

scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["type", "id", "channelId", "serviceUrl", "from", "recipient", "conversation", "channelData", "text", "value",
          "entities", "attachments", "name", "replyToId", "locale", "timestamp", "membersAdded", "action"]


# Rows any turn may legitimately add (the audit trail of a refusal, the conversation reference and memory of a
# message); every other table is one a card or a command could write, and must not change under bad input.
WRITTEN_BY_ANY_TURN = frozenset({"audit_log", "conversation_references", "conversation_turns"})


async def domain_rows(url: str) -> dict[str, int]:
    """Row counts of every table a card or command can write."""
    engine, sessions = await sessions_for(url)
    try:
        async with sessions() as s:
            return {table.name: int((await s.execute(select(func.count()).select_from(table))).scalar_one())
                    for table in Base.metadata.sorted_tables if table.name not in WRITTEN_BY_ANY_TURN}
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="module", autouse=True)
async def baseline(app_client: BotClient, module_db: str) -> dict[str, int]:
    """Row counts before any fuzzing: autouse, so it is taken before the module's first test whatever ``-k`` selects
    (taken lazily, a selection without the first test would compare the database with itself)."""
    return await domain_rows(module_db)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8) | json_values)
async def test_random_payloads_never_cause_a_500(app_client: BotClient, body: Any) -> None:
    status, _ = await app_client.post(body)
    assert status in OK, status


@FUZZ
@given(field=st.sampled_from(FIELDS), junk=json_values,
       kind=st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "x"]))
async def test_a_valid_activity_with_one_field_mangled_never_causes_a_500(
    app_client: BotClient, fake_connector: FakeConnector, field: str, junk: Any, kind: str
) -> None:
    body = activity(fake_connector.url, type=kind, text="help", conversation_type="groupChat")
    body[field] = junk
    status, _ = await app_client.post(body)
    assert status in OK, (field, status)


card_values = st.fixed_dictionaries(
    {"action": st.sampled_from([*sorted(ACTIONS), "privacy.delete_student", "nope"])},
    optional={k: json_values for k in ("key", "student_id", "student_number", "query", "date", "time", "severity",
                                       "incident_type", "description", "location", "activity", "event_id", "title")},
)


@FUZZ
@given(value=card_values, invoke=st.booleans(), admin=st.booleans())
async def test_card_submissions_with_bad_data_never_cause_a_500_or_a_write(
    app_client: BotClient, fake_connector: FakeConnector, module_db: str, value: dict[str, Any], invoke: bool,
    admin: bool,
) -> None:
    aad = MEGAN if admin else ALEX
    if invoke:
        body = activity(fake_connector.url, type="invoke", name="adaptiveCard/action", aad=aad,
                        conversation_type="groupChat",
                        value={"action": {"type": "Action.Execute", "verb": value["action"], "data": value}})
    else:
        body = activity(fake_connector.url, value=value, aad=aad, conversation_type="groupChat")
    status, _ = await app_client.post(body)
    assert status in OK, status


async def test_after_the_fuzzing_nothing_was_written_and_the_process_still_serves(
    app_client: BotClient, module_db: str, baseline: dict[str, int]
) -> None:
    after = await domain_rows(module_db)
    assert {"incidents", "students", "calendar_events", "lesson_plans", "knowledge_uploads"} <= after.keys()
    assert after == baseline, {t: (baseline[t], n) for t, n in after.items() if n != baseline[t]}
    status, body = await app_client.get("/healthz")
    assert status == 200 and body["status"] == "ok"
