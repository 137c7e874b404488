"""In the real Teams emulator, Alex records the PE day: attendance for a class from chat shorthand, PACER laps for
three students, and a failed equipment piece; each card is saved once and the rows are in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from devtools.playground import Playground
from domain.db import make_engine, make_sessionmaker
from domain.models import Attendance, EquipmentInspection, FitnessTest
from tests.support.playground_driver import drive


async def _count(url: str, statement) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            return await s.scalar(statement) or 0
    finally:
        await engine.dispose()


def _saved(playground: Playground, tmp_path: Path, text: str, card: str, saved: str) -> dict:  # type: ignore[type-arg]
    return drive(playground, {
        "screenshotOnFailure": str(tmp_path / "failure.png"),
        "steps": [
            {"send": text},
            {"waitForCard": {"contains": card, "new": True, "timeoutMs": 30000}},
            {"click": "Save"},
            {"waitForCard": {"contains": saved, "timeoutMs": 30000}},
        ],
    })


def test_attendance_from_chat_shorthand(playground: Playground, e2e_db_url: str, tmp_path: Path) -> None:
    recorded = select(func.count()).select_from(Attendance).where(Attendance.recorded_by.is_not(None))
    before = asyncio.run(_count(e2e_db_url, recorded))
    result = _saved(playground, tmp_path, "Eli and Jamie absent in period 1", "Attendance — PE 6 — Period 1",
                    "Saved attendance for PE 6 — Period 1")
    assert result["ok"], result
    assert asyncio.run(_count(e2e_db_url, recorded)) == before + 23


def test_pacer_laps_for_three_students(playground: Playground, e2e_db_url: str, tmp_path: Path) -> None:
    laps = select(func.count()).select_from(FitnessTest).where(FitnessTest.recorded_by.is_not(None))
    before = asyncio.run(_count(e2e_db_url, laps))
    result = _saved(playground, tmp_path, "PACER results: Jamie Chen 35, Kate Brooks 28, Malik 38",
                    "Fitness test — your students", "Saved 3 PACER (laps) results")
    assert result["ok"], result
    assert asyncio.run(_count(e2e_db_url, laps)) == before + 3


def test_fail_an_equipment_piece(playground: Playground, e2e_db_url: str, tmp_path: Path) -> None:
    failed = select(func.count()).select_from(EquipmentInspection).where(EquipmentInspection.item_label == "#3")
    before = asyncio.run(_count(e2e_db_url, failed))
    result = _saved(playground, tmp_path, "checked the jump ropes, #3 is frayed", "Equipment check — Jump ropes",
                    "Out of service now: #3")
    assert result["ok"], result
    assert asyncio.run(_count(e2e_db_url, failed)) == before + 1
