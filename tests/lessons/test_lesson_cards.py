"""The lesson request form and the plan card's actions: Save (idempotent), Regenerate, Adjust duration, reopen."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from agent.offline.lesson_answer import lesson_answer
from bot.actions.lesson import (
    adjust_lesson,
    open_lesson,
    open_lesson_form,
    regenerate_lesson,
    request_lesson,
    save_lesson,
)
from bot.cards.lesson_plan import ADJUST, DURATION_INPUT, REGENERATE, SAVE
from domain.errors import InvalidInput, NotFound
from domain.models import AuditLog, LessonPlan
from tests.support.lessons import Deps
from tools.plan_lesson import plan_lesson

FORM = {"action": "lesson.request", "grade": "5", "topic": "volleyball lead-up games", "duration_minutes": "40",
        "class_size": "24", "equipment": "balloons, beach balls, low nets", "focus": "forearm pass"}


def actions_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["verb"]: a for a in card.get("actions", [])}


def texts(card: dict[str, Any]) -> str:
    return json.dumps(card["body"], ensure_ascii=False)


async def plan_rows(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(LessonPlan)) or 0)


async def a_plan_card(deps: Deps, who: Any) -> dict[str, Any]:
    outcome = await request_lesson(dict(FORM), deps(who))
    assert outcome.cards and SAVE in actions_of(outcome.cards[0]), outcome.text
    return outcome.cards[0]


async def test_the_form_turns_a_valid_request_into_a_plan_card_with_its_actions(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    blank = (await open_lesson_form({}, deps(alex))).cards[0]
    ids = {e.get("id") for e in blank["body"]}
    assert {"grade", "topic", "duration_minutes", "class_size", "equipment", "focus"} <= ids
    card = await a_plan_card(deps, alex)
    acts = actions_of(card)
    assert set(acts) == {SAVE, REGENERATE, ADJUST}
    assert acts[SAVE]["type"] == "Action.Execute" and acts[SAVE]["fallback"]["type"] == "Action.Submit"
    assert acts[SAVE]["data"]["form_key"] and acts[SAVE]["data"]["plan"]["duration_minutes"] == 40
    assert any(e.get("id") == DURATION_INPUT and e["type"] == "Input.Number" for e in card["body"])
    body = texts(card)
    for heading in ("Objectives", "Warm-up", "Skill development", "Game / application", "Cool-down", "Equipment",
                    "Safety notes", "Adaptations", "Exit ticket", "Sources", "24 students", "Focus: forearm pass"):
        assert heading in body, heading
    assert "\\\\[1\\\\]" in body  # cite labels, escaped so they render literally


async def test_invalid_form_input_returns_the_same_form_with_errors_and_saves_nothing(deps: Deps, alex,  # type: ignore[no-untyped-def]
                                                                                      demo_sessions) -> None:
    bad = dict(FORM, grade="", topic="", duration_minutes="500", class_size="2.5")
    outcome = await request_lesson(bad, deps(alex))
    card = outcome.cards[0]
    body = texts(card)
    assert "nothing was saved" in (outcome.text or "")
    assert "Pick a grade." in body and "Required." in body and "From 10 to 120 minutes." in body
    assert "Give a whole number of students." in body
    assert next(e for e in card["body"] if e.get("id") == "equipment")["value"] == FORM["equipment"]  # values kept
    assert next(e for e in card["body"] if e.get("id") == "focus")["value"] == "forearm pass"
    nothing = await request_lesson(dict(FORM, topic="underwater basket weaving"), deps(alex))
    assert "no unit on underwater basket weaving" in texts(nothing.cards[0])
    assert next(e for e in nothing.cards[0]["body"] if e.get("id") == "topic")["value"] == "underwater basket weaving"
    assert await plan_rows(demo_sessions) == 0


async def test_save_is_idempotent_a_double_press_writes_one_row(deps: Deps, alex, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    data = actions_of(await a_plan_card(deps, alex))[SAVE]["data"]
    first = await save_lesson(json.loads(json.dumps(data)), deps(alex))
    second = await save_lesson(json.loads(json.dumps(data)), deps(alex))
    assert "Saved lesson plan #" in (first.text or "")
    assert "already saved" in (second.text or "")
    assert await plan_rows(demo_sessions) == 1
    assert SAVE not in actions_of(first.cards[0])  # the saved card is read-only for Save


async def test_a_tampered_plan_is_refused_on_save(deps: Deps, alex, demo_sessions) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(actions_of(await a_plan_card(deps, alex))[SAVE]["data"]))
    data["plan"]["warm_up"]["minutes"] += 5
    try:
        await save_lesson(data, deps(alex))
        raise AssertionError("a plan whose minutes do not add up was saved")
    except InvalidInput as exc:
        assert "section minutes add up to 45, not 40" in str(exc)
    assert await plan_rows(demo_sessions) == 0


async def test_a_saved_plan_reopens_for_its_author_only_and_refusals_are_audited(deps: Deps, alex, isaiah,  # type: ignore[no-untyped-def]
                                                                                 lessons, demo_sessions) -> None:
    data = actions_of(await a_plan_card(deps, alex))[SAVE]["data"]
    await save_lesson(data, deps(alex))
    async with demo_sessions() as session:
        plan_id = await session.scalar(select(LessonPlan.id))
    mine = await open_lesson({"plan_id": str(plan_id)}, deps(alex))
    assert f"#{plan_id}" in (mine.text or "") and SAVE not in actions_of(mine.cards[0])
    try:
        await lessons.get(isaiah, plan_id, via="test")
        raise AssertionError("another teacher read the plan")
    except NotFound:
        pass
    refused = await _open_as(isaiah, plan_id, deps)
    assert "No saved lesson plan" in (refused.text or "")
    async with demo_sessions() as session:
        denied = (await session.execute(select(AuditLog).where(AuditLog.action == "lesson.read",
                                                               AuditLog.allowed.is_(False)))).scalars().all()
    assert denied and all(r.actor_staff_id == isaiah.staff_id and r.subject_id == plan_id for r in denied)


async def _open_as(who: Any, plan_id: int, deps: Deps) -> Any:
    from bot.actions.outcome import CardOutcome

    try:
        return await open_lesson({"plan_id": str(plan_id)}, deps(who))
    except NotFound as exc:  # what bot.actions.handle does with a DomainError
        return CardOutcome(text=str(exc))


async def test_regenerate_shows_the_next_variation(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    card = await a_plan_card(deps, alex)
    first_plan = actions_of(card)[SAVE]["data"]["plan"]
    again = await regenerate_lesson(actions_of(card)[REGENERATE]["data"], deps(alex))
    new = actions_of(again.cards[0])
    assert new[SAVE]["data"]["plan"]["variation"] == 1 and new[SAVE]["data"]["form_key"] != actions_of(card)[SAVE]["data"]["form_key"]
    assert new[SAVE]["data"]["plan"]["warm_up"] != first_plan["warm_up"]
    third = await regenerate_lesson(new[REGENERATE]["data"], deps(alex))
    repeat = await regenerate_lesson(new[REGENERATE]["data"], deps(alex))
    assert actions_of(third.cards[0])[SAVE]["data"]["plan"] == actions_of(repeat.cards[0])[SAVE]["data"]["plan"]


async def test_adjust_duration_rebalances_the_same_plan(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    card = await a_plan_card(deps, alex)
    data = dict(actions_of(card)[ADJUST]["data"], **{DURATION_INPUT: "60"})
    adjusted = await adjust_lesson(data, deps(alex))
    plan = actions_of(adjusted.cards[0])[SAVE]["data"]["plan"]
    minutes = [plan[n]["minutes"] for n in ("warm_up", "skill_development", "game_or_application", "cool_down")]
    assert sum(minutes) == 60 == plan["duration_minutes"]
    before = actions_of(card)[SAVE]["data"]["plan"]
    assert plan["warm_up"]["activities"] == before["warm_up"]["activities"]  # same content, new timings
    assert minutes[1] > before["skill_development"]["minutes"]
    for wrong in ("5", "abc", "45.5", ""):
        refused = await adjust_lesson(dict(actions_of(card)[ADJUST]["data"], **{DURATION_INPUT: wrong}), deps(alex))
        assert "Give a whole number of minutes from 10 to 120." in texts(refused.cards[0])
        assert actions_of(refused.cards[0])[SAVE]["data"]["plan"]["duration_minutes"] == 40


async def test_the_offline_answer_summarises_the_plan_with_its_cite_labels(deps: Deps, alex) -> None:  # type: ignore[no-untyped-def]
    result = await plan_lesson({"grade": 7, "topic": "Volleyball", "duration_minutes": 45, "equipment": None,
                                "class": None}, deps(alex))
    answer = lesson_answer(result.for_model)
    assert "45-minute grade 7 plan" in answer and "warm-up 7 min [" in answer and "**Save**" in answer
    assert "grades 3-5" in answer
    none = await plan_lesson({"grade": 8, "topic": "ultimate frisbee", "duration_minutes": 45, "equipment": None,
                              "class": None}, deps(alex))
    assert "no unit on ultimate frisbee" in lesson_answer(none.for_model)
    assert lesson_answer({"error": "grade: too big"}).startswith("I couldn't plan that lesson")
