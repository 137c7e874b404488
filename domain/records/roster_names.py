"""Names from chat ("Eli", "Kate Brooks") matched against one class's roster: fuzzy, accent- and nickname-tolerant,
and never a guess (two close matches leave the name unmatched, to be picked on the card)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.names import MATCH_THRESHOLD, NameParts, name_score


@dataclass(frozen=True, slots=True)
class RosterName:
    student_id: int
    first: str
    last: str
    preferred: str | None

    @property
    def display(self) -> str:
        return f"{self.preferred or self.first} {self.last}"


def match(name: str, roster: Sequence[RosterName]) -> int | None:
    """The one student this name means, or None (no match, or several equally good)."""
    scored = sorted(((name_score(name, NameParts(r.first, r.last, r.preferred)), r.student_id) for r in roster),
                    reverse=True)
    scored = [(s, sid) for s, sid in scored if s >= MATCH_THRESHOLD]
    if not scored:
        return None
    best = scored[0][0]
    margin = 3.0 if best >= 97 else 5.0
    close = [sid for s, sid in scored if s >= best - margin]
    return close[0] if len(close) == 1 else None
