"""Whether a message describes a situation happening now, as the planner reads it: the lexical pre-filter (a message
made only of request words cannot describe one, so the encoder is not asked), the message's MiniLM vectors, given or
asked for, and a lazy ``Situation`` the rules consult. The nearest-example detector itself is
``knowledge.situations``."""

from __future__ import annotations

import re
from typing import Any

# The lexical pre-filter: a message made only of these words (the vocabulary of requests for records, people,
# classes, times, lessons, widgets and small talk, plus function words and numbers other than 911) cannot describe
# something happening now, so the encoder is not asked. Every other word — any symptom, body part, place hazard,
# weather, alarm, or a word this list does not know — leaves the question to the nearest-example detector. The list
# errs towards asking: a word that can carry a situation on its own ("down", "missing", "emergency", "help", "hurt",
# "stop", "call", "out", "allergic") is never here. Written from the planner's own request vocabulary (cues.py,
# slots.py, records.py and the OTHERS examples), checked on the labelled and dev utterances: every message the
# detector calls a situation (strict or loose) has a word outside this list.
BENIGN = frozenset("""
a an the this that these those my our your his her their its me i i'm im we you he she they him them us it is are was
were be been being am do does did doing done have has had can could would should will shall may might must what
what's whats which who whos who's whom whose when where why how how's hows any some all every each of for with to
in on at and or but from by as into than then also just please pls thanks thank ok okay yes yeah sure hi hello hey
there here about again both other another same more most less many much few per up show pull look lookup find tell
give list get see check view open display bring pull info information profile details detail record records card
contact contacts phone number numbers email address parent parents guardian guardians mom dad mother father family
medical flags flag notes note file student students kid kids child children boy boys girl girls class classes
period periods grade grades graders grader kindergarten kinder freshman freshmen sophomore sophomores junior
juniors senior seniors pe gym physical education team teams roster rosters section homeroom teacher teachers coach
attendance absent absences absence present tardy tardies late chronic chronically skills skill gaps gap assessment
assessments assessed rubric level levels score scores scoring fitness pacer laps mile push ups pushups curl sit
reach trends trend trending progress report reports summary summarize overview status insights insight doing going
class's week weeks weekly month months monthly year semester quarter term day days today tomorrow yesterday tonight
morning afternoon evening monday tuesday wednesday thursday friday saturday sunday next last this past recent
recently since until am pm noon o'clock minute minutes hour hours time schedule scheduled scheduling calendar event
events meeting meetings conference book booking reserve remind reminder lesson lessons plan plans planning unit
units topic activity activities game games drill drills warm warmup make create split balanced balance even evenly
equipment inspection inspections inspected inspect overdue due maintenance inventory incident incidents log logged
form forms forms' new participation participating active activity's drivers driver's ed hours behind wheel hrs
anything everything something stuff things thing
""".split())  # noqa: SIM905 (a word list reads better as text)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'’]*")
_BENIGN_PHRASES = re.compile(r"\bemergency (contacts?|card|info\w*|numbers?|forms?)\b")  # a record, not an event


def possible(text: str) -> bool:
    """False only when every word of the message is in BENIGN (numbers too, except 911): then no situation."""
    for word in _TOKEN.findall(_BENIGN_PHRASES.sub(" ", text.lower().replace("’", "'"))):
        if word.isdigit() or re.fullmatch(r"\d+(st|nd|rd|th|s|am|pm|min|mins)?", word):
            if word == "911":
                return True
            continue
        if word not in BENIGN and word.removesuffix("'s") not in BENIGN:  # "a student's" as "a student"
            return True
    return False


class NeedsVector(Exception):  # a request, not an error
    """Raised by a deferring ``Vectors`` for a text it has no embedding of: the caller embeds it off the event loop
    and plans again (planning is pure and takes about a millisecond)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Vectors:
    """The MiniLM vectors of the texts a plan asked about: given, embedded on demand, or (``defer``) requested from
    the caller with ``NeedsVector``."""

    def __init__(self, known: dict[str, Any] | None = None, *, defer: bool = False) -> None:
        self.known = {} if known is None else known
        self.defer = defer

    def __call__(self, text: str) -> Any:
        vector = self.known.get(text)
        if vector is None:
            if self.defer:
                raise NeedsVector(text)
            from knowledge import situations

            vector = self.known[text] = situations.embed(text)
        return vector


class Situation:
    """Lazily asks whether the message describes something happening now. A message made only of request words
    (``agent.offline.situations.possible``) is not one, without the encoder; otherwise the nearest-example detector
    (``knowledge.situations``) decides on the text's MiniLM vector, asked for only when a rule needs the answer."""

    def __init__(self, text: str, vectors: Vectors | None = None, *, part: bool = False) -> None:
        self.text = text
        self.vectors = vectors if vectors is not None else Vectors()
        self.part = part  # a part of a message split in two, read out of its context
        self._value: bool | None = None

    def about(self, text: str, *, part: bool = True) -> Situation:
        """The same question about another text (a part of the message, unless ``part`` is False), sharing the
        vectors."""
        return Situation(text, self.vectors, part=part)

    def __call__(self) -> bool:
        if self._value is None:
            from knowledge.situations import is_situation

            self._value = possible(self.text) and is_situation(self.text, self.vectors(self.text))
        return self._value

    def maybe(self) -> bool:
        """A looser reading, for messages no rule understood (the encoder is asked whatever the words)."""
        from knowledge.situations import might_be_situation

        return self() or might_be_situation(self.text, self.vectors(self.text))

    def topical(self) -> bool:
        """Whether the message reads as a school-safety topic, covered or not (``knowledge.situations.reads_as_topic``):
        for a whole message no rule understood, the protocol search (which says plainly what the documents don't
        cover) rather than "I can't do that". A part of a split message read out of its context is not asked: "I
        planned shuttle sprints for fitness. It is allowed?" is not a request of its own."""
        from knowledge.situations import reads_as_topic

        return not self.part and possible(self.text) and reads_as_topic(self.vectors(self.text))
