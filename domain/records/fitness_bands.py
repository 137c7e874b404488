"""The fitness tests Faraday records and the Healthy Fitness Zone bands they are placed in, kept as data.

The shipped table (``data/fitnessgram_hfz.csv``) holds published FitnessGram standards and names its sources and
edition on every row. A district replaces it with its own file of the same columns::

    python -m domain.records.fitness_bands load district_bands.csv

(validated first; the whole table is replaced in one transaction or not at all).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import InvalidInput
from domain.models import FitnessBand

DATA_FILE = Path(__file__).with_name("data") / "fitnessgram_hfz.csv"
COLUMNS = ("test", "sex", "age", "healthy_min", "healthy_max", "unit", "edition")


@dataclass(frozen=True, slots=True)
class TestSpec:
    name: str  # stored in fitness_tests.test
    label: str
    unit: str
    low: float  # values outside low..high are refused per field
    high: float
    step: float  # 1 for counts, 0.5 for inches


TESTS: dict[str, TestSpec] = {
    t.name: t
    for t in (
        TestSpec("pacer", "PACER (laps)", "laps", 0, 250, 1),
        TestSpec("mile_run", "One-mile run (min:sec)", "s", 240, 1800, 1),
        TestSpec("curl_ups", "Curl-ups", "reps", 0, 75, 1),  # the FitnessGram test stops at 75
        TestSpec("push_ups", "90° push-ups", "reps", 0, 100, 1),
        TestSpec("trunk_lift", "Trunk lift (inches)", "in", 0, 12, 0.5),  # measured up to 12 inches
        TestSpec("sit_and_reach_left", "Back-saver sit-and-reach, left (inches)", "in", 0, 12, 0.5),
        TestSpec("sit_and_reach_right", "Back-saver sit-and-reach, right (inches)", "in", 0, 12, 0.5),
    )
}


def parse_rows(text: str) -> list[dict[str, object]]:
    """Rows of a bands file (``#`` lines are comments); any bad line is reported by line number."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(f"The header must be: {','.join(COLUMNS)}")
    rows, errors, seen = [], {}, set()
    for number, raw in enumerate(reader, start=2):
        try:
            row = _row(raw)
        except ValueError as exc:
            errors[f"line {number}"] = str(exc)
            continue
        key = (row["test"], row["sex"], row["age"])
        if key in seen:
            errors[f"line {number}"] = "duplicate test, sex and age"
        seen.add(key)
        rows.append(row)
    if errors:
        raise InvalidInput("The bands file has problems; nothing was changed.", errors)
    return rows


def _row(raw: dict[str, str]) -> dict[str, object]:
    test = (raw.get("test") or "").strip()
    if test not in TESTS:
        raise ValueError(f"unknown test '{test[:40]}'")
    sex = (raw.get("sex") or "").strip().upper()
    if sex not in ("F", "M", "X"):
        raise ValueError("sex must be F, M or X")
    age = int(raw.get("age") or "")
    if not 5 <= age <= 18:
        raise ValueError("age must be 5..18 (18 = 17+)")
    low = float(raw["healthy_min"]) if (raw.get("healthy_min") or "").strip() else None
    high = float(raw["healthy_max"]) if (raw.get("healthy_max") or "").strip() else None
    if low is None and high is None:
        raise ValueError("give healthy_min, healthy_max or both")
    if low is not None and high is not None and low > high:
        raise ValueError("healthy_min is above healthy_max")
    unit = (raw.get("unit") or "").strip()
    if unit != TESTS[test].unit:
        raise ValueError(f"{test} is recorded in {TESTS[test].unit}")
    edition = (raw.get("edition") or "").strip()
    if not edition or len(edition) > 200:
        raise ValueError("name the edition and source (up to 200 characters)")
    return {"test": test, "sex": sex, "age": age, "healthy_min": low, "healthy_max": high, "unit": unit,
            "edition": edition}


def published_rows() -> list[dict[str, object]]:
    """The shipped FitnessGram rows (used by the migration and the demo seed)."""
    return parse_rows(DATA_FILE.read_text(encoding="utf-8"))


async def replace_bands(sessions: async_sessionmaker[AsyncSession], rows: list[dict[str, object]]) -> int:
    """Replace the whole table in one transaction (nothing changes if any row fails)."""
    if not rows:
        raise InvalidInput("The bands file has no rows; nothing was changed.")
    async with sessions() as session, session.begin():
        await session.execute(delete(FitnessBand))
        await session.execute(insert(FitnessBand), rows)
    return len(rows)


def main() -> None:  # pragma: no cover - a thin CLI over parse_rows + replace_bands
    from domain.db import make_engine, make_sessionmaker
    from domain.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m domain.records.fitness_bands")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="replace the fitness bands with a district's file")
    load.add_argument("file", type=Path)
    args = parser.parse_args()
    rows = parse_rows(args.file.read_text(encoding="utf-8"))

    async def run() -> int:
        engine = make_engine(Settings().database_url, pool_size=1)
        try:
            return await replace_bands(make_sessionmaker(engine), rows)
        finally:
            await engine.dispose()

    print(f"{asyncio.run(run())} bands loaded from {args.file.name}")


if __name__ == "__main__":  # pragma: no cover
    main()
