"""Typo repair for the planner's keywords: a word one edit away (two for long words) from a domain word is read
as that word. Names are left alone (the roster matcher is fuzzy on its own)."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA

VOCABULARY = set(
    """attendance absent absences tardy schedule calendar meeting appointment conference tryouts orientation lesson
    plan planning equipment inspection inspections inspected assessed assessment assessments assess progressions
    progression struggling softball football volleyball basketball badminton pickleball gymnastics soccer frisbee
    orienteering during wheezing hyperventilating unconscious sophomore sophomores freshman freshmen junior juniors
    senior seniors kindergarten protocol procedure concussion participation participating fitness trends teams
    incident incidents injury injuries emergency contact allergies allergic medical inhaler seizure sprained twisted
    dislocated fractured bleeding nosebleed recommend department insights overview adaptations adapted accommodations
    strength training warmups stretching dodgeball lightning thunder weather temperature humidity hydration""".split()
)
WORD = re.compile(r"[A-Za-z]{5,}")


@lru_cache(maxsize=4096)
def _fix(word: str) -> str:
    lower = word.lower()
    if lower in VOCABULARY:
        return word
    allowed = 1 if len(lower) < 8 else 2
    best, best_distance = word, allowed + 1
    for candidate in VOCABULARY:
        if abs(len(candidate) - len(lower)) > allowed or candidate[0] != lower[0]:
            continue
        distance = OSA.distance(lower, candidate, score_cutoff=allowed)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def repair(text: str) -> str:
    return WORD.sub(lambda m: _fix(m.group(0)), text)
