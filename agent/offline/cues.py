"""The words that cue each intent of the offline planner (``agent.offline.intents``), matched on a typo-repaired copy of
the message (``agent.offline.spelling``)."""

from __future__ import annotations

import re

GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|howdy|yo)\b"
                      r"[\s!.,]*(there|faraday)?[\s!.]*$", re.I)
THANKS = re.compile(r"^\s*(thanks|thank you|thx|ty|cheers|great,? thanks|perfect|awesome|got it)\b"
                    r"[\s!.,]*(so much|faraday)?[\s!.]*$", re.I)
HELP = re.compile(r"^\s*(help|\?|commands|menu|what can you do|what do you do|"
                  r"how do (i|you) use (you|this|faraday)( \w+)?)\s*[?!.]*\s*$", re.I)
STUDENT_NUMBER = re.compile(r"\b[Ss]\d{4,9}\b")
FORM_WORDS = re.compile(r"\b(forms?)\b", re.I)
FORM_KIND = [("incident", re.compile(r"\b(incident|injury|accident)\b", re.I)),
             ("lesson", re.compile(r"\blesson\b", re.I)),
             ("event", re.compile(r"\b(event|meeting|calendar)\b", re.I))]
BARE_FORM = [
    ("incident", re.compile(r"^\s*(i (need|want|have) to |can you |please |let'?s )?"
                            r"(log|report|file|record|write up|document|new|start)"
                            r"( an?| the| new)? (incident|injury|accident)( report)?\s*[.!?]*\s*$", re.I)),
    ("lesson", re.compile(r"^\s*(i (need|want) to |can you |please )?(plan|request|make|create|new)( me)?( an?| the)? "
                          r"lesson( plan)?\s*[.!?]*\s*$|^\s*i want to request a lesson plan\s*[.!?]*$", re.I)),
    ("event", re.compile(r"^\s*(i (need|want) to |can you |please )?(schedule|create|add|new|make)( an?| the)? "
                         r"(event|something|meeting)( to (the|my) calendar)?\s*[.!?]*\s*$", re.I)),
]
WRITE_UP = re.compile(r"\b(write (it|this|that|them) up|(a|the|proper) write-?up|"
                      r"need to (report|log|document) (it|this)|fill out an? (incident|accident) report)\b", re.I)
QUESTION = re.compile(r"^\s*(what|how|when|why|where|which|should|can|could|is|are|do|does|who|whos|who's|any)\b|"
                      r"\?\s*$|"
                      r"\b(what (stage|should|do)|should (she|he|they|i|we)|when can)\b", re.I)
DANGLING = re.compile(r"\b(on|about|of|the|my|an?)\s*$", re.I)
STRONG_PROTOCOL = re.compile(r"\b(protocol|procedure|policy|policies|progressions?|cues|how often|guidelines?)\b", re.I)
PROTOCOL = re.compile(
    r"\b(protocol|procedure|policy|guideline\w*|rules?|what (do|should) (i|we)|how (do|should) (i|we|you)|steps|"
    r"return to (play|learn)|signs? of|symptoms|first aid|when can (she|he|they)|how long|is it safe|safe to|too hot|"
    r"too cold|heat index|wbgt|aqi|air quality|lightning|thunder|cpr|aed|epi-?pen|concussion protocol|what now|"
    r"should i (move|call|keep|send|let)|cues?|progressions?|outcomes?|standards?|rubric|exit ticket|ideas? for|basics|"
    r"strateg\w+|lead[- ]up games|how to teach|teaching cues|evacuat\w*|lockdown|fire drill|need gloves|"
    r"calculate|how many .* (need|required)|set up the|how often|give a (kid|student)|medication|tylenol|ibuprofen|"
    r"field trip)\b",
    re.I,
)
CURRICULUM = re.compile(r"\b(cues?|progressions?|outcomes?|standards?|teach\w*|unit|rubric|exit ticket|drills?|games?|"
                        r"ideas?|assessment ideas|strateg\w+|basics|heart rate|fitnessgram|pacer test protocol|"
                        r"behind the wheel hours|kitchen rule|adapting|sportsmanship|map reading|warm ?up ideas)\b",
                        re.I)
LOOKUP = re.compile(
    r"\b(show( me)?|look ?up|find|pull up|who is|whos|who's|tell me about|info(rmation)? (on|about|for)|profile|"
    r"details (on|for|about)|student card|emergency contact|allerg\w*|medical|health|"
    r"contact (info )?for|what (class|grade|period)|which (class|period)|is \w+ in my|who do i call|"
    r"guardian|parents?'? (phone|number|contact)|phone|number)\b",
    re.I,
)
MEDICAL = re.compile(r"\b(allerg\w*|medical|health|asthma|inhaler|epi-?pen|diabet\w*|conditions?|flags?|meds|"
                     r"medication|note on file)\b", re.I)
CONTACT = re.compile(r"\b(emergency contact|contact|parents?|guardians?|mom|dad|phone|number|call home|"
                     r"who do i call)\b", re.I)
LESSON = re.compile(r"\blesson\b", re.I)
# asked for: a making word before "lesson" ("I need a lesson on...", not "... lesson. does she need to be seen")
LESSON_MAKE = re.compile(r"\b(plan|make|create|write|build|design|give me|need|want|ideas?)\b(?=.{0,40}\blesson)|"
                         r"\blesson plan", re.I)
ASKS = re.compile(r"\?|\b(do|can|should|could|may|must|is|are) (we|i|they|he|she|you|it)\b", re.I)
PEOPLE = re.compile(r"\b(kids?|students?|child(ren)?|boys?|girls?|athletes?|players?|swimmers?|runners?|wrestlers?|"
                    r"class|team|squad|graders?|freshm[ae]n|sophomores?|juniors?|seniors?|pe|gym|practice|recess)\b",
                    re.I)
SCHEDULE = re.compile(r"\b(schedule|(?<!aid )(?<!log )book|set up (a|an)|set an? (meeting|call)|calendar|"
                      r"block off|remind me|arrange|reserve|mtg|meeting|conference|tryouts|orientation|night)\b", re.I)
CALENDAR_READ = re.compile(
    r"\b(on my (calendar|schedule|agenda)|my (calendar|schedule|agenda|meetings|events)|"
    r"(do|have) i (have|got) (any(thing)?|a|\w+)? ?(meetings?|events?|on)\b|am i (free|busy))", re.I)
CALENDAR_ASK = re.compile(r"^\s*(what|whats|what's|show|list|check|read|tell me|do|am|have|any|is there|"
                          r"open|pull up|give me)\b|\?\s*$", re.I)
CALENDAR_WRITE = re.compile(r"\b(schedule (a|an|the|my)|book|add|create|put|set up|block( off)?|make|new|invite|"
                            r"move|cancel|reschedule)\b", re.I)
INCIDENT_CUE = re.compile(
    r"\b(rolled|sprained|twisted|fell|hurt|injured|cut|scraped|bled|bleeding|collided|crashed|hit|broke|dropped|"
    r"fainted|passed out|threw up|vomited|got hit|banged|bumped|jammed|pulled|tripped|slipped|landed|dislocated|"
    r"had an? (asthma attack|allergic reaction|seizure|nosebleed|accident)|"
    r"got (hurt|injured|a nosebleed|stung|hives|heat)|"
    r"was (wheezing|dizzy|stung|bitten|unconscious|knocked out)|felt (dizzy|sick|faint)|punched|pushed|fought|"
    r"fistfight|fight|swore|chucked|kicked|knocked out|took a .* to the|almost|hyperventilating|incident:|"
    r"log an incident|report)\b",
    re.I,
)
OUT_OF_SCOPE = re.compile(r"\b(weather|(going to|gonna|will it) (rain|snow)|forecast for|joke|capital of|recipe|"
                          r"stocks?|bitcoin|poem|essay|report card comments?|"
                          r"homework|translate|movie|song|score|who won|news|president|printer|netflix|wifi|password|"
                          r"lunch menu|payroll|salary|parking)\b", re.I)
SHOPPING = re.compile(r"\b(amazon|order (\d+ )?(new )?\w+ (off|from|on)|buy me|purchase|place an order)\b", re.I)
WIDGET_ASK = re.compile(r"\b(how (is|are|many|has|'s)|show|list|who|whos|which|any|what|make|create|split|give me|"
                        r"summar\w*|trend\w*|breakdown|report|status|check|need|insights|overview|due)\b", re.I)
RETURN_WHEN = re.compile(r"\b(when|how (long|soon))\b.*\b(start|come back|return|back (to|in)|play|participate)\b",
                         re.I)
CLEARED = re.compile(r"\b(cleared|clearance|allowed back|back (in|to) (games|pe|gym|class|practice)|"
                     r"(can|could|is) \w+( \w+)? (play|participate|do contact)|ok(ay)? to (play|participate)|"
                     r"play (again|today|contact)|still restricted|participate fully|full (activity|participation)|"
                     r"come back to (pe|gym))\b", re.I)
LESSON_ASK = re.compile(r"\b(something|activit\w*|session|stations?|intro|unit|circuit|games?|drills?|skills?|"
                        r"put together|design|write up|give me|need|could i do|ideas?|period|class)\b", re.I)
MEDICAL_TYPES = {"injury", "head_injury", "allergic_reaction", "breathing", "illness", "near_miss", "other"}
SPLITS = re.compile(r"(?:\s*[.;!?]\s+|,\s*(?:and\s+)?(?:also|then|plus)\s+|\s+(?:and\s+)?(?:also|then)\s+|"
                    r",?\s+and\s+)", re.I)
STRONG = {"schedule_event", "plan_lesson", "open_form"}
LOOKUP_ONLY = re.compile(r"\b(who do i call|contact (info )?for|phone|number|what class|which class)\b", re.I)
