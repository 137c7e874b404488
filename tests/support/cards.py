"""Every card Faraday sends, built from typed samples (shared by the card schema, activity JSON and connector tests)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.alert import alert_card, reporter_card
from bot.cards.attendance_form import AttendanceFormState, attendance_form_card
from bot.cards.emergency import emergency_card
from bot.cards.equipment_check import CheckFormState, equipment_check_card
from bot.cards.event_form import EventFormState, event_form_card
from bot.cards.event_saved import event_list_card, event_saved_card
from bot.cards.export_ready import export_confirm_card
from bot.cards.fitness_form import FitnessFormState, fitness_form_card, fitness_saved_card
from bot.cards.forms_menu import forms_menu_card
from bot.cards.incident_form import IncidentFormState, incident_form_card
from bot.cards.incident_saved import incident_saved_card
from bot.cards.lesson_form import LessonFormState, lesson_form_card
from bot.cards.lesson_plan import lesson_plan_card, lesson_saved_card
from bot.cards.message_home import confirm_card, message_draft_card, sent_card
from bot.cards.skills_form import SkillFormState, skills_form_card
from bot.cards.student_choice import student_choice_card
from bot.cards.student_incidents import student_incidents_card
from bot.cards.student_profile import student_profile_card
from bot.cards.widgets import widget_card
from bot.commands.knowledge_upload import preview_card
from domain.alerts.types import AlertView
from domain.calendar.backend import Busy
from domain.calendar.records import EventChoices, EventProposal, SavedEvent
from domain.emergencies.types import ClassCard, ClassTally, Header, MissingStudent, RollUp, RosterStudent, TeacherView
from domain.exports import ExportPending
from domain.incidents import IncidentProposal, IncidentSummary, SavedIncident
from domain.lessons import (
    LessonPlanDraft,
    LessonPlanResult,
    LessonRequest,
    NoteSection,
    Objective,
    Source,
    TimedSection,
)
from domain.messages_home.service import Link, MessageDraft, SendOutcome
from domain.messages_home.texts import MessageText
from domain.models import Severity
from domain.records.attendance import AttendanceSheet, SheetLine
from domain.records.equipment import CheckSheet
from domain.records.fitness import FitnessSheet, SavedFitness
from domain.records.skills import SkillSheet
from domain.students import EmergencyContact, StudentLookup, StudentProfile, StudentSummary
from domain.widgets import ChartData, Metric, Period, Series, TableData, WidgetResult
from knowledge.parsed import ParsedFile, Section
from knowledge.uploads import UploadPreview

TZ = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=TZ)
TRICKY = "*Bold* [x](https://evil.example) <b>html</b> & “quotes”"


def _student(i: int, name: str = "Jamie Ortiz") -> StudentSummary:
    return StudentSummary(id=i, display_name=name, grade=6, student_number=f"S10900{i}", classes=("PE 6 — Period 1",))


def _profile(*, restricted: bool) -> StudentProfile:
    return StudentProfile(
        summary=_student(1, TRICKY),
        medical_flags=("Asthma — inhaler in bag",),
        adaptations=("Extra rest breaks",),
        emergency_contact=EmergencyContact("Maria Ortiz", "mother", "+1 555 0100"),
        date_of_birth=date(2014, 3, 2) if restricted else None,
        address="1 Lake Rd" if restricted else None,
        health_notes=("Seen by nurse 2026-10-02",) if restricted else None,
    )


def _roster(n: int) -> list[tuple[int, str, int]]:
    return [(i, f"Student {i:04d}", 6 + i % 3) for i in range(1, n + 1)]


def _proposal() -> IncidentProposal:
    return IncidentProposal(key="k-1", student_id=1, student_name="Jamie Ortiz", occurred_at=NOW,
                            location="Main Gym", activity="Basketball", incident_type="injury",
                            severity=Severity.minor, description=f"Rolled her ankle. {TRICKY}",
                            injuries="Left ankle", action_taken="Ice applied")


def _plan() -> LessonPlanResult:
    def timed(minutes: int, what: str) -> TimedSection:
        return TimedSection(minutes=minutes, activities=[what, f"{what}, part 2"], cites=[1])

    def notes(what: str) -> NoteSection:
        return NoteSection(items=[what], cites=[2])

    draft = LessonPlanDraft(
        title="Volleyball: forearm pass", grade=7, topic="volleyball forearm pass", duration_minutes=40,
        objectives=[Objective(text="Pass to a target with a stable platform", cites=[1])],
        warm_up=timed(5, "Dynamic stretches"), skill_development=timed(15, "Partner passing"),
        game_or_application=timed(15, "Three-touch game"), cool_down=timed(5, "Static stretches"),
        equipment=notes("12 volleyballs"), safety_notes=notes("Clear the court"), adaptations=notes("Lighter ball"),
        assessment=notes(f"Exit ticket {TRICKY}"),
        citations=[Source(label=1, chunk_id="c1", title="Grade 7 curriculum", section="Striking", snippet="..."),
                   Source(label=2, chunk_id="c2", title="Safety guide", section="Gym", snippet="...")],
    )
    return LessonPlanResult(key="lesson-k", plan=draft, request=LessonRequest(grade=7, topic="volleyball forearm pass",
                                                                              duration_minutes=40))


def _event_state(**extra: Any) -> EventFormState:
    choices = EventChoices(staff=[(2, "Megan Bowen"), (3, "Adele Vance")], classes=[(10, "PE 6 — Period 1")])
    return EventFormState(key="event-k", choices=choices, values={"date": "2026-11-25", "duration": "45"}, **extra)


def _saved_event(status: str = "confirmed") -> SavedEvent:
    return SavedEvent(id=7, created=True, title=f"Meeting: {TRICKY}", start=NOW, end=NOW + timedelta(minutes=30),
                      time_zone="America/Chicago", location="Office", attendees=["meganb@example.com"], status=status,
                      mode="local", ics_url="https://faraday.example/ics/abc.ics")


def _alert(**extra: Any) -> AlertView:
    return AlertView(alert_id=3, incident_id=9, kind="serious_incident", level=1, reason="head injury",
                     severity="serious", incident_type="head_injury", occurred_at=NOW, location="Main Gym",
                     activity="Basketball", description=f"Collided with a teammate. {TRICKY}",
                     injuries="Bump on forehead", action_taken="Nurse",
                     student_name="Jamie Ortiz", student_grade=6, student_number="S109001", medical_flags=("Asthma",),
                     reporter_name="Alex Wilber", school_name="Ridgeview Middle", **extra)


def _widget(**overrides: Any) -> WidgetResult:
    values: dict[str, Any] = {
        "widget": "attendance", "title": "Attendance", "scope": "PE 7 — Period 3",
        "period": Period(date(2026, 10, 22), date(2026, 11, 20), 30),
        "metrics": (Metric("Attendance rate", "96.4%", 96.4), Metric("Below 90%", "1", 1)),
        "table": TableData(("Student", "Rate"), ((TRICKY, "86.4%"), ("Jamie Chen", "88.0%")), "At risk"),
        "chart": ChartData("line", "Weekly attendance", ("Nov 2", "Nov 9", "Nov 16"),
                           (Series("Attendance %", (95.0, 97.5, 96.0)),), "%", 100),
        "student_names": (TRICKY,),
    }
    values.update(overrides)
    return WidgetResult(**values)


def _document_preview(errors: dict[str, str] | None = None, replaces: str | None = None) -> UploadPreview:
    parsed = ParsedFile("pdf", TRICKY, (Section("Recognition", "Watch for headache.", ((0, 1),)),
                                        Section("Return to Play", "Stage | Activity\n1 | Rest", ((0, 3),))), pages=3)
    values = {"title": TRICKY, "kind": "safety", "audience": "coaches", "grade_band": "6 to 8", "version": "2.0",
              "reviewed_by": "Megan Bowen", "reviewed_on": "2026-11-30"}
    return UploadPreview(7, "Concussion Protocol.pdf", parsed, values, ["Recognition", "Return to Play"], replaces,
                         "concussion-protocol", errors or {})


def _emergency(*, closed: bool = False) -> Header:
    return Header(7, "evacuation", True, "3", "Ridgeview Middle", "Megan Bowen", NOW, "Megan Bowen" if closed else None,
                  NOW + timedelta(minutes=12) if closed else None, 4)


def _class_card(students: int = 30) -> ClassCard:
    roster = tuple(RosterStudent(i, TRICKY if i == 1 else f"Student {i}", "missing" if i == 2 else
                                 "injured" if i == 3 else None) for i in range(1, students + 1))
    return ClassCard(11, "PE 7 — Period 3", "Main Gym", "partial", NOW, roster)


def _missing(i: int) -> MissingStudent:
    return MissingStudent(100 + i, f"Missing {i} {TRICKY}", "PE 8 — Period 3", "Isaiah Langer", NOW)


def _roll_up(*, closed: bool = False, escalated: bool = False, missing: int = 3) -> RollUp:
    states = ("unanswered", "all_here", "partial")
    tallies = tuple(ClassTally(i, f"PE {i} — Period 3", f"Teacher {i}", "Field", states[i % 3],
                               NOW if i % 3 else None, 25, i % 2, int(i % 3 == 2), 0) for i in range(1, 61))
    return RollUp(_emergency(closed=closed), tallies, tuple(_missing(i) for i in range(missing)), (_missing(99),), 2,
                  escalated=escalated, refresh_user_ids=("29:admin",))


def record_cards() -> dict[str, dict[str, Any]]:
    """The cards for recording the day, at a class of 40 (the size issue #21 asks to fit)."""
    day = NOW.date()
    names = [(i, f"{TRICKY} {i}" if i % 7 == 0 else f"Student Number{i} Longish-Surname") for i in range(1, 41)]
    sheet = AttendanceSheet("k", 3, "PE 7 — Period 3", day, tuple(
        SheetLine(i, n, ("present", "absent", "tardy", "sat_out")[i % 4], "injury" if i % 4 == 3 else None,
                  saved=i % 2 == 0) for i, n in names), already_saved=True, unmatched=("Zed",))
    state = AttendanceFormState.from_sheet(sheet)
    state.errors = {"student_5": "Pick one (for sat out, the reason).", "day": "Attendance can't be taken for a "
                    "future date.", "student_999": "Not in this class."}
    fitness = FitnessFormState.from_sheet(FitnessSheet("k", "pacer", day, 3, "PE 7 — Period 3",
                                                       tuple((i, n, str(i)) for i, n in names), ("Zed",)))
    fitness.errors = {"student_2": "Must be between 0 and 250.", "test": "Pick a test."}
    skills = SkillFormState.from_sheet(SkillSheet("k", 3, "PE 7 — Period 3", "Basketball", "Dribbling", day,
                                                  tuple((i, n, str(1 + i % 4)) for i, n in names), ("Layup", "Passing")))
    check = CheckFormState.from_sheet(CheckSheet("k", 9, "Climbing harnesses", 10, day,
                                                 (("#3", "fail", "frayed"), (None, "repair", TRICKY))))
    check.errors = {"problem_0": "There are 10: #1 to #10."}
    return {
        "attendance (40, saved before, with errors)": attendance_form_card(state),
        "fitness (40, with errors)": fitness_form_card(fitness),
        "fitness saved": fitness_saved_card(SavedFitness(True, "pacer", day, 2, (
            (TRICKY, "23 laps", "Healthy Fitness Zone"), ("Ben Brown", "22 laps", "Needs Improvement")), 1),
            "Saved 2 PACER results."),
        "skills (40)": skills_form_card(skills),
        "equipment check (with errors)": equipment_check_card(check),
    }


def all_cards() -> dict[str, dict[str, Any]]:
    proposal_state = IncidentFormState.from_proposal(_proposal(), _roster(20))
    errors = {"student_id": "Pick a student in your classes.", "occurred_at": "The date can't be in the future.",
              "description": "Describe what happened in at least 10 characters.",
              "form": "Some fields need attention."}
    summaries = [IncidentSummary(i, NOW - timedelta(days=i), t, s, "Basketball",
                                 f"Fell. {TRICKY}" * (1 + 20 * (i == 2)))
                 for i, (t, s) in enumerate([("injury", Severity.minor), ("head_injury", Severity.serious),
                                             ("made_up_type", Severity.moderate)], start=1)]
    return {
        "incident form (blank)": incident_form_card(IncidentFormState(key="k", roster=_roster(30),
                                                                      values={"date": "2026-11-24", "time": "10:30"})),
        "incident form (long roster, typeahead)": incident_form_card(IncidentFormState(key="k", roster=_roster(400))),
        "incident form (proposal)": incident_form_card(proposal_state),
        "incident form (with errors)": incident_form_card(IncidentFormState(
            key="k", roster=_roster(5), values={**proposal_state.values, "actions": "ice,nurse", "date": "2027-01-01"},
            errors=errors)),
        "incident saved": incident_saved_card(SavedIncident(9, True, TRICKY, Severity.serious, NOW, "Alex Wilber")),
        "student profile (teacher)": student_profile_card(_profile(restricted=False)),
        "student profile (nurse)": student_profile_card(_profile(restricted=True)),
        "student profile (no incident history)": student_profile_card(_profile(restricted=False),
                                                                      incident_history=False),
        "student recent incidents": student_incidents_card(1, TRICKY, summaries, "America/Chicago"),
        "student recent incidents (none)": student_incidents_card(1, "Jamie Ortiz", [], "America/Chicago"),
        "student choice": student_choice_card(StudentLookup(status="ambiguous", query="Jamie",
                                                            candidates=(_student(1), _student(2, "Jamie Chen")))),
        "lesson form (blank)": lesson_form_card(LessonFormState()),
        "lesson form (with errors)": lesson_form_card(LessonFormState(
            values={"grade": "7", "topic": "x", "duration_minutes": "500", "class_size": "0"},
            errors={"topic": "At least 2 characters.", "duration_minutes": "From 20 to 120 minutes."})),
        "lesson plan": lesson_plan_card(_plan()),
        "lesson saved": lesson_saved_card(_plan(), created=True),
        "event form (blank)": event_form_card(_event_state()),
        "event form (student, with errors)": event_form_card(_event_state(
            families=[(1, "Jamie Ortiz's guardians (2)")], errors={"title": "Required.", "form": "Not allowed."})),
        "event form (proposal with conflicts)": event_form_card(EventFormState.from_proposal(EventProposal(
            key="event-k", title="Dept meeting", start=NOW, duration_minutes=30, time_zone="America/Chicago",
            location="Gym office", choices=EventChoices(staff=[(2, "Megan Bowen")], classes=[]), staff_ids=[2],
            conflicts=[Busy("Lunch duty", NOW, NOW + timedelta(minutes=30))], notes=["Checked your calendar."]))),
        "event saved": event_saved_card(_saved_event()),
        "event cancelled": event_saved_card(_saved_event("cancelled")),
        "event list": event_list_card("week", [
            Busy("Lunch duty", NOW, NOW + timedelta(minutes=30), "Cafeteria", 4),
            Busy(TRICKY, NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1))]),
        "event list (empty)": event_list_card("today", []),
        "forms menu": forms_menu_card(["incident", "lesson", "event"]),
        "document preview (PDF)": preview_card(_document_preview()),
        "document preview (errors, replacing)": preview_card(_document_preview(
            errors={"grade_band": "Grade band must look like K-12.", "kind": "Required."}, replaces="1.0")),
        "alert": alert_card(_alert()),
        "alert (acknowledged)": alert_card(_alert(acknowledged_by="Megan Bowen", acknowledged_at=NOW,
                                                  escalated_to=("Principal",))),
        "alert (reporter copy)": reporter_card(_alert()),
        "emergency teacher card (30 students, one missing elsewhere)": emergency_card(TeacherView(
            _emergency(), (_class_card(),), (_missing(1),), refresh_user_ids=("29:teacher",))),
        "emergency teacher reminder": emergency_card(TeacherView(_emergency(), (_class_card(35),), reminder=True)),
        "emergency teacher card (all clear)": emergency_card(TeacherView(_emergency(closed=True), (_class_card(),))),
        "emergency roll-up (60 classes, 40 missing)": emergency_card(_roll_up(missing=40)),
        "emergency roll-up (escalated)": emergency_card(_roll_up(escalated=True)),
        "emergency roll-up (all clear)": emergency_card(_roll_up(closed=True)),
        **record_cards(),
        **message_home_cards(),
        "export confirmation (large)": export_confirm_card(ExportPending(
            "Skill gaps — Ridgeview Middle (school-wide)", "skill-gaps.csv", "csv", 180, 412,
            tuple(f"Column {i}" for i in range(40)), 100, "Ridgeview Middle (school-wide)",
            {"report": "widget", "widget": "skill_gaps", "class": None, "on": "2026-11-20", "format": "csv"})),
        "widget attendance (native chart, png fallback)": widget_card(_widget()),
        "widget attendance (png chart only)": widget_card(_widget(), fallback_only=True),
        "widget participation (bar, no table)": widget_card(_widget(
            widget="participation", title="Participation", table=None,
            chart=ChartData("bar", "By class", ("P1", "P3"), (Series("Participation %", (91.0, 84.5)),), "%", 100)),
            fallback_only=True),
    }


def message_home_cards() -> dict[str, dict[str, Any]]:
    english = MessageText("en", "A note from PE about Eli", "Dear {guardian},\n\nEli was hurt.\n{health}\nAlex",
                          "He fell on his wrist.")
    spanish = MessageText("es", "Nota de Educación Física sobre Eli", "Estimado/a {guardian}:\n\nEli.\n{health}",
                          "Se cayó.")
    draft = MessageDraft("k" * 32, "incident", "Eli Navarro", (english, spanish), 2, 1, 1, 0, {"es": 2}, True,
                         "template", "eml")
    notice = MessageDraft("n" * 32, "class_notice", "PE 7 — Period 3", (english,), 48, 27, 0, 3, {"en": 48},
                          False, "template", "eml")
    return {
        "message home draft (incident, Spanish)": message_draft_card(draft),
        "message home draft (class notice)": message_draft_card(notice),
        "message home confirm": confirm_card("n" * 32, SendOutcome("confirm", "This notice goes to 48 guardians.",
                                                                   recipients=48)),
        "message home sent (.eml links)": sent_card(SendOutcome("packaged", "Ready for 2 guardians.", recipients=2,
                                                                links=[Link(TRICKY, "https://f.test/messages/a.eml",
                                                                            "https://f.test/messages/a/mailto")])),
    }
