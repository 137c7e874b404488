"""Drafting and translation by the model, against the scripted OpenAI-compatible server (the real SDK): the model gets
the record's facts only (no guardian name or address), its draft is used when it passes the checks, and a failing
API or a draft without the greeting marker falls back to the fixed template with a note."""

from __future__ import annotations

import json
from typing import Any

from devtools.fakes.openai_server import ScriptedOpenAI, error, say
from domain.actor import Actor
from domain.messages_home.service import MessageRequest
from domain.messages_home.writers import OpenAIMessageWriter
from tests.support.messages_home import (
    NOW,
    guardians,
    record_incident,
    service,
    set_guardian,
    student_id,
    two_guardians,
)

ELI = "S109005"


def _writer(server: ScriptedOpenAI) -> OpenAIMessageWriter:
    return OpenAIMessageWriter(api_key="test-key", model="gpt-test", base_url=server.base_url, timeout_s=5,
                               max_retries=0)


def _model_draft(**overrides: Any) -> str:
    texts = [
        {"language": "en", "subject": "About Eli's wrist",
         "body": "Dear {guardian},\n\nEli hurt his wrist in PE today.\n{health}\nAlex Wilber", "health":
         "He fell during a layup; we iced it."},
        {"language": "vi", "subject": "Về cổ tay của Eli",
         "body": "Kính gửi {guardian},\n\nHôm nay Eli bị đau cổ tay trong giờ thể dục.\n{health}\nAlex Wilber",
         "health": "Em bị ngã khi lên rổ; chúng tôi đã chườm đá."},
    ]
    for text in texts:
        text.update(overrides)
    return json.dumps({"texts": texts})


async def _eli_reading_vietnamese(sessions: Any, alex: Actor) -> int:
    eli = await student_id(sessions, ELI)
    uno, two = await two_guardians(sessions, eli)
    await set_guardian(sessions, uno.id, preferred_language="vi")
    await set_guardian(sessions, two.id, preferred_language="en")
    await record_incident(sessions, alex, eli)
    return eli


async def test_the_model_drafts_and_translates_from_the_records_facts_only(
        demo_sessions, alex, model_server) -> None:
    eli = await _eli_reading_vietnamese(demo_sessions, alex)
    model_server.script.append(say(_model_draft()))
    messages = service(demo_sessions, writer=_writer(model_server))
    draft = await messages.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.writer == "openai" and [t.language for t in draft.texts] == ["en", "vi"]
    vietnamese = draft.texts[1]
    assert vietnamese.translated and vietnamese.subject == "Về cổ tay của Eli"
    assert "chườm đá" not in vietnamese.compose(False) and "chườm đá" in vietnamese.compose(True)
    sent = json.dumps(model_server.received[0], ensure_ascii=False)
    assert "Fell on his left wrist during a basketball layup" in sent  # the record's facts, labelled as health
    for guardian in await guardians(demo_sessions, eli):
        assert guardian.name not in sent and str(guardian.email) not in sent
    assert model_server.received[0]["response_format"]["type"] == "json_schema"
    await messages.close()


async def test_a_draft_without_the_greeting_marker_falls_back_to_the_template(demo_sessions, alex, model_server) -> None:
    eli = await _eli_reading_vietnamese(demo_sessions, alex)
    model_server.script.append(say(_model_draft(body="Hello,\n\nEli hurt his wrist.\n{health}")))
    messages = service(demo_sessions, writer=_writer(model_server))
    draft = await messages.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.writer == "template" and draft.notes[0].startswith("The AI draft was not used")
    assert any("Vietnamese needs the AI model" in n for n in draft.notes)
    assert not draft.texts[1].translated
    await messages.close()


async def test_a_failing_model_falls_back_to_the_template(demo_sessions, alex, model_server) -> None:
    eli = await _eli_reading_vietnamese(demo_sessions, alex)
    model_server.script.append(error(500))
    messages = service(demo_sessions, writer=_writer(model_server))
    draft = await messages.draft(alex, MessageRequest("incident", eli), NOW, via="test")
    assert draft.writer == "template" and draft.texts[0].body.startswith("Dear {guardian},")
    await messages.close()
