"""The run_widget tool: its strict schema, argument validation, and what the model is (not) given."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from domain.actor import Actor
from domain.models import Attendance, Student
from domain.widgets import WIDGET_NAMES, WidgetService
from tests.support.district import NOW, District_
from tools.base import ToolDeps, WidgetsAccess
from tools.run_widget import RunWidgetArgs, run_widget


@dataclass(frozen=True)
class _Widgets:
    widgets: WidgetService


def _deps(district: District_, widgets: WidgetService, actor: Actor | None = None) -> ToolDeps[WidgetsAccess]:
    return ToolDeps(actor=actor or district.tess, services=_Widgets(widgets), now=NOW)


def test_the_schema_is_strict_with_the_widget_enum_and_the_architecture_argument_names() -> None:
    spec = run_widget.openai_spec()
    fn = spec["function"]
    assert fn["name"] == "run_widget" and fn.get("strict") is True
    props = fn["parameters"]["properties"]
    assert set(props) == {"widget", "class", "student", "period_days", "team_count"}
    assert sorted(fn["parameters"]["required"]) == sorted(props)
    assert set(props["widget"]["enum"]) == set(WIDGET_NAMES) and len(WIDGET_NAMES) >= 12
    assert "Run a class analytics widget" in fn["description"]


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"widget": "horoscope"}, "widget"),
        ({"widget": "attendance", "period_days": 0}, "period_days"),
        ({"widget": "attendance", "period_days": 400}, "period_days"),
        ({"widget": "teams", "team_count": 12}, "team_count"),
        ({"widget": "attendance", "class": "x" * 81}, "class"),
        ({"widget": "attendance", "export_all": True}, "export_all"),
        ("{not json", "not valid JSON"),
    ],
)
async def test_bad_arguments_become_a_short_message_for_the_model(
    district: District_, widgets: WidgetService, arguments: object, complaint: str
) -> None:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    result = await run_widget(raw, _deps(district, widgets))
    assert result.is_error and complaint in result.for_model["error"]
    assert "Traceback" not in result.for_model["error"]


def test_class_is_accepted_under_its_alias() -> None:
    assert RunWidgetArgs.model_validate({"widget": "attendance", "class": "period 3"}).class_ == "period 3"


async def test_the_model_gets_headline_numbers_and_the_names_shown(district: District_, widgets: WidgetService) -> None:
    d = district
    await d.add(Attendance, [{"class_id": d.classes["p3"], "student_id": d.students[w], "day": day, "status": st}
                             for w, st in (("ann", "absent"), ("ben", "present"), ("cal", "present"))
                             for day in (NOW.date().replace(day=16), NOW.date().replace(day=17))])
    result = await run_widget({"widget": "attendance", "class": "period 3", "student": None, "period_days": 14,
                               "team_count": None}, _deps(d, widgets))
    m = result.for_model
    assert m["headline"]["Attendance rate"] == "66.7%" and m["students_shown"] == ["Ann Abbott"]
    assert m["period"].endswith("(14 days)") and "summary" in m and "66.7%" in m["summary"]
    assert result.student_ids == [d.students["ann"]] and len(result.display) == 1


async def test_the_model_never_gets_medical_flags_or_the_names_of_flagged_students(
    district: District_, widgets: WidgetService
) -> None:
    d = district
    async with d.sessions() as s, s.begin():
        await s.execute(update(Student).where(Student.id == d.students["ann"]).values(medical_flags=["Epilepsy"]))
    result = await run_widget({"widget": "safety_risks", "class": "period 3"}, _deps(d, widgets))
    text = json.dumps(result.for_model)
    assert "Epilepsy" not in text and "Ann" not in text
    assert result.for_model["headline"]["Medical flags"] == "1"
    card_data = result.display[0]
    assert card_data.table.rows == (("Ann Abbott", "Epilepsy"),)  # the teacher sees it on the card


async def test_another_teachers_class_is_a_model_readable_refusal(district: District_, widgets: WidgetService) -> None:
    result = await run_widget({"widget": "attendance", "class": "period 1"}, _deps(district, widgets))
    assert result.is_error and "not one of your classes" in result.for_model["error"]
    assert result.display == []


async def test_an_empty_result_is_reported_as_empty(district: District_, widgets: WidgetService) -> None:
    result = await run_widget({"widget": "participation", "class": "period 3"}, _deps(district, widgets))
    assert "headline" not in result.for_model and result.for_model["empty"].startswith("No activity sessions")
