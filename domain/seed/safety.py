"""Safety data: incidents across the term, equipment with inspection history, default alert rules."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.models import Role, Severity
from domain.seed.catalog import UNITS
from domain.seed.facts import DEMO, PERIOD_START, TERM_END, TERM_START, TZ
from domain.seed.people import STAFF, ClassPlan, PeopleIds, PeoplePlan, StudentPlan
from domain.seed.records import Calendar, unit_index

_BALL = ("Basketball", "Adapted Basketball", "Volleyball", "Soccer", "Soccer Skills", "Flag Football",
         "Ultimate Frisbee")
_FITNESS = ("Fitness Testing", "Fitness Foundations")


@dataclass(frozen=True)
class Template:
    severity: Severity
    kind: str
    units: tuple[str, ...]  # empty: any unit
    description: str
    injuries: str | None
    action: str
    follow_up: str | None
    needs_flag: str | None = None  # a medical flag substring the student must have
    activity: str | None = None  # default: one of the unit's activities
    place: str | None = None  # "indoor" | "outdoor" | None (wherever the unit is taught)
    location: str | None = None  # a fixed location overriding the lesson's venue


_M, _MO, _S, _C = Severity.minor, Severity.moderate, Severity.serious, Severity.critical
TEMPLATES: tuple[Template, ...] = (
    Template(_M, "injury", ("Basketball", "Adapted Basketball", "Volleyball"),
             "{name} rolled {their} ankle landing from a jump; walking with a slight limp.", "Mild ankle sprain",
             "Ice and elevation for 15 minutes; sat out the rest of class.", "Parent notified by email."),
    Template(_M, "injury", (), "{name} slipped and scraped {their} knee.", "Abrasion, right knee",
             "Cleaned and bandaged.", None),
    Template(_M, "injury", ("Volleyball", "Basketball", "Throwing and Catching"),
             "{name} jammed a finger catching a pass.", "Jammed finger", "Ice pack; nurse buddy-taped the finger.",
             "Parent notified by email."),
    Template(_M, "illness", (), "{name} had a nosebleed during warm-up; no contact involved.", "Nosebleed",
             "Pressure applied; stopped within 10 minutes; returned to class.", None),
    Template(_M, "injury", (), "{name} bumped into a classmate; brief tears, no injury found.", None,
             "Checked by the teacher; returned to the activity.", None),
    Template(_M, "illness", _FITNESS, "{name} felt light-headed after running on a warm afternoon.", None,
             "Rested in the shade with water; recovered in 15 minutes.", "Hydration reminder for the class.",
             activity="PACER test", place="outdoor"),
    Template(_M, "injury", (), "{name} got a blister on {their} heel from new shoes.", "Heel blister",
             "Blister plaster from the first-aid kit.", None),
    Template(_M, "behavior", ("Flag Football", "Basketball", "Soccer", "Ultimate Frisbee"),
             "An argument over a call escalated to {name} pushing another student.", None,
             "Students separated; both sat out 10 minutes; talk with the teacher.",
             "Counselor referral; parents told."),
    Template(_M, "near_miss", (), "A loose floor mat caught {name}'s foot; {they} did not fall.", None,
             "Mat removed from use and reported for replacement.", "All mats checked the same week.", place="indoor"),
    Template(_M, "injury", _BALL, "{name} was hit on the arm by a ball; red mark, no swelling.", "Bruised forearm",
             "Ice pack for 10 minutes.", None),
    Template(_M, "injury", ("Strength Training",), "{name} pinched a finger between weight plates.",
             "Pinched finger, small cut", "Cleaned and bandaged; plate handling reviewed.", None),
    Template(_M, "injury", ("Swimming",), "{name} scraped {their} foot on the pool ladder.", "Small cut on the foot",
             "Cleaned and bandaged.", "Ladder reported to facilities."),
    Template(_MO, "injury", (), "{name} fell on an outstretched hand; wrist painful and swollen.",
             "Possible wrist sprain", "Splinted and iced; nurse assessed; parent picked up for an x-ray.",
             "X-ray negative per parent; light duty for a week."),
    Template(_MO, "injury", ("Soccer", "Soccer Skills", "Flag Football", "Basketball"),
             "{name} twisted {their} knee while cutting and limped afterwards.", "Knee sprain",
             "Ice and rest; nurse assessed; parent called.", "Sat out a week; doctor's note on file."),
    Template(_MO, "illness", _FITNESS, "{name} began wheezing during the PACER test.", "Asthma symptoms",
             "Used inhaler and rested; symptoms eased within 10 minutes; nurse notified.",
             "Asthma action plan reviewed with the family.", "sthma", activity="PACER test"),
    Template(_MO, "injury", ("Striking with Implements", "Tennis"),
             "{name} was struck on the shin by a classmate's backswing.", "Shin contusion",
             "Ice; nurse assessed; returned to class seated.", "Spacing rules reviewed with the class."),
    Template(_MO, "illness", _FITNESS,
             "{name} showed signs of heat exhaustion (heavy sweating, headache, nausea) during outdoor fitness.",
             "Heat exhaustion (suspected)", "Moved to shade, cooled, fluids; nurse monitored 30 minutes; parent "
             "picked up.", "Heat-index check added to the outdoor lesson routine.", activity="Outdoor fitness circuit",
             place="outdoor"),
    Template(_MO, "injury", (), "{name} ran into the wall padding chasing a loose ball; sore shoulder.",
             "Shoulder contusion", "Ice; nurse assessed; parent called.", None, place="indoor"),
    Template(_S, "injury", ("Soccer", "Soccer Skills", "Flag Football", "Basketball"),
             "{name} collided head-to-head with another player; dazed, with headache and dizziness. Possible "
             "concussion.", "Suspected concussion", "Removed from play; nurse assessment; parent picked up; "
             "referred to a physician.", "Return-to-play protocol; physician clearance required."),
    Template(_S, "injury", ("Strength Training", "Basketball", "Volleyball", "Adapted Basketball"),
             "{name} fell awkwardly onto {their} forearm; visible deformity, suspected fracture.",
             "Suspected forearm fracture", "Arm immobilised and iced; parent took {them} to urgent care.",
             "Fracture confirmed; cast for 6 weeks; modified PE plan."),
    Template(_S, "illness", (), "{name} had a severe asthma attack; the inhaler gave little relief and {they} had "
             "difficulty breathing.", "Acute asthma attack", "Nurse gave a second dose; 911 called; transported by "
             "EMS.", "Discharged the same day; action plan updated.", "sthma"),
    Template(_S, "injury", ("Swimming",), "{name} hit {their} head on the pool wall during a turn; small cut and "
             "headache.", "Scalp cut, possible head injury", "First aid and cold compress; nurse checked for "
             "concussion; parent took {them} for stitches.", "Concussion screen negative; 3 stitches."),
    Template(_C, "allergy", (), "{name}, who has a severe peanut allergy, developed hives, throat tightness and "
             "difficulty breathing after sharing a snack in the locker room. Anaphylaxis suspected.",
             "Anaphylaxis (suspected)", "EpiPen given by the nurse; 911 called; transported by EMS to Lakeside "
             "General; parent met the ambulance.", "Allergy plan reviewed with the family; locker-room food rule "
             "reminded to all staff.", "peanut", activity="Changing before class", location="Locker Room"),
)
INCIDENT_MIX = {Severity.minor: 24, Severity.moderate: 11, Severity.serious: 4, Severity.critical: 1}
_PRONOUNS = {"F": ("she", "her", "her"), "M": ("he", "his", "him"), "X": ("they", "their", "them")}


def _fill(text: str, s: StudentPlan) -> str:
    they, their, them = _PRONOUNS[s.sex]
    return text.format(name=s.preferred or s.first, they=they, their=their, them=them)


_FIELD_UNITS = {"Soccer", "Soccer Skills", "Flag Football", "Ultimate Frisbee"}
_HOME_ONLY = {"Pool": {"Swimming"}, "Weight Room": {"Strength Training"}, "Field 1": _FIELD_UNITS,
              "Field 2": _FIELD_UNITS}


def venue(c: ClassPlan, unit: str, outdoor: bool = False) -> str:
    """Where a lesson of ``unit`` happens: the class's home unless the unit needs the pool, weights or a field."""
    pitch = "Field 1" if c.grade <= 5 else "Field 2"
    if outdoor or unit in _FIELD_UNITS:
        return pitch
    if unit == "Swimming":
        return "Pool"
    if unit == "Strength Training":
        return "Fitness Room" if c.school == "Ridgeview Middle" else "Weight Room"
    if c.location in _HOME_ONLY and unit not in _HOME_ONLY[c.location]:
        return "Main Gym"
    return c.location


def _suits(t: Template, c: ClassPlan, unit: str) -> bool:
    if t.units and unit not in t.units:
        return False
    return t.place != "indoor" or not venue(c, unit).startswith("Field")


def _pick_templates(rng: random.Random) -> list[Template]:
    out: list[Template] = []
    for sev, count in INCIDENT_MIX.items():
        pool = [t for t in TEMPLATES if t.severity == sev]
        out += pool * (count // len(pool)) + rng.sample(pool, count % len(pool))
    return out


def incident_rows(rng: random.Random, plan: PeoplePlan, cal: Calendar, ids: PeopleIds) -> list[dict[str, Any]]:
    """~40 incidents, each on a day the class met, the student was there and the unit fits the template."""
    pe = [c for c in plan.classes if c.subject != "Drivers Ed"]
    rows: list[dict[str, Any]] = []
    used: set[int] = set()
    for t in _pick_templates(rng):
        def fits(s: StudentPlan, t: Template = t) -> bool:
            flagged = t.needs_flag is None or any(t.needs_flag in m.flag for m in s.medical)
            return flagged and not s.fixture and s.index not in used

        slots = [(c, days) for c in pe for week, days in enumerate(cal.weeks(c.index))
                 if _suits(t, c, c.units[unit_index(week)]) and any(map(fits, cal.rosters[c.index]))]
        while True:
            c, days = rng.choice(slots)
            options = [(d, s) for s in cal.rosters[c.index] if fits(s)
                       for d in days if cal.present(c.index, s.index, d)]
            if options:
                day, s = rng.choice(options)
                used.add(s.index)
                break
        unit = c.units[unit_index((day - TERM_START).days // 7)]
        at = datetime.combine(day, PERIOD_START[c.period], TZ) + timedelta(minutes=rng.randint(8, 40))
        age = (TERM_END - day).days
        serious = t.severity in (_S, _C)
        status = "open" if age < 10 else ("follow_up" if age < 25 or (serious and age < 45) else "closed")
        rows.append({
            "school_id": ids.schools[c.school], "student_id": ids.students[s.index],
            "reporter_id": ids.staff[c.teacher_email], "class_id": ids.classes[c.index], "occurred_at": at,
            "location": t.location or venue(c, unit, t.place == "outdoor"),
            "activity": t.activity or rng.choice(UNITS[unit].activities),
            "incident_type": t.kind, "severity": t.severity, "description": _fill(t.description, s),
            "injuries": t.injuries, "action_taken": _fill(t.action, s), "witnesses": rng.choice(
                (None, "Two classmates", "Student aide", "Teacher and class")), "follow_up": t.follow_up,
            "status": status, "idempotency_key": None, "created_at": at + timedelta(minutes=rng.randint(20, 90)),
        })
    rows.sort(key=lambda r: r["occurred_at"])
    return rows


# name, category, quantity, min quantity, inspection interval (days), units
_COMMON: tuple[tuple[str, str, int, int, int, tuple[str, ...]], ...] = (
    ("Basketballs", "balls", 24, 20, 365, ("Basketball", "Adapted Basketball")),
    ("Soccer balls", "balls", 24, 20, 365, ("Soccer", "Soccer Skills")),
    ("Volleyballs", "balls", 18, 15, 365, ("Volleyball",)),
    ("Foam balls", "balls", 30, 20, 365, ("Throwing and Catching", "Movement Foundations")),
    ("Cones (set of 48)", "field", 4, 2, 365, ()),
    ("Pinnies, 4 colours", "apparel", 60, 48, 365, ()),
    ("Jump ropes", "fitness", 30, 25, 365, ("Fitness Foundations", "Fitness Testing")),
    ("Stopwatches", "timing", 8, 6, 365, ("Fitness Testing", "Fitness Foundations")),
    ("PACER audio speaker", "electronics", 1, 1, 180, ("Fitness Testing", "Fitness Foundations")),
    ("Folding gym mats (4x8 ft)", "gymnastics", 12, 10, 180, ()),
    ("First-aid kit (gym)", "safety", 2, 2, 30, ()),
    ("AED (gym wall cabinet)", "safety", 1, 1, 30, ()),
    ("Portable basketball hoops", "fixtures", 2, 2, 180, ("Basketball",)),
    ("Volleyball net system", "fixtures", 2, 2, 180, ("Volleyball",)),
    ("Portable soccer goals (anchored)", "fixtures", 2, 2, 90, ("Soccer", "Soccer Skills")),
    ("Measuring tape (30 m)", "measurement", 2, 1, 365, ("Fitness Testing",)),
    ("Sit-and-reach box", "measurement", 2, 1, 365, ("Fitness Testing", "Fitness Foundations")),
    ("Floor hockey sticks", "sticks", 24, 20, 365, ()),
    ("Badminton rackets", "rackets", 24, 20, 365, ()),
    ("Flag football belts", "apparel", 30, 24, 365, ("Flag Football",)),
    ("Flying discs", "discs", 30, 24, 365, ("Ultimate Frisbee",)),
)
_EXTRA: dict[str, tuple[tuple[str, str, int, int, int, tuple[str, ...]], ...]] = {
    "Lakeside Elementary": (
        ("Parachute (24 ft)", "cooperative", 1, 1, 365, ("Movement Foundations",)),
        ("Scooter boards", "wheeled", 20, 16, 180, ("Movement Foundations", "Locomotor Skills")),
        ("Hula hoops", "fitness", 30, 24, 365, ("Locomotor Skills",)),
        ("Bean bags", "throwing", 60, 40, 365, ("Throwing and Catching",)),
        ("Low balance beams", "gymnastics", 4, 4, 180, ("Movement Foundations",)),
        ("Foam paddles", "rackets", 30, 24, 365, ("Striking with Implements",)),
        ("Batting tees", "striking", 8, 6, 365, ("Striking with Implements",)),
    ),
    "Ridgeview Middle": (
        ("Heart rate monitors", "electronics", 30, 25, 180, ("Fitness Testing",)),
        ("Pickleball paddles", "rackets", 24, 20, 365, ()),
        ("Boccia sets", "adapted", 2, 2, 365, ("Boccia",)),
        ("Adjustable lowered basketball hoop", "adapted", 1, 1, 180, ("Adapted Basketball",)),
        ("Resistance bands", "fitness", 30, 24, 365, ("Strength Training",)),
    ),
    "Lakeside High": (
        ("Rescue tubes", "aquatics", 4, 4, 30, ("Swimming",)),
        ("Spine board with head immobiliser", "aquatics", 1, 1, 30, ("Swimming",)),
        ("Lane lines", "aquatics", 6, 6, 365, ("Swimming",)),
        ("Squat racks", "weights", 6, 6, 90, ("Strength Training",)),
        ("Olympic barbells", "weights", 10, 8, 180, ("Strength Training",)),
        ("Weight benches", "weights", 8, 8, 180, ("Strength Training",)),
        ("Tennis rackets", "rackets", 24, 20, 365, ("Tennis",)),
        ("Tennis balls (cans of 3)", "balls", 40, 30, 365, ("Tennis",)),
    ),
}
_SKIP = {
    "Lakeside Elementary": {"Floor hockey sticks", "Badminton rackets", "Flag football belts"},
    "Ridgeview Middle": {"Badminton rackets"},
    "Lakeside High": {"Foam balls", "Flag football belts", "Flying discs", "Floor hockey sticks"},
}
_DAMAGE = {
    "balls": "several will not hold air", "field": "cracked and brittle", "apparel": "torn, elastic gone",
    "fitness": "handles cracked", "timing": "displays faulty", "electronics": "battery will not hold a charge",
    "gymnastics": "cover torn, foam exposed", "safety": "pads expired", "fixtures": "frayed cable, loose anchor bolt",
    "measurement": "scale worn off", "sticks": "blades cracked", "rackets": "frames cracked", "discs": "rims cracked",
    "cooperative": "seams split", "wheeled": "casters loose", "throwing": "seams split", "striking": "stems cracked",
    "adapted": "balls split", "aquatics": "rope frayed", "weights": "J-hooks loose",
}


@dataclass
class EquipmentPlan:
    row: dict[str, Any]  # without school_id
    school: str
    inspections: list[dict[str, Any]]  # without equipment_id


def plan_equipment(rng: random.Random) -> list[EquipmentPlan]:
    """Per school ~25 items: 3 overdue for inspection (one never inspected), 2 damaged, 3 below minimum."""
    out = []
    for school in DEMO.schools:
        items = [i for i in _COMMON if i[0] not in _SKIP[school]] + list(_EXTRA[school])
        marks = rng.sample(range(len(items)), 8)
        overdue, damaged, low = marks[:3], marks[3:5], marks[5:]
        for n, (name, category, qty, min_qty, interval, units) in enumerate(items):
            wears = category not in ("safety", "aquatics")  # life-safety gear is either fine or out of service
            condition = "damaged" if n in damaged else ("worn" if wears and rng.random() < 0.15 else "good")
            quantity = max(min_qty - rng.randint(1, 4), 0 if min_qty == 1 else 1) if n in low else qty
            if n in overdue:
                last = None if n == overdue[0] else TERM_END - timedelta(days=interval + rng.randint(10, 120))
            else:
                last = TERM_END - timedelta(days=rng.randint(5, interval - 5))
            inspections = []
            if last is not None:
                earlier = last - timedelta(days=interval + rng.randint(-10, 10))
                inspections.append({"inspected_on": earlier, "result": "pass", "notes": None})
                note: str | None
                if condition == "damaged":
                    result, note = rng.choice(("repair", "fail")), f"{_DAMAGE[category].capitalize()}; removed from use"
                elif quantity < min_qty:
                    result, note = "pass", f"Only {quantity} of {qty} on hand; reorder"
                else:
                    result, note = "pass", ("Wear noted; replace next budget cycle" if condition == "worn" else None)
                inspections.append({"inspected_on": last, "result": result, "notes": note})
            elif condition == "damaged":
                condition = "worn"  # damage is only known from an inspection
            row = {"name": name, "category": category, "quantity": quantity, "min_quantity": min_qty,
                   "condition": condition, "inspection_interval_days": interval, "units": list(units)}
            out.append(EquipmentPlan(row, school, inspections))
    return out


def inspector_for(school: str) -> str:
    return next(s.email for s in STAFF if s.school == school and s.role in (Role.coach, Role.teacher))


def alert_rule_rows(district_id: int) -> list[dict[str, Any]]:
    return [
        {"district_id": district_id, "school_id": None, "name": "Serious or critical incidents",
         "min_severity": Severity.serious,
         "incident_types": [], "keywords": [], "enabled": True},
        {"district_id": district_id, "school_id": None, "name": "Safety keywords", "min_severity": None,
         "incident_types": [],
         "keywords": list(DEMO.alert_keywords), "enabled": True},
    ]
