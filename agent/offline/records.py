"""Recording the PE day from chat (offline planner): attendance, fitness results, rubric levels, equipment checks.

``classify_record`` returns an intent for take_attendance / record_fitness / record_skills / check_equipment, or
None when the utterance is not a recording (questions about the same topics go to the widgets). Names are runs of
roster words (fuzzy, as for look-ups); each name takes the status, value or level written next to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.offline import slots
from agent.offline.intent import Intent
from agent.offline.names import _as_name, _words
from domain.names import NameParts, name_index, normalize

# Words that are never names here, even when a roster has someone called Miles or Mark.
_NOT_NAMES = set("""pacer laps lap mile run ran push pushups pushup ups curl curls trunk lift sit reach absent
tardy late
excused present period rubric level levels dribbling layup layups pass passing shot shooting stance defense
pivoting score scores scored results result record enter log attendance roll everyone all except and today
inches inch out sick kit gym clothes note doctor knee ankle got gets did on the a an for in with was is are
fitnessgram fitness test skill skills assessment assess rate checked inspected inspection equipment set jump
bounce chest form""".split())  # noqa: SIM905

QUESTION = re.compile(r"\?\s*$|^\s*(who|whos|who's|what|whats|what's|how|which|when|why|is|are|any|show|list|"
                      r"did anyone|has)\b", re.I)
NOT_RECORDING = re.compile(r"\b(lesson|plan|teach\w*|progressions?|this month|this week|lately|so far|"
                           r"trends?|attendance (rate|problems?|issues?|concerns?|patterns?)|report|chronic\w*|"
                           r"schedule|calendar|(run|show|pull up|see|view)( me)?( the)? attendance)\b", re.I)

# --- attendance --------------------------------------------------------------------------------------------------
ATTENDANCE_ASK = re.compile(r"\b((take|do|record|mark|enter|log)( the)? attendance|(take|do|call)( the)? roll|"
                            r"attendance (for|in|period|p\d|"
                            r"today|-|:)|roll call|take roll|attendance$|^attendance\b|i need to do attendance|"
                            r"(all|everyone|everybody) (present|here))", re.I)
INCIDENT = re.compile(r"\b(rolled|fell|collided|crashed|bleeding|fainted|passed out|threw up|vomited|"
                      r"hit (his|her|their) "
                      r"head|got hurt|got hit|incident|dizzy|faint|wheez\w*|asthma|nosebleed|stung|allergic|"
                      r"felt (sick|ill))\b", re.I)
STATUS_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("sat_out", re.compile(r"\b(sat out|sitting out|sit out|sat-out|sits out|did ?n[o']t participate)\b", re.I)),
    ("excused", re.compile(r"\bexcused\b", re.I)),
    ("tardy", re.compile(r"\b(tardy|late)\b", re.I)),
    # "was out (in 3rd period)" is absence; "was out at recess", "were out on the field", "out in the snow" a place
    ("absent", re.compile(r"\b(absent|out sick|(was|were) out(?! (at|on|by|near|behind|past|under|around)\b| in the "
                          r"(?!morning|afternoon))|not here|no[- ]show|missing)\b", re.I)),
    ("present", re.compile(r"\b(present|here)\b", re.I)),
]
REASONS: list[tuple[str, re.Pattern[str]]] = [
    ("medical_note", re.compile(r"\b(note|doctor'?s?|dr\.?|medical)\b", re.I)),
    ("no_kit", re.compile(r"\b(kit|clothes|uniform|shoes|sneakers|dressed|change)\b", re.I)),
    ("illness", re.compile(r"\b(sick|ill|illness|nause\w*|headache|fever|unwell)\b", re.I)),
    ("injury", re.compile(r"\b(injur\w*|sore|hurt|twisted|sprain\w*|ankle|knee|wrist|back|shoulder|pulled)\b", re.I)),
]
EXCEPT = re.compile(r"\b(everyone|all|everybody)\b.*\b(except|but)\b", re.I)

# --- fitness -----------------------------------------------------------------------------------------------------
TESTS: list[tuple[str, re.Pattern[str]]] = [
    ("pacer", re.compile(r"\b(pacer|laps?)\b", re.I)),
    ("push_ups", re.compile(r"\bpush[- ]?ups?\b", re.I)),
    ("curl_ups", re.compile(r"\bcurl[- ]?ups?\b", re.I)),
    ("trunk_lift", re.compile(r"\btrunk lift\b", re.I)),
    ("mile_run", re.compile(r"\b(mile|mile run|mile time)\b", re.I)),
    ("sit_and_reach_left", re.compile(r"\bsit[- ]and[- ]reach\b.*\bleft\b|\bleft\b.*\bsit[- ]and[- ]reach\b", re.I)),
    ("sit_and_reach_right", re.compile(r"\bsit[- ]and[- ]reach\b.*\bright\b|\bright\b.*\bsit[- ]and[- ]reach\b", re.I)),
]
FITNESS_ANY = re.compile(r"\b(pacer|laps?|push[- ]?ups?|curl[- ]?ups?|trunk lift|mile|sit[- ]and[- ]reach|fitnessgram|"
                         r"fitness test)\b", re.I)
RECORD_VERB = re.compile(r"\b(record|enter|log|input|add|put in|results?|scores?|times?)\b", re.I)
VALUE = re.compile(r"\b(\d{1,2}:\d{2}|\d{1,3}(?:\.5)?)\b")

# --- skills ------------------------------------------------------------------------------------------------------
SKILLS = ("shooting form", "defensive stance", "chest pass", "bounce pass", "overhead pass", "set shot", "jump shot",
          "forearm pass", "underhand serve", "overhand serve", "layups", "layup", "dribbling", "passing", "shooting",
          "defense", "pivoting", "rebounding", "footwork", "serve", "serving", "bump", "volley", "spike", "trapping",
          "throwing", "catching", "kicking", "striking", "forehand", "backhand", "juggling")
SKILL_CUE = re.compile(r"\b(rubric|level|assess\w*|skills?( check)?|rate|rating|scored?|gets? an?|got an?|give .+ an?|"
                       r"is an?|out of 4|benchmark|developing|meeting|exceeding|beginning)\b", re.I)
LEVEL = re.compile(r"\b([1-4])\b(?!\s*:)")

# --- equipment ---------------------------------------------------------------------------------------------------
EQUIPMENT = ("climbing harnesses", "harnesses", "harness", "basketballs", "basketball", "soccer balls", "volleyballs",
             "foam balls", "cones", "pinnies", "jump ropes", "jump rope", "stopwatches", "stopwatch",
             "pacer audio speaker", "pacer speaker", "speaker", "folding mats", "folding mat", "gym mats", "gym mat",
             "mats", "mat", "first-aid kit", "first aid kit", "aed", "portable basketball hoops", "portable hoops",
             "lowered basketball hoop", "lowered hoop", "hoops", "hoop", "volleyball net system", "volleyball net",
             "soccer goals", "measuring tape", "sit-and-reach box", "sit and reach box", "floor hockey sticks",
             "floor hockey stick", "badminton rackets", "flag football belts", "flying discs", "heart rate monitors",
             "heart rate monitor", "pickleball paddles", "pickleball paddle", "boccia sets", "resistance bands",
             "rescue tubes", "squat racks", "barbells", "weight benches", "tennis rackets", "scooter boards",
             "hula hoops", "bean bags", "balance beams", "parachute")
CHECKED = re.compile(r"\b(checked|inspected|inspection|equipment check|check(ed)? out|passed inspection|did the "
                     r"(monthly |weekly )?(check|inspection))\b", re.I)
ITEM = re.compile(r"#\s?(\d{1,3})")
FAIL = re.compile(r"\b(frayed|torn|tear|rip|ripped|cracked|crack|broken|broke|snapped|flat|dead|doesn'?t work|"
                  r"does not work|won'?t|not working|damaged|split|bent|worn through|missing|flashing|stuck|"
                  r"peeling)\b", re.I)
REPAIR = re.compile(r"\b(needs? (a )?(repair|fixing|fixed|new|replac\w*|restock\w*|tighten\w*)|loose|wobbly|sticks)\b",
                    re.I)
FINE = re.compile(r"\b(fine|ok|okay|good|working|passed|all there|in date|no issues|no problems)\b", re.I)

CLAUSE = re.compile(r"[,;:]|\s-\s|\s—\s|\.\s")


@dataclass(frozen=True, slots=True)
class Found:
    name: str
    start: int
    end: int


def names_in(text: str, roster: list[NameParts]) -> list[Found]:
    """Every run of roster words in the text, in order, with where it is (longest runs; at most 3 words each)."""
    tokens = name_index(roster)
    found: list[Found] = []
    run: list[tuple[str, int, int]] = []

    def close() -> None:
        if run:
            found.append(Found(" ".join(w for w, _, _ in run[:3]), run[0][1], run[-1][2]))
            run.clear()

    for m in re.finditer(r"[^\s,;:()!?.]+", text):
        raw = m.group(0)
        words = _words(raw)
        word = words[0] if words else ""
        if not word or normalize(word) in _NOT_NAMES or word[:1].isdigit() or word.startswith("#"):
            close()
            continue
        as_name = _as_name(word, tokens, continuing=bool(run))
        if as_name is None:
            close()
            continue
        run.append((as_name, m.start(), m.end()))
        if as_name != word:
            close()
    close()
    return found


def classify_record(text: str, keyed: str, roster: list[NameParts], now: datetime) -> Intent | None:
    """An ``Intent`` for a recording, or None."""
    if (QUESTION.search(keyed) and not ATTENDANCE_ASK.search(keyed)) or NOT_RECORDING.search(keyed):
        return None
    equipment = _equipment(text, keyed)
    if equipment is not None:
        return Intent("check_equipment", equipment)
    if FITNESS_ANY.search(keyed):
        fitness = _fitness(text, keyed, roster)
        if fitness is not None:
            return Intent("record_fitness", fitness)
    skills = _skills(text, keyed, roster)
    if skills is not None:
        return Intent("record_skills", skills)
    attendance = _attendance(text, keyed, roster)
    if attendance is not None:
        return Intent("take_attendance", attendance)
    return None


def _without_class(text: str) -> str:
    """The text with class references blanked out (their digits are not values or levels)."""
    return re.sub(r"\b(period|per\.?|p|pe|grade)\s*\d{1,2}\b|\b\d(st|nd|rd|th) period\b|\b\d{1,2}(st|nd|rd|th) grade\b",
                  lambda m: " " * len(m.group(0)), text, flags=re.I)


def _attendance(text: str, keyed: str, roster: list[NameParts]) -> dict[str, Any] | None:
    asked = bool(ATTENDANCE_ASK.search(keyed))
    if INCIDENT.search(keyed) and not asked:
        return None  # "she fell and sat out": an incident, not attendance
    marks: list[dict[str, Any]] = []
    if EXCEPT.search(keyed):
        tail = re.split(r"\b(?:except|but)\b", text, maxsplit=1, flags=re.I)[1]
        for f in names_in(tail, roster):
            marks.append({"student": f.name, "status": _status(tail) or "absent", "reason": None})
    else:
        for clause in _clauses(text):
            status = _status(clause)
            if status is None:
                continue
            for f in names_in(clause, roster):
                reason = _reason(clause) if status == "sat_out" else None
                marks.append({"student": f.name, "status": status, "reason": reason})
    marks = [m for m in marks if m["status"] != "present"]
    if not marks and not asked:
        return None
    return {"class": slots.class_ref(keyed), "day": None, "marks": marks}


def _clauses(text: str) -> list[str]:
    """Comma/colon/dash clauses, and "X was late and Y absent" split at "and" when each side has its own status."""
    out = []
    for clause in CLAUSE.split(text):
        parts = re.split(r"\band\b", clause)
        if len(parts) > 1 and sum(_status(p) is not None for p in parts) > 1:
            out += parts
        else:
            out.append(clause)
    return out


def _status(clause: str) -> str | None:
    for status, pattern in STATUS_WORDS:
        if pattern.search(clause):
            return status
    return None


def _reason(clause: str) -> str | None:
    for reason, pattern in REASONS:
        if pattern.search(clause):
            return reason
    return None


def _fitness(text: str, keyed: str, roster: list[NameParts]) -> dict[str, Any] | None:
    test = next((name for name, pattern in TESTS if pattern.search(keyed)), None)
    plain = _without_class(text)
    pairs = _pairs(plain, roster, VALUE)
    if not pairs and not RECORD_VERB.search(keyed) and not (test and slots.class_ref(keyed)):
        return None
    if not pairs and not (re.search(r"\b(record|enter|log|input|add|put in)\b", keyed, re.I)
                          or (test and slots.class_ref(keyed) and re.search(r"\b(for|in)\b", keyed, re.I))):
        return None
    if test == "pacer" and re.search(r"\bmile\b", keyed, re.I) and not re.search(r"\bpacer\b", keyed, re.I):
        test = "mile_run"
    return {"test": test, "class": slots.class_ref(keyed), "day": None,
            "results": [{"student": n, "value": v} for n, v in pairs]}


def _pairs(text: str, roster: list[NameParts], value: re.Pattern[str]) -> list[tuple[str, str]]:
    """Each name with the value written after it (before the next name), or else just before it."""
    names = names_in(text, roster)
    values = [(m.start(), m.group(1)) for m in value.finditer(text)]
    pairs = []
    for i, f in enumerate(names):
        limit = names[i + 1].start if i + 1 < len(names) else len(text)
        after = [v for pos, v in values if f.end <= pos < limit]
        before_limit = names[i - 1].end if i > 0 else 0
        before = [v for pos, v in values if before_limit <= pos < f.start]
        chosen = after[0] if after else (before[-1] if before else None)
        if chosen is not None:
            pairs.append((f.name, chosen))
    return pairs


def _skills(text: str, keyed: str, roster: list[NameParts]) -> dict[str, Any] | None:
    lowered = keyed.lower()
    skill = next((s for s in SKILLS if re.search(rf"\b{re.escape(s)}\b", lowered)), None)
    if skill is None or not (SKILL_CUE.search(keyed) or LEVEL.search(_without_class(text))):
        return None
    if slots.widget(keyed) in ("skill_gaps", "assessment_status"):
        return None
    plain = _without_class(text)
    pairs = _pairs(plain, roster, LEVEL)
    if not pairs and not re.search(r"\b(assess\w*|rubric|rate|record|enter|skills?)\b", keyed, re.I):
        return None
    return {"skill": skill, "class": slots.class_ref(keyed), "day": None,
            "levels": [{"student": n, "level": int(v)} for n, v in pairs]}


def _equipment(text: str, keyed: str) -> dict[str, Any] | None:
    lowered = text.lower()  # not the typo-repaired copy: it turns "volleyballs" into "volleyball"
    item = next((e for e in sorted(EQUIPMENT, key=len, reverse=True) if re.search(rf"\b{re.escape(e)}\b", lowered)),
                None)
    checked = CHECKED.search(keyed)
    defect = FAIL.search(keyed) or REPAIR.search(keyed)
    numbered = ITEM.search(keyed)
    leads = re.match(rf"\s*(the |our |my )?{re.escape(item)}\b", lowered) if item else None
    if item is None or not (checked or numbered or (defect and leads)):
        return None
    problems: list[dict[str, Any]] = []
    for clause in re.split(r"[,;:]|\s-\s|\.\s|\bbut\b", text):
        numbers = ITEM.findall(clause)
        fail, repair = FAIL.search(clause), REPAIR.search(clause)
        if not (fail or repair):
            continue
        result = "repair" if repair else "fail"
        note = clause.strip()[:200]
        if not numbers and problems and not any(e in clause.lower() for e in EQUIPMENT):
            for p in problems:  # "…#7 has a rip, needs repair": the follow-up says what the last item needs
                p["result"] = "repair" if repair else p["result"]
                p["note"] = f"{p['note']}; {note}"[:200]
            continue
        if numbers:
            problems += [{"item": f"#{n}", "result": result, "note": note} for n in numbers]
        elif not re.search(r"\b\d+ (are|were)\b", clause):  # "3 are flat": a count, not one item
            problems.append({"item": None, "result": result, "note": note})
    return {"equipment": item, "problems": problems, "day": None}
