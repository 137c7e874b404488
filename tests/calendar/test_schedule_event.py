"""schedule_event: argument validation, the proposal (attendees, families, conflicts, DST notes), nothing written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.cards.event_form import EventFormState, event_form_card
from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.events import EventProposal, EventService, validate_draft
from domain.models import CalendarEvent
from tests.support.calendar import CHICAGO, NOW, deps_for
from tools.schedule_event import schedule_event


async def _run(args: dict[str, Any], actor: Actor, sessions: Any, events: EventService, now: datetime = NOW):
    return await schedule_event(args, deps_for(actor, sessions, events, now))


def test_the_schema_uses_the_contract_argument_names() -> None:
    spec = schedule_event.openai_spec()
    assert set(spec["function"]["parameters"]["properties"]) == {
        "title", "start", "duration_minutes", "location", "attendees", "class"}


async def test_a_proposal_resolves_staff_and_offers_guardians_unticked(
    local_events: EventService, alex: Actor, demo_sessions: Any
) -> None:
    roster = await deps_for(alex, demo_sessions, local_events).services.students.roster(alex)
    student = roster[0][1]
    result = await _run({"title": "Parent meeting", "start": "2026-11-25T15:30", "duration_minutes": 30,
                         "location": "PE office", "attendees": ["Megan Bowen", f"{student}'s guardians", "Nobody Here"],
                         "class": None}, alex, demo_sessions, local_events)
    assert not result.is_error, result.for_model
    [proposal] = result.display
    assert isinstance(proposal, EventProposal)
    assert proposal.start == datetime(2026, 11, 25, 15, 30, tzinfo=CHICAGO) and proposal.duration_minutes == 30
    names = dict(proposal.choices.staff)
    assert [names[i] for i in proposal.staff_ids] == ["Megan Bowen"]
    assert len(proposal.families) == 1 and proposal.families[0][1].startswith(f"{student}'s guardians (")
    assert any("Nobody Here" in n for n in proposal.notes)
    assert result.for_model["status"] == "proposed" and "Save" in result.for_model["message"]
    card = event_form_card(EventFormState.from_proposal(proposal))
    guardians = next(e for e in card["body"] if e.get("id") == "guardians")
    assert guardians["value"] == "" and "@" not in str(guardians)  # unticked, no addresses
    async with demo_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CalendarEvent)) == 0


async def test_conflicts_are_on_the_proposal_and_its_card(local_events: EventService, alex: Actor, demo_sessions: Any) -> None:
    existing = validate_draft({"title": "Staff meeting", "start": datetime(2026, 11, 25, 15, 0, tzinfo=CHICAGO),
                               "duration_minutes": 60, "time_zone": "America/Chicago"}, NOW)
    await local_events.create(alex, existing, local_events.new_key(), via="test")
    result = await _run({"title": "Parent meeting", "start": "2026-11-25T15:30", "duration_minutes": None,
                         "location": None, "attendees": None, "class": None}, alex, demo_sessions, local_events)
    [proposal] = result.display
    assert [c.title for c in proposal.conflicts] == ["Staff meeting"]
    assert result.for_model["conflicts"][0]["title"] == "Staff meeting"
    card = event_form_card(EventFormState.from_proposal(proposal))
    assert "Conflicts with your calendar" in str(card) and "Staff meeting" in str(card)


async def test_outlook_conflicts_are_on_the_proposal(outlook_events: EventService, microsoft: FakeMicrosoft,
                                                     alex: Actor, demo_sessions: Any) -> None:
    microsoft.add_existing(alex.aad_object_id, "Dentist", datetime(2026, 11, 25, 15, 0, tzinfo=CHICAGO),
                           datetime(2026, 11, 25, 16, 0, tzinfo=CHICAGO))
    result = await _run({"title": "Make-up class", "start": "2026-11-25T15:45", "duration_minutes": 50,
                         "location": "Gym", "attendees": [], "class": None}, alex, demo_sessions, outlook_events)
    [proposal] = result.display
    assert proposal.mode == "outlook" and [c.title for c in proposal.conflicts] == ["Dentist"]
    assert microsoft.graph_requests("POST") == []


async def test_invalid_arguments_come_back_as_sentences_the_model_can_act_on(
    local_events: EventService, alex: Actor, demo_sessions: Any
) -> None:
    base = {"title": "Testing day", "start": "2026-11-25T09:00", "duration_minutes": 60, "location": None,
            "attendees": None, "class": None}
    cases = {
        "past": ({"start": "2026-11-23T09:00"}, "already passed"),
        "short": ({"duration_minutes": 3}, "Between 5 and 480"),
        "long": ({"duration_minutes": 600}, "Between 5 and 480"),
        "bad iso": ({"start": "next Tuesday at 3"}, "ISO 8601"),
        "date only": ({"start": "2026-11-25"}, "time of day"),
        "no title": ({"title": ""}, "title"),
    }
    for name, (change, expected) in cases.items():
        result = await _run(base | change, alex, demo_sessions, local_events)
        assert result.is_error and expected in result.for_model["error"], (name, result.for_model)


async def test_dst_gaps_are_refused_and_repeated_hours_explained(local_events: EventService, alex: Actor,
                                                                  demo_sessions: Any) -> None:
    february = datetime(2026, 2, 20, 9, 0, tzinfo=CHICAGO)
    gap = await _run({"title": "Early run", "start": "2026-03-08T02:30", "duration_minutes": 30, "location": None,
                      "attendees": None, "class": None}, alex, demo_sessions, local_events, february)
    assert gap.is_error and "doesn't exist in America/Chicago" in gap.for_model["error"]
    october = datetime(2026, 10, 20, 9, 0, tzinfo=CHICAGO)
    fold = await _run({"title": "Night hike", "start": "2026-11-01T01:30", "duration_minutes": 60, "location": None,
                       "attendees": None, "class": None}, alex, demo_sessions, local_events, october)
    assert not fold.is_error
    assert any("happens twice" in n for n in fold.for_model["notes"])
