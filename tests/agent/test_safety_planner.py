"""The offline planner puts safety first and runs both tools of a two-request message (issue #19), with Alex Wilber's
real demo roster and the shipped MiniLM."""

from __future__ import annotations

from typing import Any

import pytest

from agent.model import PlanningContext
from agent.offline.intents import plan
from agent.offline.planner import MAX_EMBEDDINGS, _plan
from agent.offline.situations import NeedsVector, Vectors, possible
from devtools.fakes.activities import ALEX, TENANT
from domain.identity import IdentityService
from domain.students import StudentService
from tests.agent.test_offline_planner_accuracy import NOW


@pytest.fixture
async def roster(demo_sessions: Any) -> Any:
    actor = await IdentityService(demo_sessions).resolve(TENANT, ALEX)
    assert actor is not None
    return await StudentService(demo_sessions).parsing_names(actor)


def _calls(text: str, roster: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(i.name, i.arguments) for i in plan(text, roster, NOW)]


async def test_a_named_students_emergency_gets_the_incident_and_the_protocol_search_without_the_name(roster) -> None:
    [(first, incident), (second, search)] = _calls("kate brooks just collapsed and isnt breathing", roster)
    assert (first, second) == ("log_incident", "search_knowledge")
    assert incident["student"].lower() == "kate brooks"
    assert search["kind"] == "safety" and search["situation"] is True
    assert "kate" not in search["query"].lower() and "breathing" in search["query"]


async def test_a_situation_without_a_student_is_a_protocol_search_not_a_question_back(roster) -> None:
    assert _calls("a girl fell off the climbing wall and says her back hurts and her legs feel numb", roster) == [
        ("search_knowledge", {"query": "a girl fell off the climbing wall and says her back hurts and her legs feel numb",
                              "kind": "safety", "situation": True})]


async def test_behaviour_gets_the_report_only_and_small_talk_stays_small_talk(roster) -> None:
    assert [n for n, _ in _calls("zoe swore at me and chucked a ball at another kid", roster)] == ["log_incident"]
    assert [n for n, _ in _calls("hi faraday", roster)] == ["greeting"]
    assert [n for n, _ in _calls("who won the cowboys game last night", roster)] == ["out_of_scope"]


async def test_two_requests_in_one_message_plan_both_tools(roster) -> None:
    calls = _calls("show me eli navarro and run attendance for period 3", roster)
    assert [n for n, _ in calls] == ["lookup_student", "run_widget"]
    assert calls[1][1]["widget"] == "attendance" and calls[1][1]["class"] == "period 3"
    calls = _calls("make 4 teams for PE 7 and check if any equipment is overdue", roster)
    assert [(n, a["widget"]) for n, a in calls] == [("run_widget", "teams"), ("run_widget", "equipment")]


async def test_an_event_with_a_range_and_a_place(roster) -> None:
    [(name, args)] = _calls("reserve the weight room for lifting club thursday from 3 to 5", roster)
    assert name == "schedule_event"
    assert args["start"].startswith("2026-11-26T15:00") and args["duration_minutes"] == 120
    assert args["location"] == "Weight Room"


async def test_a_lesson_without_the_word_lesson(roster) -> None:
    [(name, args)] = _calls("9th grade weight training intro, 60 minutes", roster)
    assert (name, args["grade"], args["duration_minutes"]) == ("plan_lesson", 9, 60)
    assert "weight training" in args["topic"].lower()


async def test_asking_whether_to_write_it_up_is_the_reporting_protocol_and_saying_so_is_the_form(roster) -> None:
    for text in ("do i have to write this up? kid bumped heads in dodgeball, hes fine",
                 "small scrap in the locker room, one boy has a grazed elbow, does that need a proper write-up or "
                 "just the first aid book?"):  # a book to write in, not one to book
        [(name, args)] = _calls(text, roster)
        assert (name, args["kind"]) == ("search_knowledge", "safety"), text
    [(name, args)] = _calls("a kid tripped on the mat and scraped his knee, need to write it up", roster)
    assert (name, args) == ("open_form", {"form": "incident"})


async def test_attendance_problems_are_the_attendance_widget_and_attendance_for_a_period_is_the_roll(roster) -> None:
    for text, period in (("attendance problems in period 2?", "period 2"),
                         ("any attendance issues in 3rd period", "period 3")):
        [(name, args)] = _calls(text, roster)
        assert (name, args["widget"], args["class"]) == ("run_widget", "attendance", period), text
    [(name, _)] = _calls("attendance period 1", roster)
    assert name == "take_attendance"


async def test_skipping_the_locomotor_skill_is_a_lesson_and_skipping_class_is_attendance(roster) -> None:
    [(name, args)] = _calls("grade 2 hopping, skipping and galloping stations, 30 minutes", roster)
    assert (name, args["grade"], args["duration_minutes"]) == ("plan_lesson", 2, 30)
    [(name, args)] = _calls("which kids are skipping class in period 3", roster)
    assert (name, args["widget"]) == ("run_widget", "attendance")


@pytest.mark.parametrize("text", ["show me Jamie Ortiz", "pull up Kate Brooks's emergency contact",
                                  "attendance for PE 8 this month", "make 4 balanced teams for PE 7",
                                  "plan a 45 minute volleyball lesson for grade 7",
                                  "schedule a parent meeting next Tuesday at 3:30pm"])
async def test_requests_plan_without_asking_the_encoder(roster, text: str) -> None:
    """Lazy embedding: a deferring vector source raises NeedsVector the moment a rule asks about a situation."""
    intents = plan(text, roster, NOW, Vectors(defer=True))
    assert intents[0].name in {"lookup_student", "run_widget", "plan_lesson", "schedule_event"}


@pytest.mark.parametrize("text", ["kate brooks just collapsed and isnt breathing", "the field is flooding",
                                  "a kid is down on the court", "what's the lightning rule"])
async def test_what_may_be_a_situation_asks_the_encoder(roster, text: str) -> None:
    with pytest.raises(NeedsVector):
        plan(text, roster, NOW, Vectors(defer=True))


async def test_a_message_that_asks_about_many_texts_never_embeds_on_the_event_loop(roster, monkeypatch) -> None:
    """A long report split at each "and" asks about more texts than _plan embeds one by one: the rest are embedded
    on the encoder's thread, never on the event loop's."""
    import threading

    from knowledge import situations

    text = ("year 8 girls football, a student has gone pale and shaky and is snapping at everyone and says she feels "
            "sick and her hands are sweaty and she wants to sit down")
    asked: list[str] = []
    on_loop: list[str] = []
    real = situations.embed

    def embed(piece: str) -> Any:
        (on_loop if threading.current_thread() is threading.main_thread() else asked).append(piece)
        return real(piece)

    monkeypatch.setattr(situations, "embed", embed)
    ctx = PlanningContext(actor=None, now=NOW, roster=None)  # type: ignore[arg-type]
    intents = await _plan(text, roster, ctx)
    assert intents[0].name == "search_knowledge"
    assert asked, f"the message should ask about more than {MAX_EMBEDDINGS} texts"
    assert not on_loop


def test_the_lexical_pre_filter_lets_through_any_word_it_does_not_know() -> None:
    assert not possible("show me the attendance for period 3 this week")
    assert possible("someone is down")
    assert possible("call 911")
    assert possible("there's an emergency in period 3")


async def test_safety_vocabulary_no_rule_understood_gets_the_protocol_search_not_a_shrug_or_a_refusal(roster) -> None:
    # the glossary's medical and safety phrases ("degrees", "sticky", "knife") send what no rule understood to the
    # protocol search, and an out-of-scope word ("parking") does not swallow a report of a weapon
    for text in ("its 99 degrees and sticky, do i keep them in",
                 "someone with a knife was seen by the parking lot and we're doing the mile outside"):
        [(name, args)] = _calls(text, roster)
        assert name == "search_knowledge" and args["kind"] == "safety", text
    for text in ("what's for lunch in the cafeteria today", "write an email to my principal asking for a personal day",
                 "make it 45 min instead"):
        assert _calls(text, roster)[0][0] in ("out_of_scope", "unknown", "clarify"), text


async def test_a_child_in_trouble_during_a_fitness_test_is_the_protocol_not_a_result_to_record(roster) -> None:
    [(name, args)] = _calls("a boy in period 2 is wheezing and cant stop coughing after the pacer test", roster)
    assert name == "search_knowledge" and args["kind"] == "safety" and args["situation"] is True


async def test_whether_a_lesson_can_go_ahead_in_this_weather_is_the_protocol_not_a_lesson_plan(roster) -> None:
    [(name, args)] = _calls("the heat index is 104, can i still do my outdoor lesson?", roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")
    [(name, _)] = _calls("plan an outdoor lesson for grade 7 on a hot day, 40 minutes", roster)
    assert name == "plan_lesson"


@pytest.mark.parametrize("text", [
    "wildfire smoke is bad today, the app says 160. can i still run the pacer test with 7th grade?",  # not results
    "heat index is 103, I have 6th grade outside for 45 minutes doing sprints. is it still ok?",  # not a lesson
    "it's -10 with the wind chill and grade 3 is scheduled outside at 9:30, we can go out?",  # not an event
])
async def test_whether_to_go_on_in_a_hazard_is_the_protocol_not_the_results_or_an_event(roster, text: str) -> None:
    [(name, args)] = _calls(text, roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")


async def test_whether_to_go_on_without_a_hazard_or_for_a_named_student_is_not_the_go_on_rules(roster) -> None:
    [(name, _)] = _calls("is it ok to run the pacer test with period 3 today?", roster)  # no hazard: the results
    assert name == "run_widget"
    # a named student's: the student branch reads it, and the protocol search goes without the name
    [(name, args)] = _calls("eli navarro got hit in the head with a ball, is it ok to let him keep playing?", roster)
    assert name == "search_knowledge" and "eli" not in args["query"].lower()


async def test_someone_unnamed_hurt_goes_to_the_protocol_not_a_which_student_question(roster) -> None:
    [(name, args)] = _calls("runner dropped in the mile, not answering", roster)  # "mile" alone would be a widget
    assert (name, args["kind"], args.get("situation")) == ("search_knowledge", "safety", True)


async def test_a_question_about_students_no_rule_understands_asks_the_documents(roster) -> None:
    [(name, args)] = _calls("a hurricane warning for this afternoon, do we still have outdoor pe", roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")
    assert _calls("is it going to rain?", roster)[0][0] != "search_knowledge"  # nobody's safety asked about


async def test_a_safety_question_that_names_a_widget_word_is_the_protocol_not_the_widget(roster) -> None:
    text = ("my student teacher says a girl in period 2 uses her inhaler before the fitness test, how long before the "
            "run should she take it?")  # "fitness test" is a widget's word; nothing asks to see results
    [(name, args)] = _calls(text, roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")
    [(name, args)] = _calls("any kids at risk of chronic absenteeism", roster)  # asked for: the widget
    assert (name, args["widget"]) == ("run_widget", "attendance")


async def test_a_whole_message_that_reads_as_a_safety_topic_gets_the_protocol_search_not_i_cant(roster) -> None:
    text = "softball caught maya right on the cheekbone, she swears shes good but her eyes look kind of far away, " \
           "coach wants her back in"  # no rule understands it, and it is not near any one situation example
    [(name, args)] = _calls(text, roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")
    for text in ("make it 45 min instead", "is it going to rain?"):
        assert _calls(text, roster)[0][0] in ("unknown", "out_of_scope"), text


@pytest.mark.parametrize("text", ["think a few of my 4th graders have lice", "the coach bus got a flat tire on the interstate"])
async def test_a_safety_topic_no_rule_understood_reads_as_one_from_the_example_bank(roster, text: str) -> None:
    # Neither reads as one of the situation examples (nearest below the loose floor, or nearer an ordinary request);
    # both are near the example bank's topics (head lice, bus accidents), whose protocol answer says what is covered.
    from knowledge import situations

    vector = situations.embed(text)
    positive, negative = situations.nearest(vector)
    assert positive < situations.LOOSE_SIMILARITY or positive < negative
    [(name, args)] = _calls(text, roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")
    assert _calls("yo faraday whats up", roster)[0][0] != "search_knowledge"


async def test_a_named_students_emergency_asked_as_a_question_is_the_protocol_not_a_look_up(roster) -> None:
    [(name, args)] = _calls("eli navarros nose is pouring blood, do i tip his head back?", roster)
    assert (name, args["kind"], args.get("situation")) == ("search_knowledge", "safety", True)
    assert "navarro" not in args["query"].lower() and "blood" in args["query"]
    for text in ("does eli navarro have asthma", "is kate brooks allergic to anything?", "what period is eli navarro in?"):
        assert [n for n, _ in _calls(text, roster)] == ["lookup_student"], text


async def test_a_child_in_trouble_asking_what_to_do_is_the_protocol_even_when_it_reads_like_a_result(roster) -> None:
    # "the mile" and "2 words" read as a fitness result for Eli; asking what to do first makes it the protocol
    text = "eli navarro is wheezing real bad after the mile, cant get more than 2 words out, what do i do first"
    [(name, args)] = _calls(text, roster)
    assert (name, args["kind"], args.get("situation")) == ("search_knowledge", "safety", True)


async def test_can_i_still_run_my_lesson_in_this_weather_needs_no_question_mark(roster) -> None:
    [(name, args)] = _calls("the wbgt meter says 91 on the field, can i still run my outdoor lesson", roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")


async def test_a_game_or_a_drill_named_in_a_safety_question_does_not_make_it_a_curriculum_question(roster) -> None:
    for text in ("heard thunder in the distance but the sky is clear, can we finish the game first?",
                 "a parent sent cough syrup in his bag for after the game, can i give it to him"):
        [(name, args)] = _calls(text, roster)
        assert (name, args["kind"]) == ("search_knowledge", "safety"), text
    [(name, args)] = _calls("what are the teaching cues for the overhand throw drills", roster)
    assert (name, args["kind"]) == ("search_knowledge", "curriculum")


async def test_a_reported_health_matter_no_rule_names_still_gets_the_protocol_beside_the_report(roster) -> None:
    # no incident type and no glossary word ("sensor", "ketones"), but it reads like a health matter: the protocol too
    calls = _calls("kates sensor reads 280 and she has ketones and feels rough", roster)
    assert [n for n, _ in calls] == ["log_incident", "search_knowledge"]
    assert calls[1][1]["kind"] == "safety"
    assert [n for n, _ in _calls("zoe swore at me and chucked a ball at another kid", roster)] == ["log_incident"]


async def test_a_named_students_emergency_is_read_with_someone_in_the_names_place(roster) -> None:
    # without the name "nose just started gushing …" reads like no one's situation; with "a student's" it does
    [(name, args)] = _calls("kates nose just started gushing in the middle of stretches, nobody hit her. "
                            "pinch it or tip her head back??", roster)
    assert (name, args["kind"], args.get("situation")) == ("search_knowledge", "safety", True)
    assert "kate" not in args["query"].lower()


async def test_equipment_that_is_a_hazard_now_gets_the_check_and_the_protocol(roster) -> None:
    calls = _calls("the basketball hoop is wobbling and one bolt is loose, kids are playing under it", roster)
    assert [n for n, _ in calls] == ["check_equipment", "search_knowledge"]
    assert calls[1][1]["kind"] == "safety"
    for check in ("checked the basketballs, all fine", "the PACER speaker is broken"):
        assert [n for n, _ in _calls(check, roster)] == ["check_equipment"], check


async def test_cleared_to_play_after_an_injury_gets_the_notes_and_the_return_to_play_steps(roster) -> None:
    for text in ("kate had a concussion two weeks ago and her doctor cleared her, can she play in the game today",
                 "when can kate start pe again, she had a concussion last week"):
        calls = _calls(text, roster)
        assert [n for n, _ in calls] == ["lookup_student", "search_knowledge"], text
        assert calls[0][1]["details"] == ["medical"] and "kate" not in calls[1][1]["query"].lower()
    for text in ("is kate brooks cleared for full activity", "does kate brooks have asthma"):
        assert [n for n, _ in _calls(text, roster)] == ["lookup_student"], text


async def test_a_hazard_in_the_middle_of_a_lesson_is_the_protocol_and_a_lesson_asked_for_is_still_a_lesson(roster) -> None:
    for text in ("the fire alarm just went off in the middle of my swim lesson",
                 "a girl in the swim lesson swallowed a lot of water and keeps coughing, does she need to see the nurse"):
        [(name, args)] = _calls(text, roster)
        assert (name, args["kind"], args["situation"]) == ("search_knowledge", "safety", True), text
    assert [n for n, _ in _calls("I need a 40 minute swim lesson for grade 5", roster)] == ["plan_lesson"]


async def test_asking_whether_to_go_on_in_a_hazard_at_a_time_range_is_the_protocol_not_an_event(roster) -> None:
    [(name, args)] = _calls("we just heard thunder and my class is out on the field from 1 to 2, can we keep going?", roster)
    assert (name, args["situation"]) == ("search_knowledge", True)
    assert [n for n, _ in _calls("track meet on the front field friday from 9 till 1", roster)] == ["schedule_event"]


async def test_a_question_about_a_named_child_who_may_be_in_trouble_is_the_protocol_not_a_look_up(roster) -> None:
    [(name, args)] = _calls("eli is having one of his fits on the tumbling mat its been going a few minutes should i be calling someone", roster)
    assert (name, args["kind"]) == ("search_knowledge", "safety")


async def test_out_at_a_place_is_where_a_child_is_not_an_absence(roster) -> None:
    calls = _calls("kate was out at recess in the snow with no gloves and now her fingers are white and numb", roster)
    assert [n for n, _ in calls] == ["log_incident", "search_knowledge"]  # her report and the protocol, no mark
    for text in ("kate brooks was out today", "kate brooks was out in 3rd period"):
        [(name, args)] = _calls(text, roster)
        assert name == "take_attendance" and args["marks"][0]["status"] == "absent", text


async def test_a_named_students_report_is_read_for_a_situation_with_someone_in_the_names_place(roster) -> None:
    # with her name the scene-setting reads like no one's situation; with "a student" the protocol goes beside the report
    calls = _calls("Year 11 girls' football, Kate (type 1) has gone pale and shaky and is snapping at everyone, "
                   "her CGM's buzzing away", roster)
    assert [n for n, _ in calls] == ["log_incident", "search_knowledge"]
    assert "kate" not in calls[1][1]["query"].lower()
