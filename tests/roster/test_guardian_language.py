"""Guardians' preferred language for messages home (#23), from a OneRoster export's ``metadata.*`` extension column
(the standard has no language column): a name or a code is stored as BCP 47, an export without the column keeps what
Faraday has, a value it can't read is left unset."""

from __future__ import annotations

from sqlalchemy import select

from domain.models import Guardian
from domain.roster.service import import_roster
from tests.roster.conftest import rewrite


def _with_language(value: str):  # type: ignore[no-untyped-def]
    def transform(lines: list[str]) -> list[str]:
        out = [lines[0] + ",metadata.preferredLanguage"]
        out += [line + ("," + value if line.startswith("u-g1,") else ",") for line in lines[1:]]
        return out
    return transform


async def _language(sessions) -> str | None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await session.scalar(select(Guardian.preferred_language).where(Guardian.source_id == "u-g1"))


async def test_a_guardians_language_is_imported_and_kept_when_a_later_export_has_none(sessions, settings, sample):
    folder = sample("handmade_oneroster_1_2")
    original = (folder / "users.csv").read_bytes()
    rewrite(folder / "users.csv", _with_language("Spanish"))
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors == [] and await _language(sessions) == "es"
    (folder / "users.csv").write_bytes(original)  # the next export has no language column
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert await _language(sessions) == "es"
    rewrite(folder / "users.csv", _with_language("pt_br"))
    await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert await _language(sessions) == "pt-BR"


async def test_an_unreadable_language_is_left_unset(sessions, settings, sample):
    folder = sample("handmade_oneroster_1_2")
    rewrite(folder / "users.csv", _with_language("the family's own"))
    report = await import_roster(sessions, settings, folder, dry_run=False, all_classes=False)
    assert report.errors == [] and await _language(sessions) is None


def test_every_language_column_read_is_kept_by_the_file_reader() -> None:
    from domain.roster.files import KEPT_EXTENSIONS, ignored_column
    from domain.roster.oneroster import CONTACT_COLUMNS, LANGUAGE_COLUMNS, NO_CONTACT_COLUMNS

    read = LANGUAGE_COLUMNS + CONTACT_COLUMNS + NO_CONTACT_COLUMNS  # and nothing else is kept
    assert {c.lower() for c in read if c.lower().startswith("metadata.")} == KEPT_EXTENSIONS
    assert not any(ignored_column(c) for c in LANGUAGE_COLUMNS) and ignored_column("metadata.house")
