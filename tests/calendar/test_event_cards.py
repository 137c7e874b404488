"""The event form's actions on real Postgres: errors re-render the same card with values kept and messages next to
the fields, a valid form becomes the saved card, a double Save writes one row, Cancel writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.actions.event import cancel_event_form, list_events, open_event_form, remove_event, save_event
from bot.cards.elements import escape
from bot.cards.event_form import EventFormState, event_form_card
from devtools.fakes.graph import FakeMicrosoft
from domain.actor import Actor
from domain.events import EventService
from domain.models import CalendarEvent
from tests.support.calendar import deps_for


def _inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def _save_data(card: dict[str, Any]) -> dict[str, Any]:
    return dict(next(a for a in card["actions"] if a.get("verb") == "event.save")["data"])


async def _count(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(CalendarEvent)))


def _messages_after(card: dict[str, Any], input_id: str) -> str | None:
    """The TextBlock placed right after an input (in whatever container holds it)."""
    def search(items: list[Any]) -> str | None:
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get("id") == input_id:
                following = items[index + 1] if index + 1 < len(items) else None
                return following.get("text") if isinstance(following, dict) and following.get("color") == "Attention" else None
            for child in ("items", "columns"):
                if isinstance(item, dict) and child in item:
                    found = search(item[child])
                    if found:
                        return found
        return None

    return search(card["body"])


async def test_an_invalid_submission_comes_back_with_values_kept_and_messages_by_the_fields(
    local_events: EventService, alex: Actor, demo_sessions: Any
) -> None:
    deps = deps_for(alex, demo_sessions, local_events)
    form = (await open_event_form({"action": "event.form"}, deps)).cards[0]
    assert {"title", "date", "time", "duration", "location", "staff", "class_id", "description"} <= set(_inputs(form))
    submitted = _save_data(form) | {"title": "Testing day <b>*bold*</b>", "date": "2026-11-23", "time": "09:00",
                                    "duration": "900", "location": "Gym", "staff": "", "unknown_field": "x"}
    outcome = await save_event(submitted, deps)
    card = outcome.cards[0]
    assert "nothing was saved" in (outcome.text or "")
    values = {k: v.get("value") for k, v in _inputs(card).items()}
    assert values["title"] == "Testing day <b>*bold*</b>" and values["date"] == "2026-11-23" and values["location"] == "Gym"
    assert _messages_after(card, "title") is None
    assert _messages_after(card, "duration") == escape("Between 5 and 480 minutes.")
    assert _save_data(card)["form_key"] == submitted["form_key"]
    assert await _count(demo_sessions) == 0
    past = await save_event(submitted | {"duration": "60"}, deps)
    assert _messages_after(past.cards[0], "time") == escape("That time has already passed.")
    gap = await save_event(submitted | {"duration": "60", "date": "2027-03-14", "time": "02:15"}, deps)
    assert "doesn't exist" in (_messages_after(gap.cards[0], "time") or "")
    assert await _count(demo_sessions) == 0


async def test_a_valid_submission_becomes_the_saved_card_and_a_double_save_writes_one_row(
    local_events: EventService, alex: Actor, demo_sessions: Any
) -> None:
    deps = deps_for(alex, demo_sessions, local_events)
    form = (await open_event_form({"action": "event.form"}, deps)).cards[0]
    megan = next(i for i, n in (await local_events.choices(alex)).staff if n == "Megan Bowen")
    submitted = _save_data(form) | {"title": "Fitness testing", "date": "2026-11-27", "time": "09:00", "duration": "90",
                                    "location": "Field 2", "staff": str(megan), "class_id": "", "description": ""}
    first = await save_event(submitted, deps)
    second = await save_event(submitted, deps)
    assert first.text == "Saved “Fitness testing”."
    assert second.text == "“Fitness testing” was already saved; nothing new was added."
    saved = first.cards[0]
    assert "Event saved to the Faraday calendar" in str(saved)
    download = next(a for a in saved["actions"] if a["type"] == "Action.OpenUrl")
    assert download["url"].startswith("https://faraday.test/calendar/") and download["url"].endswith(".ics")
    assert await _count(demo_sessions) == 1
    listed = await list_events({"action": "event.list", "span": "week"}, deps)
    assert "Fitness testing" in str(listed.cards[0])
    event_id = next(a for a in saved["actions"] if a.get("verb") == "event.remove")["data"]["event_id"]
    removed = await remove_event({"action": "event.remove", "event_id": event_id}, deps)
    assert removed.text == "Cancelled “Fitness testing”."
    assert "Fitness testing" not in str((await list_events({"span": "week"}, deps)).cards[0])


async def test_cancel_discards_the_form(local_events: EventService, alex: Actor, demo_sessions: Any) -> None:
    outcome = await cancel_event_form({"action": "event.cancel", "form_key": local_events.new_key()},
                                      deps_for(alex, demo_sessions, local_events))
    assert "Nothing was added" in str(outcome.cards[0])
    assert await _count(demo_sessions) == 0


async def test_an_outlook_failure_keeps_the_form_with_the_sentence(
    outlook_events: EventService, microsoft: FakeMicrosoft, alex: Actor, demo_sessions: Any
) -> None:
    deps = deps_for(alex, demo_sessions, outlook_events)
    form = (await open_event_form({}, deps)).cards[0]
    microsoft.fail_next("POST", "/events", 403, code="ErrorAccessDenied")
    data = _save_data(form) | {"title": "Dept meeting", "date": "2026-11-26", "time": "15:00", "duration": "45"}
    outcome = await _handle(data, deps)
    assert "Calendars.ReadWrite" in (outcome.text or "") and await _count(demo_sessions) == 0
    saved = await save_event(data, deps)  # consent granted, the teacher presses Save again
    assert saved.text == "Saved “Dept meeting”." and len(microsoft.events_of(alex.aad_object_id)) == 1


async def _handle(value: dict[str, Any], deps: Any):
    """What ``bot.actions.handle`` does with a DomainError: the sentence, as a reply."""
    from bot.actions.outcome import CardOutcome
    from domain.errors import DomainError

    try:
        return await save_event(value, deps)
    except DomainError as exc:
        return CardOutcome(text=str(exc))


def test_every_card_is_adaptive_card_1_5_and_small(local_events: EventService) -> None:
    from domain.events import EventChoices

    state = EventFormState(key="k" * 32, choices=EventChoices([(i, f"Staff {i}") for i in range(200)],
                                                               [(1, "PE 7 — Period 3")]))
    card = event_form_card(state)
    assert card["version"] == "1.5" and len(str(card)) < 28_000
