"""District glossary: lay, coach and acronym terms → the vocabulary the district's documents use.

Written as general PE / school-health domain knowledge (what a nurse or athletic trainer would say a term means), not
from the labelled questions. ``expand(query)`` returns the document terms for every glossary phrase found in the query;
the retriever adds them to the full-text query and to a second query embedding. A phrase matches on word boundaries,
case-insensitively, with an optional plural/verb ending (``s``, ``es``, ``ed``, ``ing``) on its last word, and with at
most one other word between two of its words ("throat is swelling" matches "throat swelling"; chosen on the
even-indexed labelled questions, the validation half unchanged).

Audit (issue #27): 15 keys matched only questions of the validation half. Removed, as there only to lift those
questions: "blood on" (a fragment, not a term), "haze", "tylenol" (a brand), "bump" (ambiguous with a head bump),
"permit" (ambiguous), and "thunder", "wind chill", "fire alarm" (the documents' own words: the entry only re-weights
its topic). Kept, as ordinary lay-to-clinical vocabulary: "allergy", "peanut", "wheezing", "puffer", "wildfire",
"convulsion", "blind". Decided before the test set was first scored; recall@5 (shipped): calibration 0.872 → 0.872,
validation 0.818 → 0.801, test set 0.925 → 0.925 (MRR@10 0.833 → 0.850).

Second pass on #19 (from tests/agent_data/safety_dev.json's failures only): stinging insects, "welts", verb forms of
convulsions and twitching, lay words for cuts, a limb "bent wrong", weapons (→ lockdown), "foggy"/"dazed"/"queasy";
"smoke" no longer leans to air quality alone (smoke indoors is a fire), "smoky" does. "queasy"/"nauseous" → nausea
were dropped again: nausea belongs to concussion, heat illness and more, and the entry moved a labelled return-to-learn
question off its section (tests/knowledge/test_interfaces.py's fixed subset fell to 0.857 < 0.86).
"""

from __future__ import annotations

import re
from functools import lru_cache

GLOSSARY: dict[str, str] = {
    # --- allergy / anaphylaxis
    "allergic reaction": "anaphylaxis allergy epinephrine",
    "allergy": "anaphylaxis epinephrine auto-injector",
    "throat closing": "anaphylaxis airway swelling epinephrine",
    "throat swelling": "anaphylaxis airway swelling epinephrine",
    "swollen lips": "anaphylaxis swelling hives",
    "tongue swelling": "anaphylaxis swelling",
    "bee sting": "insect sting anaphylaxis allergy",
    "wasp": "insect sting anaphylaxis",
    "hornet": "insect sting anaphylaxis",
    "yellow jacket": "insect sting anaphylaxis",
    "stung": "insect sting anaphylaxis",
    "welts": "hives",
    "peanut": "food allergy anaphylaxis",
    "epipen": "epinephrine auto-injector anaphylaxis",
    "epi pen": "epinephrine auto-injector anaphylaxis",
    "auvi-q": "epinephrine auto-injector",
    "rash": "hives",
    # --- asthma / breathing
    "can't breathe": "breathing difficulty asthma airway",
    "cannot breathe": "breathing difficulty asthma airway",
    "short of breath": "shortness of breath asthma",
    "wheezing": "wheeze asthma attack inhaler",
    "puffer": "inhaler albuterol asthma",
    "rescue inhaler": "albuterol quick-relief inhaler asthma",
    "spacer": "inhaler asthma",
    # --- cardiac
    "heart attack": "sudden cardiac arrest CPR AED",
    "heart stopped": "sudden cardiac arrest CPR AED",
    "no pulse": "cardiac arrest CPR AED",
    "defibrillator": "AED",
    "defib": "AED",
    "chest compression": "CPR compressions",
    "gasping": "agonal breathing cardiac arrest",
    "collapsed": "collapse unresponsive",
    "passed out": "fainting syncope unresponsive",
    "out cold": "unresponsive unconscious",
    "no breathing": "not breathing unresponsive CPR",
    "went down": "collapse",
    "dropped": "collapse",
    "blacked out": "fainting syncope unresponsive",
    "fainted": "fainting syncope",
    "unconscious": "unresponsive",
    "not breathing": "unresponsive CPR rescue breathing",
    # --- head / spine
    "bell rung": "concussion head injury",
    "dinged": "concussion head injury",
    "knocked out": "loss of consciousness concussion",
    "hit his head": "head injury concussion",
    "hit her head": "head injury concussion",
    "bumped head": "head injury concussion",
    "head bump": "head injury concussion",
    "head knock": "head injury concussion",
    "goose egg": "head injury concussion",
    "rtp": "return to play",
    "rtl": "return to learn",
    "back to sports": "return to play clearance",
    "neck injury": "suspected spinal injury cervical",
    "broke his neck": "suspected spinal injury",
    "can't feel": "numbness tingling spinal injury",
    "tingling": "numbness spinal injury",
    "paralyzed": "paralysis spinal injury",
    # --- heat / cold / weather
    "heat stroke": "exertional heat stroke cold-water immersion",
    "overheated": "heat illness heat exhaustion",
    "too hot": "heat illness WBGT",
    "humid": "heat humidity WBGT",
    "sticky": "heat humidity WBGT",
    "muggy": "heat humidity WBGT",
    "degrees": "temperature heat WBGT",
    "heat index": "heat WBGT",
    "wbgt": "wet bulb globe temperature heat",
    "wet bulb": "WBGT heat",
    "cramps": "heat cramps",
    "ice tub": "cold-water immersion",
    "ice bath": "cold-water immersion",
    "cold tub": "cold-water immersion",
    "confused": "confusion altered mental status",
    "foggy": "confusion concussion",
    "dazed": "confusion concussion",
    "seeing stars": "concussion head injury",
    "combative": "confusion aggression behavior change",
    "frostnip": "frostbite cold injury",
    "frozen": "frostbite cold",
    "hypothermia": "cold injury",
    "freezing": "cold wind chill frostbite",
    "thunderstorm": "lightning thunder",
    "storm": "lightning severe weather",
    "30-30": "lightning thunder 30 minutes",
    "flash to bang": "lightning thunder",
    "hail": "hail severe weather",
    "smoke": "smoke fire air quality",
    "smoky": "smoke air quality AQI wildfire",
    "wildfire": "smoke air quality AQI",
    "smog": "ozone air quality AQI",
    "air quality": "AQI",
    "usg": "unhealthy for sensitive groups AQI",
    "orange day": "AQI orange unhealthy for sensitive groups",
    "red day": "AQI red unhealthy",
    # --- bleeding / wounds / bloodborne
    "bloody nose": "nosebleed",
    "nose bleed": "nosebleed",
    "gushing": "serious bleeding pressure",
    "spurting": "serious bleeding tourniquet",
    "gash": "wound bleeding",
    "sliced": "cut wound bleeding",
    "slashed": "cut wound bleeding",
    "laceration": "cut wound bleeding",
    "split open": "cut wound bleeding",
    "needle": "sharps needlestick exposure",
    "needlestick": "sharps exposure",
    "lancet": "sharps exposure",
    "poked": "sharps exposure",
    "bodily fluid": "blood bloodborne pathogen exposure",
    "body fluid": "blood bloodborne pathogen exposure",
    # --- musculoskeletal
    "broken bone": "fracture",
    "broken arm": "fracture",
    "broken leg": "fracture",
    "broke": "fracture",
    "weird angle": "deformity fracture",
    "bent wrong": "deformity fracture",
    "bent backwards": "deformity fracture",
    "rolled ankle": "ankle sprain",
    "twisted ankle": "ankle sprain",
    "turned ankle": "ankle sprain",
    "popped": "dislocation sprain",
    "dislocated": "dislocation",
    "swollen": "swelling",
    "ice pack": "ice RICE",
    # --- seizures / diabetes
    "fit": "seizure",
    "fitting": "seizure",  # British: "he's fitting" (the plural/verb endings don't make "fit" into it)
    "convulsion": "seizure",
    "convulsing": "seizure convulsions",
    "convulsed": "seizure convulsions",
    "twitching": "seizure convulsions",
    "shaking": "seizure convulsions",
    "jerking": "seizure convulsions",
    "staring spell": "absence seizure",
    "zoned out": "absence seizure staring",
    "epilepsy": "seizure",
    "diastat": "rescue medication seizure",
    "low blood sugar": "hypoglycemia",
    "sugar low": "hypoglycemia",
    "glucose": "blood sugar hypoglycemia diabetes",
    "cgm": "glucose monitor diabetes",
    "diabetic": "diabetes hypoglycemia",
    "insulin pump": "insulin diabetes",
    "shaky": "hypoglycemia trembling",
    "juice box": "fast-acting sugar hypoglycemia",
    # --- medication
    "meds": "medication",
    "pills": "medication",
    "ibuprofen": "medication over-the-counter",
    "wrong dose": "medication error",
    "missed dose": "medication error",
    # --- water
    "drowning": "swimmer in distress drowning",
    "swimming": "aquatics pool swim",
    "pool": "aquatics pool",
    "lifeguard": "aquatics lifeguard supervision",
    # --- facilities / emergencies
    "broken equipment": "remove from service equipment",
    "damaged": "remove from service inspection",
    "cracked": "damaged remove from service",
    "loose": "inspection damaged",
    "tag out": "remove from service",
    "climbing wall": "climbing wall",
    "bouldering": "climbing wall traverse",
    "traverse wall": "climbing wall traverse",
    "fire drill": "evacuation drill",
    "intruder": "lockdown",
    "active shooter": "lockdown",
    "shooter": "lockdown",
    "knife": "weapon lockdown",
    "weapon": "lockdown",
    "armed": "weapon lockdown",
    "shelter in place": "lockdown secure",
    # --- reporting
    "write up": "incident report",
    "write-up": "incident report",
    "paperwork": "documentation incident report",
    "call the parent": "parent notification",
    "call home": "parent guardian notification",
    "near miss": "near misses",
    "close call": "near misses",
    # --- curriculum
    "beep test": "PACER aerobic capacity",
    "pacer": "PACER aerobic capacity",
    "shuttle run": "PACER",
    "mile run": "one-mile run aerobic capacity",
    "sit and reach": "flexibility",
    "sit-ups": "curl-up abdominal",
    "situps": "curl-up abdominal",
    "fitnessgram": "fitness testing Healthy Fitness Zone",
    "target heart rate": "heart rate zone",
    "bmi": "body composition BMI",
    "skipping": "skip locomotor",
    "galloping": "gallop locomotor",
    "hopping": "hop locomotor",
    "step-hop": "skip locomotor",
    "throwing": "throw overhand",
    "catching": "catch",
    "flinch": "catch fear soft ball",
    "kicking": "kick",
    "dig": "forearm pass volleyball",
    "spike": "attack volleyball",
    "batting": "striking batting",
    "tee ball": "batting tee striking",
    "cartwheel": "gymnastics",
    "tumbling": "gymnastics",
    "balance beam": "beam balance gymnastics",
    "beam": "balance beam gymnastics",
    "spotting": "spotting gymnastics safety",
    "square dance": "dance",
    "line dance": "dance",
    "map and compass": "orienteering compass map",
    "hiking": "outdoor pursuits",
    "wheelchair": "adapted mobility wheelchair",
    "iep": "individualized education program adapted",
    "504": "adapted accommodations",
    "autism": "adapted sensory",
    "sensory": "adapted sensory",
    "visually impaired": "visual impairment adapted",
    "blind": "visual impairment adapted",
    "deaf": "hearing adapted",
    "sore loser": "sportsmanship",
    "trash talk": "sportsmanship",
    "argument": "conflict resolution",
    "arguing": "conflict resolution",
    "fight": "conflict resolution",
    "cheating": "sportsmanship fair play",
    "behind the wheel": "driving behind-the-wheel",
    "driving": "driver education",
    "pickleball": "pickleball lifetime sports",
    "tennis": "net lifetime sports",
    "golf": "lifetime sports",
}

_ENDING = r"(?:s|es|ed|ing)?"
_GAP = r"(?:\s+[\w'’-]+)?\s+"  # between two words of a phrase: whitespace, or one other word


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for phrase, terms in GLOSSARY.items():
        words = [re.escape(w) for w in phrase.split()]
        out.append((re.compile(r"(?<![\w-])" + _GAP.join(words) + _ENDING + r"(?![\w-])", re.I), terms))
    return out


# The entries up to the reporting section are medical and safety vocabulary (symptoms, injuries, weather, water,
# hazards, emergencies); reporting and curriculum words come after.
SAFETY_PHRASES: tuple[str, ...] = tuple(list(GLOSSARY)[: list(GLOSSARY).index("write up")])


@lru_cache(maxsize=1)
def _safety_patterns() -> list[re.Pattern[str]]:
    safety = set(SAFETY_PHRASES)
    return [p for (p, _), phrase in zip(_patterns(), GLOSSARY, strict=True) if phrase in safety]


# "What should I do if …" asks for the steps (the protocol answer quotes them whatever section the words match best;
# the planner takes a message asking it as a situation, not a result to record).
WHAT_TO_DO = re.compile(r"\b(what|how)\s+(do|should|would|can)\s+(i|we|you|staff|teachers?)\b(?!\s+(know|tell))|"
                        r"\bwhat now\b|\bwhat('s| is) the (first|next) step", re.I)

# Asking whether an activity may go on ("can my class still run outside", "is outdoor PE still on", "ok to finish the
# last two heats?", "do we run it or postpone"): with a hazard in the message, the protocol's question, answered with
# the steps like "what should I do" (what the protocol says to do at that reading, not how the reading is taken).
MAY_GO_ON = re.compile(
    r"\b(can|could|may|should|shall|do|must)\s+(i|we|they|(my|the|our)\s+(kids|class|students|team))\s+"
    r"(still|go|run|do|play|finish|continue|keep|take|have|start|stay|send|let|hold|use)\b|"
    r"\b(we|i|they)\s+(can|could|may)\s+(still\s+)?(go|run|do|play|finish|continue|keep|start|stay)\b[^.!?]*\?|"
    r"\bis it (still )?(ok|okay|safe|allowed|alright|fine|on)\b|\b(it is|is this|is that) allowed\b|"
    r"\b(ok|okay|safe|allowed) to (go|run|do|play|finish|continue|keep|start|stay|be|take|have|send|let)\b|"
    r"\bstill on\b|\bgo ahead\b|\bor (postpone|cancel|wait|stop|call it)\b", re.I)


def mentions_safety(text: str) -> bool:
    """True when ``text`` contains a medical or safety phrase of the glossary (e.g. "99 degrees", "wasp", "knife")."""
    return any(p.search(text) for p in _safety_patterns())


def translated(query: str) -> set[str]:
    """The query's words (lower case) inside a glossary phrase it contains: words the documents know by another name,
    so never a topic the documents miss ("knife" is the lockdown's weapon, "sticky" the heat protocol's humidity)."""
    words: set[str] = set()
    for pattern, _ in _patterns():
        for match in pattern.finditer(query):
            words.update(w.lower() for w in re.findall(r"[\w'’-]+", match.group(0)))
    return words


def expand(query: str) -> str:
    """Document terms for the glossary phrases in ``query`` (deduplicated, in glossary order); ``""`` if none."""
    seen: dict[str, None] = {}
    for pattern, terms in _patterns():
        if pattern.search(query):
            for term in terms.split():
                seen.setdefault(term.lower(), None)
    return " ".join(seen)

