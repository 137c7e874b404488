"""Static content for the demo: curriculum units, medical flags with nurse notes, adaptations, fitness bands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.records.fitness_bands import published_rows


@dataclass(frozen=True)
class Unit:
    skills: tuple[str, ...]
    activities: tuple[str, ...]


UNITS: dict[str, Unit] = {
    "Movement Foundations": Unit(("Body control", "Spatial awareness", "Balance"),
                                 ("Follow the leader", "Freeze dance", "Animal walks", "Balance challenge")),
    "Locomotor Skills": Unit(("Skipping", "Galloping", "Hopping"),
                             ("Locomotor obstacle course", "Sharks and minnows", "Red light, green light")),
    "Throwing and Catching": Unit(("Underhand throw", "Overhand throw", "Catching"),
                                  ("Bean bag toss", "Partner catch", "Target throw stations")),
    "Fitness Foundations": Unit(("Pacing", "Muscular endurance", "Flexibility"),
                                ("Fitness circuit", "PACER practice", "Stretch and core stations")),
    "Soccer Skills": Unit(("Dribbling", "Passing", "Trapping"),
                          ("Dribble relay", "Passing triangles", "Small-sided soccer")),
    "Striking with Implements": Unit(("Paddle striking", "Batting", "Hand-eye tracking"),
                                     ("Balloon volley", "Tee ball stations", "Paddle rally")),
    "Fitness Testing": Unit(("Aerobic capacity", "Muscular strength", "Flexibility"),
                            ("PACER test", "Push-up and curl-up testing", "Circuit training")),
    "Flag Football": Unit(("Throwing a spiral", "Flag pulling", "Route running"),
                          ("Route running drills", "3v3 flag football", "7v7 flag football")),
    "Ultimate Frisbee": Unit(("Backhand throw", "Forehand throw", "Cutting"),
                             ("Disc passing drills", "Ultimate scrimmage", "Keep-away")),
    "Basketball": Unit(("Dribbling", "Set shot", "Chest pass", "Defensive stance"),
                       ("Dribble knockout", "3v3 half court", "Layup lines", "5v5 scrimmage")),
    "Volleyball": Unit(("Forearm pass", "Set", "Underhand serve"),
                       ("Serve and receive", "Cooperative rally", "6v6 volleyball")),
    "Soccer": Unit(("Passing", "Shooting", "Defending"),
                   ("Rondo", "Small-sided games", "11v11 scrimmage")),
    "Tennis": Unit(("Forehand", "Backhand", "Serve"), ("Rally drills", "Singles play", "Doubles play")),
    "Swimming": Unit(("Freestyle", "Treading water", "Backstroke"),
                     ("Lap swim", "Water safety drills", "Relay swim")),
    "Strength Training": Unit(("Squat technique", "Hinge technique", "Program design"),
                              ("Technique stations", "Circuit training", "Personal program session")),
    "Boccia": Unit(("Aiming", "Release control", "Strategy"), ("Boccia singles", "Boccia pairs", "Target rolls")),
    "Adapted Basketball": Unit(("Chest pass", "Shooting", "Ball handling"),
                               ("Lowered-hoop shooting", "Partner passing", "Modified 3v3")),
}


@dataclass(frozen=True)
class Medical:
    flag: str
    category: str  # allergy | asthma | medication | injury | other (HealthNote.category)
    note: str
    weight: int
    valid_until: date | None = None


MEDICAL: tuple[Medical, ...] = (
    Medical("Asthma: inhaler kept in PE office", "asthma",
            "Mild intermittent asthma. Albuterol inhaler, 2 puffs 15 minutes before vigorous activity or at the "
            "first wheeze; spare inhaler labelled in the PE office. Call the nurse if no relief after 2 doses.", 6),
    Medical("Asthma: carries own inhaler", "asthma",
            "Self-carry authorised by physician. Allow breaks on request; cold air and pollen are triggers. Any "
            "difficulty speaking in full sentences: call the nurse and 911.", 4),
    Medical("Exercise-induced asthma: gradual warm-up", "asthma",
            "Needs a 10-minute graded warm-up before running units. Inhaler in backpack.", 3),
    Medical("Severe peanut allergy: EpiPen in nurse office", "allergy",
            "History of anaphylaxis (2023). EpiPen Jr x2 in the nurse office, one in the PE first-aid bag on field "
            "days. Give epinephrine for any breathing or throat symptoms, then call 911. No shared snacks.", 3),
    Medical("Bee sting allergy: EpiPen in PE bag", "allergy",
            "Systemic reaction to bee stings (2024). EpiPen travels with the class for outdoor lessons. Call 911 "
            "after any dose.", 2),
    Medical("Type 1 diabetes: glucose tabs in bag", "medication",
            "Insulin pump. Check glucose before PE; below 80 mg/dL give 15 g glucose tabs and recheck in 15 "
            "minutes. No vigorous activity above 300 mg/dL with ketones. CGM alerts on phone.", 2),
    Medical("Epilepsy: seizure action plan on file", "other",
            "Generalised seizures, well controlled. If a seizure lasts over 5 minutes, call 911 and give rescue "
            "medication per plan. No swimming without 1:1 supervision.", 1),
    Medical("Heart murmur: cleared for full activity", "other",
            "Cardiology clearance on file (2025). Stop activity and call the nurse for chest pain, fainting or "
            "unusual breathlessness.", 1),
    Medical("Recent wrist fracture: no weight-bearing on left arm", "injury",
            "Cast removed 2026-10-28. No push-ups, cartwheels or contact until physician clearance.", 1,
            date(2026, 12, 15)),
    Medical("Concussion: return-to-play protocol, light aerobic only", "injury",
            "Concussion 2026-10-30 (outside school). Stage 2 of return-to-play: light aerobic activity only, no "
            "contact, no heading. Physician clearance required before full participation.", 1, date(2026, 12, 4)),
    Medical("Latex allergy: use non-latex equipment", "allergy",
            "Contact dermatitis to latex. Use vinyl gloves and non-latex balls and bands.", 1),
)

ADAPTATIONS: tuple[str, ...] = (
    "Hearing aid: face the student and use visual cues",
    "Wheelchair user: modified court activities, accessible routes",
    "Low vision: high-contrast balls and verbal cues",
    "ADHD: short instructions and movement breaks",
    "Autism: preview schedule changes; quiet space available",
    "Limited endurance: self-paced, rest on request",
    "Prosthetic lower limb: modified running distances",
)

# The demo's results are drawn around the published FitnessGram bands (domain/records/data/fitnessgram_hfz.csv).
FITNESS_TESTS: tuple[tuple[str, str], ...] = (("pacer", "laps"), ("push_ups", "reps"), ("curl_ups", "reps"),
                                              ("sit_and_reach_left", "in"), ("trunk_lift", "in"),
                                              ("sit_and_reach_right", "in"))
_PUBLISHED = {(str(r["test"]), str(r["sex"]), int(r["age"])): r for r in published_rows()}  # type: ignore[call-overload]


def healthy_min(test: str, sex: str, age: int) -> float:
    """The published lower bound at the nearest age that has one; sex X uses the lower of the F and M bounds.
    For generating demo values only: the widgets read the bands from the database."""
    if sex == "X":
        return min(healthy_min(test, "F", age), healthy_min(test, "M", age))
    ages = sorted(a for t, s, a in _PUBLISHED if t == test and s == sex)
    nearest = min(ages, key=lambda a: (abs(a - age), a))
    return float(_PUBLISHED[(test, sex, nearest)]["healthy_min"])  # type: ignore[arg-type]


def fitness_band_rows() -> list[dict[str, object]]:
    return published_rows()
