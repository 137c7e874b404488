"""Metadata for a document read from a file: defaults guessed from its text (kind, grade band, version, review date,
audience), overridden by markdown front matter, then by what an admin types on the preview card."""

from __future__ import annotations

import re
from datetime import date

from knowledge.parsed import ParsedFile

KIND_LABELS = {"safety": "Safety protocol", "curriculum": "Curriculum", "policy": "Policy"}
AUDIENCES = {"all-staff": "All staff", "pe-teachers": "PE teachers", "coaches": "Coaches", "nurses": "Nurses"}
FIELDS = ("title", "kind", "audience", "grade_band", "version", "reviewed_by", "reviewed_on")

_KIND_WORDS = {
    "safety": r"protocol|emergenc|injur|concussion|first aid|cpr|aed|lightning|heat|evacuat|lockdown|allerg|"
              r"asthma|bleeding|fracture|911|incident|hazard|safety",
    "curriculum": r"curriculum|lesson|unit plan|learning outcome|outcomes|standards?|grade[- ]level|activities|"
                  r"assessment|skills?|progression",
    "policy": r"policy|policies|procedure|board|code of conduct|handbook|regulation|guidelines?|compliance",
}
_GRADES = re.compile(r"\bgrades?\s+(K|\d{1,2})\s*(?:-|–|—|to|through)\s*(\d{1,2})\b", re.I)
_ONE_GRADE = re.compile(r"\bgrade\s+(\d{1,2})\b", re.I)
_VERSION = re.compile(r"\b(?:version|rev(?:ision)?\.?|v)\s*(\d+(?:\.\d+){0,2})\b", re.I)
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_DATE = re.compile(
    r"\b(?:(\d{4})-(\d{2})-(\d{2})|(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),\s*(\d{4})|(\d{1,2})/(\d{1,2})/(\d{4}))\b",
    re.I)
_REVIEW = re.compile(r"(reviewed|revised|effective|updated|approved|adopted)[^\n]{0,40}", re.I)
_AUDIENCE_WORDS = [("nurses", r"\bnurses?\b"), ("coaches", r"\bcoach(?:es)?\b|athletic"),
                   ("pe-teachers", r"\bPE teachers?\b|physical education")]


def guess(parsed: ParsedFile, *, today: date, reviewer: str = "") -> dict[str, str]:
    """Defaults for the card: every field of ``FIELDS``, from the text, then from front matter when there is some."""
    head = parsed.title + "\n" + "\n".join(s.heading + "\n" + s.text for s in parsed.sections)[:20_000]
    scores = {kind: len(re.findall(words, head, re.I)) for kind, words in _KIND_WORDS.items()}
    kind = max(scores, key=lambda k: (scores[k], k == "safety")) if any(scores.values()) else "policy"
    values = {
        "title": parsed.title, "kind": kind, "audience": _audience(head), "grade_band": _grade_band(head),
        "version": _version(head), "reviewed_by": reviewer, "reviewed_on": _review_date(head, today).isoformat(),
    }
    values.update({k: v for k, v in parsed.fields.items() if k in (*FIELDS, "approved") and v})
    return values


def _grade_band(text: str) -> str:
    match = _GRADES.search(text)
    if match:
        low, high = match.group(1).upper(), match.group(2)
        low_n = 0 if low == "K" else int(low)
        if low_n <= int(high) <= 12:
            return f"{low}-{high}"
    one = _ONE_GRADE.search(text)
    if one and 0 < int(one.group(1)) <= 12 and len(set(_ONE_GRADE.findall(text))) == 1:
        return one.group(1)
    return "K-12"


def _version(text: str) -> str:
    match = _VERSION.search(text)
    return match.group(1) if match else "1.0"


def _review_date(text: str, today: date) -> date:
    for review in _REVIEW.finditer(text):
        found = _DATE.search(text, review.start(), review.end() + 30)
        if found:
            parsed = _to_date(found)
            if parsed and parsed <= today:
                return parsed
    return today


def _to_date(match: re.Match[str]) -> date | None:
    try:
        if match.group(1):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match.group(4):
            return date(int(match.group(6)), _MONTHS.index(match.group(4).lower()) + 1, int(match.group(5)))
        return date(int(match.group(9)), int(match.group(7)), int(match.group(8)))
    except ValueError:
        return None


def _audience(text: str) -> str:
    counts = {name: len(re.findall(words, text, re.I)) for name, words in _AUDIENCE_WORDS}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 3 else "all-staff"
