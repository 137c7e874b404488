"""Field checks shared by the parsers: ids, status, dates. Each returns the parsed value or records an error."""

from __future__ import annotations

import re
from datetime import date, datetime

from domain.roster.model import RosterError, Term

MAX_ID_CHARS = 255
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
REMOVED = {"tobedeleted", "inactive", "deleted"}
PRESENT = {"", "active"}


def source_id(value: str, file: str, line: int, column: str, errors: list[RosterError]) -> str | None:
    if not value:
        errors.append(RosterError(file, line, f"{column} is empty"))
        return None
    if len(value) > MAX_ID_CHARS:
        errors.append(RosterError(file, line, f"{column} is longer than {MAX_ID_CHARS} characters"))
        return None
    return value


def removed(status: str, file: str, line: int, errors: list[RosterError]) -> bool:
    """True for a row marked for deletion (``tobedeleted``/``inactive``): it is treated as absent from the export."""
    lowered = status.strip().lower()
    if lowered in REMOVED:
        return True
    if lowered not in PRESENT:
        errors.append(RosterError(file, line, f"status {status!r} is not active or tobedeleted"))
    return False


def iso_date(value: str, file: str, line: int, column: str, errors: list[RosterError]) -> date | None:
    """OneRoster dates: ISO 8601 (YYYY-MM-DD)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(RosterError(file, line, f"{column} {value!r} is not an ISO 8601 date (YYYY-MM-DD)"))
        return None


_VALID_DATETIMES: set[str] = set()  # an export repeats a handful of stamps on every row: each is parsed once


def iso_datetime(value: str, file: str, line: int, column: str, errors: list[RosterError]) -> None:
    """``dateLastModified``: validated (ISO 8601 date-time), not kept."""
    if not value or value in _VALID_DATETIMES:
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors.append(RosterError(file, line, f"{column} {value!r} is not an ISO 8601 date-time"))
        return
    if len(_VALID_DATETIMES) < 10_000:
        _VALID_DATETIMES.add(value)


def us_date(value: str, file: str, line: int, column: str, errors: list[RosterError]) -> date | None:
    """SDS dates: M/D/YYYY."""
    if not value:
        return None
    match = _US_DATE.match(value)
    try:
        if match is None:
            raise ValueError
        month, day, year = (int(g) for g in match.groups())
        return date(year, month, day)
    except ValueError:
        errors.append(RosterError(file, line, f"{column} {value!r} is not a date in M/D/YYYY form"))
        return None


def duplicate(seen: dict[str, int], key: str, file: str, line: int, what: str, errors: list[RosterError]) -> bool:
    first = seen.get(key)
    if first is not None:
        errors.append(RosterError(file, line, f"duplicate {what} {key!r} (first on line {first})"))
        return True
    seen[key] = line
    return False


def term(name: str, start: str, end: str, file: str, line: int, errors: list[RosterError], *,
         iso: bool) -> Term | None:
    """A session's dates (ISO 8601 for OneRoster, M/D/YYYY for SDS v1): both or neither; the end not before the
    start. None (with an error when something is wrong) when the row gives no usable term."""
    parse = iso_date if iso else us_date
    begins = parse(start, file, line, "startDate" if iso else "Term StartDate", errors)
    ends = parse(end, file, line, "endDate" if iso else "Term EndDate", errors)
    if begins is None or ends is None:
        if bool(start.strip()) != bool(end.strip()):
            errors.append(RosterError(file, line, "a term needs both a start date and an end date"))
        return None
    if ends < begins:
        errors.append(RosterError(file, line, f"the term ends ({ends.isoformat()}) before it starts "
                                              f"({begins.isoformat()})"))
        return None
    return Term(" ".join(name.split())[:120] or "term", begins, ends)
