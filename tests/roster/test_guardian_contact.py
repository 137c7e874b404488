"""Guardians' contact permission from the SIS (#23: messages home go only to guardians the school may contact).

Neither OneRoster 1.1/1.2 nor SDS v2.1 has a standard column for it (users.csv and relationships.csv carry none;
Graph's relatedContact.accessConsent is about access to the student's data), so Faraday reads the extension columns
SISs use: ``metadata.contactPermission`` / ``metadata.contactAllowed`` (yes = may contact) or ``metadata.doNotContact``
(yes = may not). The fixtures are Microsoft's published SDS v2.1 sample with such a column added to users.csv.
Permission is diffed like the other fields: changed rows are counted as updated, an export without the column keeps
what Faraday has, a value that is neither yes nor no is an error with its file and line and changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.models import Guardian
from domain.roster.service import import_roster
from tests.roster.conftest import rewrite, snapshot

JEAN, BOB = "114002", "114005"  # the sample's two contacts: Jean Craig (two students), Bob Smithee (one)


def _with(column: str, values: dict[str, str]):  # type: ignore[no-untyped-def]
    def transform(lines: list[str]) -> list[str]:
        return [lines[0] + f",{column}"] + [line + "," + values.get(line.split(",", 1)[0], "") for line in lines[1:]]
    return transform


async def _allowed(sessions: Any) -> dict[str, set[bool]]:
    async with sessions() as session:
        rows = (await session.execute(select(Guardian.source_id, Guardian.contact_allowed)
                                     .where(Guardian.source_id.is_not(None)))).all()
    found: dict[str, set[bool]] = {}
    for source_id, allowed in rows:
        found.setdefault(source_id, set()).add(allowed)
    return found


async def _import(sessions: Any, settings: Any, folder: Any, *, dry_run: bool = False) -> Any:
    return await import_roster(sessions, settings, folder, dry_run=dry_run, all_classes=True)


async def test_a_do_not_contact_in_the_sds_export_is_imported_and_a_later_change_is_diffed(
        sessions: Any, settings: Any, sample: Any) -> None:
    folder = sample("sds_v2_1")
    original = (folder / "users.csv").read_bytes()
    rewrite(folder / "users.csv", _with("metadata.contactPermission", {BOB: "No", JEAN: "yes"}))
    report = await _import(sessions, settings, folder)
    assert report.errors == [] and report.counts["guardians"].created == 3
    assert await _allowed(sessions) == {JEAN: {True}, BOB: {False}}

    (folder / "users.csv").write_bytes(original)
    rewrite(folder / "users.csv", _with("metadata.contactPermission", {BOB: "true", JEAN: "false"}))
    dry = await _import(sessions, settings, folder, dry_run=True)
    assert dry.counts["guardians"].as_dict() == {"created": 0, "updated": 3, "deactivated": 0, "unchanged": 0}
    assert await _allowed(sessions) == {JEAN: {True}, BOB: {False}}  # the dry run changed nothing
    report = await _import(sessions, settings, folder)
    assert report.counts["guardians"].as_dict() == {"created": 0, "updated": 3, "deactivated": 0, "unchanged": 0}
    assert await _allowed(sessions) == {JEAN: {False}, BOB: {True}}

    (folder / "users.csv").write_bytes(original)  # the next export has no permission column: ours is kept
    report = await _import(sessions, settings, folder)
    assert report.counts["guardians"].unchanged == 3 and not report.changed
    assert await _allowed(sessions) == {JEAN: {False}, BOB: {True}}


async def test_a_do_not_contact_flag_means_the_opposite_and_a_new_guardian_without_one_may_be_contacted(
        sessions: Any, settings: Any, sample: Any) -> None:
    folder = sample("sds_v2_1")
    rewrite(folder / "users.csv", _with("metadata.doNotContact", {JEAN: "Y"}))
    report = await _import(sessions, settings, folder)
    assert report.errors == [] and await _allowed(sessions) == {JEAN: {False}, BOB: {True}}


async def test_an_unreadable_permission_is_an_error_with_its_line_and_nothing_changes(
        sessions: Any, settings: Any, sample: Any) -> None:
    folder = sample("sds_v2_1")
    await _import(sessions, settings, folder)
    before = await snapshot(sessions)
    rewrite(folder / "users.csv", _with("metadata.contactPermission", {BOB: "ask the office"}))
    report = await _import(sessions, settings, folder)
    [error] = report.errors
    assert (error.file, error.line) == ("users.csv", 6) and "metadata.contactPermission" in error.message
    assert "'ask the office'" in error.message and "yes or no" in error.message
    assert await snapshot(sessions) == before


def test_the_file_reader_keeps_every_permission_column_read() -> None:
    from domain.roster.files import KEPT_EXTENSIONS, ignored_column
    from domain.roster.oneroster import CONTACT_COLUMNS, NO_CONTACT_COLUMNS

    assert {c.lower() for c in CONTACT_COLUMNS + NO_CONTACT_COLUMNS} <= KEPT_EXTENSIONS
    assert not any(ignored_column(c) for c in CONTACT_COLUMNS + NO_CONTACT_COLUMNS)
