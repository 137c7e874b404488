"""Open an export (folder or .zip), detect its format and parse it; every problem collected, none raised early."""

from __future__ import annotations

from pathlib import Path

from domain.roster import oneroster, sds
from domain.roster.files import RosterFiles
from domain.roster.model import Roster, RosterError, RosterInvalid


def detect(files: RosterFiles) -> str | None:
    if files.has("manifest.csv"):
        return "oneroster"
    if sds.looks_like(files):
        return "sds-v1"
    if files.has("orgs.csv") and files.has("users.csv") and files.has("roles.csv"):
        return "sds-v2.1"
    return None


def load(path: Path) -> Roster:
    """The parsed roster; raises ``RosterInvalid`` with every error found (file, line, message)."""
    errors: list[RosterError] = []
    try:
        files = RosterFiles(path)
    except (FileNotFoundError, OSError) as exc:
        raise RosterInvalid("unknown", [RosterError(path.name, None, str(exc))]) from None
    try:
        kind = detect(files)
        if kind is None:
            found = ", ".join(sorted(files.names())) or "no CSV files"
            raise RosterInvalid("unknown", [RosterError(path.name, None, (
                "unknown roster format: expected OneRoster (manifest.csv, orgs.csv, users.csv...), SDS v1 "
                "(School.csv, Section.csv, Student.csv...) or SDS v2.1 (orgs.csv, users.csv, roles.csv...); "
                f"found {found}"
            ))])
        if kind == "sds-v1":
            roster = sds.parse(files, errors)
        else:
            roster = oneroster.parse(files, errors, sds=kind == "sds-v2.1")
        if errors:
            raise RosterInvalid(roster.format, errors)
        return roster
    finally:
        files.close()
