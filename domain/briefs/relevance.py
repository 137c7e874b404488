"""Which medical flags a pre-class brief shows for the class's current unit: a small table, condition → the kinds of
activity it matters for, with the reason for each row. A brief is read in the minute before class; a flag that
cannot matter today (a nut allergy with no epinephrine before a swimming lesson) pushes the one that can off the
teacher's attention, so it is left out of the brief (the safety risks widget still lists every flag).

Rules, most important first:
- Life-threatening conditions are always shown, whatever the activity: anaphylaxis risk with epinephrine, seizures,
  cardiac conditions, diabetes (insulin), and injuries or return-to-play restrictions (they limit participation
  itself). A flag is matched against the rows in order, so "peanut allergy: EpiPen" is anaphylaxis, never the
  food-allergy row.
- A flag no row recognises is shown (Faraday cannot judge it, so the teacher must).
- When the unit is unknown, or names no activity kind in ``ACTIVITY_KINDS``, every flag is shown.
- Otherwise a flag is shown when its condition's activity kinds meet the unit's.

Sources for the reasons: AAAAI/ACAAI guidance on exercise-induced bronchoconstriction (sustained vigorous exercise,
cold dry air, pollen, chlorinated pools); the district's anaphylaxis, seizure, cardiac and diabetes protocols in the
knowledge base (``knowledge/corpus``); AAP latex allergy guidance (balloons, balls, bands, swim caps)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    pattern: re.Pattern[str]
    kinds: frozenset[str] | None  # None: always shown
    why: str


def _c(key: str, pattern: str, kinds: str | None, why: str) -> Condition:
    return Condition(key, re.compile(pattern, re.I), frozenset(kinds.split()) if kinds is not None else None, why)


# Activity kinds a unit's name can show (a unit can be several: soccer is endurance, outdoor and ball).
ACTIVITY_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aquatic", re.compile(r"swim|aquatic|pool|water|diving", re.I)),
    ("endurance", re.compile(r"run|pacer|endurance|cross.?country|track|fitness|aerobic|soccer|football|frisbee|"
                             r"ultimate|basketball|lacrosse|hockey|locomotor|dance|jump.?rope|tennis", re.I)),
    ("outdoor", re.compile(r"soccer|football|frisbee|ultimate|track|cross.?country|tennis|softball|baseball|"
                           r"lacrosse|field|golf|orienteering|hiking", re.I)),
    ("ball", re.compile(r"ball|soccer|tennis|boccia|throw|catch|striking|paddle|frisbee|ultimate", re.I)),
    ("strength", re.compile(r"strength|weight|resistance|circuit|gymnastic|tumbling|climb", re.I)),
    ("low_exertion", re.compile(r"boccia|balance|movement foundations|yoga|stretch|bowling|golf|archery|target",
                                re.I)),
    ("food", re.compile(r"nutrition|cooking|snack|picnic|field day", re.I)),
)

CONDITIONS: tuple[Condition, ...] = (
    _c("anaphylaxis", r"anaphyla|epi-?pen|(?<!no )epinephrine|auvi-?q|neffy", None,  # "no epinephrine": not it
       "minutes matter and exposure can happen in any lesson (a snack in a pocket, a sting through an open door): "
       "the teacher must know where the epinephrine is"),
    _c("seizure", r"seizure|epilep", None,
       "exertion, heat and dehydration lower the threshold; every activity needs the first-aid plan at hand"),
    _c("cardiac", r"heart|cardiac|murmur|arrhythm|long qt|pacemaker|marfan|\bsvt\b", None,
       "sudden cardiac arrest in the young happens during exertion: any PE lesson"),
    _c("diabetes", r"diabet|insulin|hypoglyc", None,
       "every activity burns glucose; hypoglycaemia can come during or after any lesson"),
    _c("restriction", r"fracture|sprain|concussion|return.to.play|no weight|no contact|\bcast\b|surgery|injur|"
                      r"cleared", None,
       "a participation restriction applies to whatever the class does"),
    _c("asthma", r"asthma|inhaler|bronch", "endurance aquatic outdoor",
       "exercise-induced bronchoconstriction follows sustained vigorous exercise; cold dry air, pollen and pool "
       "chlorine are triggers; low-intensity units rarely set it off"),
    _c("insect", r"\bbee\b|wasp|sting|insect", "outdoor",
       "stings happen outdoors (a sting allergy with epinephrine is the anaphylaxis row, always shown)"),
    _c("latex", r"latex", "ball strength aquatic",
       "latex is in some balls, resistance bands and swim caps"),
    _c("food", r"food|peanut|tree nut|\bnuts?\b|dairy|milk|gluten|egg|shellfish|sesame", "food",
       "PE serves no food; only a unit with food (field day, nutrition) needs it (with epinephrine: anaphylaxis row)"),
)


def activity_kinds(unit: str | None) -> frozenset[str]:
    if not unit:
        return frozenset()
    return frozenset(kind for kind, pattern in ACTIVITY_KINDS if pattern.search(unit))


def condition(flag: str) -> Condition | None:
    return next((c for c in CONDITIONS if c.pattern.search(flag)), None)


def relevant(flag: str, unit: str | None) -> bool:
    """Whether a brief before a lesson of ``unit`` shows ``flag`` (the rules in the module docstring)."""
    found = condition(flag)
    kinds = activity_kinds(unit)
    if found is None or found.kinds is None or not kinds:
        return True
    return bool(found.kinds & kinds)
