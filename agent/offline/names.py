"""Find a student's name in an utterance by fuzzy matching its words against the caller's roster."""

from __future__ import annotations

import re
from functools import cache

from domain.names import NameIndex, NameParts, name_index, normalize, token_similarity

_STOPWORDS = (
    "show me look up lookup find pull up who is whos tell about info information on for profile details student card "
    "emergency contact contacts allergy allergies allergic medical health does have has what grade which class the a "
    "an of please can you could my in and any is their his her s flags condition conditions phone parent guardian "
    "today yesterday during while at gym field pool class period minor serious moderate critical she he they it was "
    "got just hurt rolled fell hit"
)
STOPWORDS = set(_STOPWORDS.split())
THRESHOLD = 85
# Lower-case words that are also surnames or given names: typed in lower case they are read as words.
_COMMON_WORDS = (
    "wall walls rose king young hill brown green white black may will mark bill grant hunter summer page lane park "
    "bell case chase cook fields field ward wood woods long little love price rich rush sharp short strong hall hope "
    "joy frank grace hardy major miles moody noble pierce porter power reed rice ray dean dale been best bond bush "
    "close day fox gay gold hale head holiday house jay jewel john lee low lucky mayor mason mercy nash north ocean "
    "penny pool potter sky snow sole south star stone storm sunny swift west winter wise york class gym"
)
COMMON_WORDS = set(_COMMON_WORDS.split())
WORD = re.compile(r"[^\w'’-]+")


def _words(text: str) -> list[str]:
    return [re.sub(r"['’]s$", "", w) for w in WORD.split(text) if w]


def _as_name(word: str, tokens: NameIndex, *, continuing: bool) -> str | None:
    """The word as a name token, if it is one: exact, a possessive typed without an apostrophe, or fuzzy.
    A lower-case common word ("wall", "rose") only counts as the surname after a given name."""
    norm = normalize(word)
    if not norm or norm in STOPWORDS or (not continuing and word.islower() and norm in COMMON_WORDS):
        return None
    if norm in tokens:
        return word
    if norm.endswith("s") and norm[:-1] in tokens:  # "tates parents" → "tate"
        return word[:-1]
    if word.islower() and (len(norm) < 5 or norm in english_words()):
        return None  # "like" is not "Luke", "wrong" not "Wong": lower-case words must match a name exactly
    return word if _is_name_token(norm, tokens) else None


@cache
def english_words() -> frozenset[str]:
    """The whole words of MiniLM's uncased vocabulary (~20k common English words and names, shipped with the model):
    a word typed in lower case that is one of them is read as that word unless it is exactly a roster name."""
    from knowledge.embedders import minilm_path

    vocabulary = (minilm_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocabulary if w.isalpha() and not w.startswith("["))


STAFF_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "coach", "sir"})


def find_student_name(text: str, roster: list[NameParts]) -> str | None:
    """The longest run of words that are names on the caller's roster (fuzzy, accent- and nickname-tolerant)."""
    tokens = name_index(roster)  # built once per roster list (the service caches the list)
    best: list[str] = []
    run: list[str] = []
    words = _words(text)
    for before, word in zip(["", *words], words, strict=False):
        if normalize(before) in STAFF_TITLES:  # "subbing for Mr. Alvarez": a member of staff, not a student
            run = []
            continue
        name = _as_name(word, tokens, continuing=bool(run))
        if name is not None:
            run.append(name)
            if len(run) > len(best):
                best = list(run)
            if name != word:  # a possessive ends the name
                run = []
            continue
        if run and len(word) == 1 and word.isalpha() and len(run) == 1:  # "jamie o": a surname initial
            run.append(word)
            if len(run) > len(best):
                best = list(run)
        run = []
    if not best:
        return None
    candidate = " ".join(best[:3])
    if not tokens.any_at_least(candidate, THRESHOLD):
        return best[0]
    return candidate


NAME_REQUEST = re.compile(r"^\s*(show( me)?|look ?up|find|pull up|tell me about|profile (for|of))\s+", re.I)


def leftover_name(text: str) -> str | None:
    """A name that is on nobody's roster still goes to the service (which answers "not found" and audits the
    attempt), but only when the words look like a name: right after "show me"/"look up", or capitalised."""
    request = NAME_REQUEST.match(text)
    rest = text[request.end():] if request else text
    kept = [w for w in _words(rest) if normalize(w) not in STOPWORDS and w[:1].isalpha()]
    if not (0 < len(kept) <= 3):
        return None
    if request or all(w[:1].isupper() for w in kept):
        return " ".join(kept)
    return None


def _is_name_token(token: str, tokens: NameIndex) -> bool:
    """Exactly a roster name, or (four letters or more) one token_similarity puts at THRESHOLD or more that begins
    with the same letter (only the index's few close names can: THRESHOLD is above FUZZY_CAP)."""
    if token in tokens:
        return True
    if len(token) < 4:
        return False
    return any(t[:1] == token[:1] and token_similarity(token, t) >= THRESHOLD for t in tokens.similar(token))
