"""Which answers get suggested follow-ups (bot.turns.replies.follow_ups), and that each follow-up's text is understood."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.loop import AgentReply
from agent.model import ToolCall
from agent.offline.intents import classify
from bot.turns.replies import PROTOCOL_FOLLOW_UPS, follow_ups
from domain.incidents import IncidentProposal


def _reply(*calls: tuple[str, dict[str, object]]) -> AgentReply:
    return AgentReply(text="…", tool_calls=[ToolCall(id=f"c{i}", name=n, arguments=json.dumps(a))
                                            for i, (n, a) in enumerate(calls)])


def _titles(reply: AgentReply) -> list[str]:
    found = follow_ups(reply)
    return [a.title for a in found.actions] if found is not None else []


def test_a_safety_protocol_answer_offers_both_and_a_proposed_incident_only_the_nurse() -> None:
    assert _titles(_reply(("search_knowledge", {"query": "heat", "kind": "safety"}))) == ["Log incident",
                                                                                        "Notify nurse"]
    reported = _reply(("log_incident", {"student": "Jamie"}), ("search_knowledge", {"query": "ankle", "kind": "safety"}))
    reported.display.append(IncidentProposal(
        key="k", student_id=1, student_name="Jamie Ortiz", occurred_at=datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("UTC")),
        location="gym", activity="basketball", incident_type="injury", severity=None, description="rolled her ankle"))
    assert _titles(reported) == ["Notify nurse"]  # the card is there: no second way to log it


def test_a_report_no_card_could_be_drafted_for_still_offers_log_incident() -> None:
    # "morgan's nose won't stop bleeding": two Morgans, so the tool asked which one and showed no card
    ambiguous = _reply(("log_incident", {"student": "morgan"}),
                       ("search_knowledge", {"query": "nose won't stop bleeding", "kind": "safety"}))
    assert _titles(ambiguous) == ["Log incident", "Notify nurse"]


def test_curriculum_widget_and_calendar_answers_offer_none() -> None:
    assert _titles(_reply(("search_knowledge", {"query": "volleyball cues", "kind": "curriculum"}))) == []
    assert _titles(_reply(("run_widget", {"widget": "equipment_due"}))) == []
    assert _titles(_reply(("read_calendar", {"span": "today"}))) == []
    assert _titles(_reply()) == []


def test_log_incident_opens_the_incident_form() -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    [log, notify] = PROTOCOL_FOLLOW_UPS
    intent = classify(log[1], [], now)
    assert (intent.name, intent.arguments) == ("open_form", {"form": "incident"})
    assert notify[1] == "notify nurse"  # a text command (bot.commands.nurse), tested through the app
