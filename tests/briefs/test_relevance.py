"""Briefs show only the medical flags relevant to the class's current unit (domain.briefs.relevance), life-threatening
ones always: a labelled table of the seed's flags against units, then one brief through the relay on the demo
district (real PostgreSQL): a swimming class shows asthma and the EpiPen allergy, not a nut allergy without
epinephrine, and counts what it left out; the same class on boccia hides asthma; only shown students are audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from devtools.fakes.rate_limited_connector import RateLimitedConnector
from domain.briefs.relevance import activity_kinds, condition, relevant
from domain.seed.catalog import MEDICAL, UNITS
from domain.seed.facts import DEMO
from tests.support.briefs import Briefs, drain
from tests.support.emergencies import card_texts

ALWAYS = ("Severe peanut allergy: EpiPen in nurse office", "Bee sting allergy: EpiPen in PE bag",
          "Type 1 diabetes: glucose tabs in bag", "Epilepsy: seizure action plan on file",
          "Heart murmur: cleared for full activity", "Recent wrist fracture: no weight-bearing on left arm",
          "Concussion: return-to-play protocol, light aerobic only")

# (flag, unit, shown?) — written from the rules' reasons, before the table was run against them.
LABELLED = [
    ("Asthma: inhaler kept in PE office", "Fitness Testing", True),  # PACER: sustained vigorous running
    ("Asthma: inhaler kept in PE office", "Soccer", True),
    ("Exercise-induced asthma: gradual warm-up", "Swimming", True),  # chlorine, exertion
    ("Asthma: carries own inhaler", "Ultimate Frisbee", True),  # outdoor, running
    ("Asthma: carries own inhaler", "Boccia", False),  # low intensity
    ("Asthma: inhaler kept in PE office", "Movement Foundations", False),
    ("Asthma: inhaler kept in PE office", "Throwing and Catching", False),
    ("Asthma: inhaler kept in PE office", "Strength Training", False),
    ("Latex allergy: use non-latex equipment", "Volleyball", True),  # balls
    ("Latex allergy: use non-latex equipment", "Strength Training", True),  # resistance bands
    ("Latex allergy: use non-latex equipment", "Swimming", True),  # swim caps
    ("Latex allergy: use non-latex equipment", "Fitness Foundations", False),
    ("Peanut allergy (no epinephrine prescribed)", "Swimming", False),  # PE serves no food
    ("Peanut allergy (no epinephrine prescribed)", "Field Day", True),
    ("Bee sting allergy (local reactions)", "Flag Football", True),  # outdoors
    ("Bee sting allergy (local reactions)", "Basketball", False),
    ("Wears glasses: sports goggles", "Swimming", True),  # unrecognised: the teacher judges
    ("Asthma: inhaler kept in PE office", None, True),  # unit unknown: everything shown
    ("Asthma: inhaler kept in PE office", "Unit 7", True),  # a unit naming no activity: everything shown
] + [(flag, unit, True) for flag in ALWAYS for unit in ("Swimming", "Boccia", "Volleyball")]


@pytest.mark.parametrize(("flag", "unit", "shown"), LABELLED)
def test_a_flag_is_shown_when_its_condition_matters_for_the_unit(flag: str, unit: str | None, shown: bool) -> None:
    assert relevant(flag, unit) is shown


def test_every_seed_flag_has_a_condition_and_every_seed_unit_an_activity_kind() -> None:
    assert all(condition(m.flag) is not None for m in MEDICAL), [m.flag for m in MEDICAL if condition(m.flag) is None]
    assert all(activity_kinds(u) for u in UNITS), [u for u in UNITS if not activity_kinds(u)]
    assert {condition(f).key for f in ALWAYS} == {"anaphylaxis", "diabetes", "seizure", "cardiac",  # type: ignore[union-attr]
                                                   "restriction"}


async def test_a_swimming_brief_shows_asthma_and_the_epipen_not_a_nut_allergy_and_boccia_hides_asthma(
    briefs: Briefs, connector: RateLimitedConnector,
) -> None:
    chat = await briefs.remember(DEMO.alex.email)
    cls = await briefs.period_3_class(DEMO.alex.email)
    roster = await briefs.rows(
        "SELECT s.id, COALESCE(s.preferred_name, s.first_name) || ' ' || s.last_name AS name FROM students s"
        " JOIN enrollments e ON e.student_id = s.id WHERE e.class_id = :c AND s.active ORDER BY s.id", c=cls["id"])
    wheezy, epipen, nuts = roster[0], roster[1], roster[2]
    flags = {wheezy["id"]: ["Asthma: carries own inhaler"], epipen["id"]: ["Severe peanut allergy: EpiPen in nurse office"],
             nuts["id"]: ["Tree nut allergy (no epinephrine prescribed)"]}
    async with briefs.sessions() as s, s.begin():
        await s.execute(text("UPDATE students SET medical_flags = '[]'::jsonb WHERE id IN"
                             " (SELECT student_id FROM enrollments WHERE class_id = :c)"), {"c": cls["id"]})
        for sid, value in flags.items():
            await s.execute(text("UPDATE students SET medical_flags = CAST(:f AS jsonb) WHERE id = :id"),
                            {"f": json.dumps(value), "id": sid})
        await s.execute(text("UPDATE classes SET current_unit = 'Swimming' WHERE id = :c"), {"c": cls["id"]})
        await s.execute(text("DELETE FROM incidents WHERE class_id = :c"), {"c": cls["id"]})

    await drain(briefs.relay(default_temperature_f=70))
    texts = card_texts(connector.cards(chat)[0])
    assert f"• {wheezy['name']}: Asthma: carries own inhaler" in texts
    assert f"• {epipen['name']}: Severe peanut allergy: EpiPen in nurse office" in texts
    assert not any(nuts["name"] in t for t in texts)
    assert "1 other medical flag in this class is not relevant to Swimming (the safety risks widget lists every " \
           "flag)." in texts
    assert "Have ready: Anaphylaxis and Epinephrine Auto-Injector Use" in texts  # from the shown flags only
    audited = {r["subject_id"] for r in await briefs.rows(
        "SELECT subject_id FROM audit_log WHERE action = 'student.read' AND via = 'brief'")}
    assert {wheezy["id"], epipen["id"]} <= audited and nuts["id"] not in audited

    async with briefs.sessions() as s, s.begin():  # the unit is boccia (the day's brief made again)
        await s.execute(text("UPDATE classes SET current_unit = 'Boccia' WHERE id = :c"), {"c": cls["id"]})
        await s.execute(text("DELETE FROM pre_class_briefs WHERE class_id = :c"), {"c": cls["id"]})
    await drain(briefs.relay(default_temperature_f=70))
    cards = connector.cards(chat)
    assert len(cards) == 2
    texts = card_texts(cards[1])
    assert not any(wheezy["name"] in t for t in texts)
    assert f"• {epipen['name']}: Severe peanut allergy: EpiPen in nurse office" in texts
    assert "2 other medical flags in this class are not relevant to Boccia (the safety risks widget lists every " \
           "flag)." in texts
