"""In the real Teams emulator: a teacher asks for her period 3 attendance, presses *Download CSV* on the card, gets
the "CSV ready" card, opens its signed link in the browser, and the file has what the card shows (its table, or its
headline figures when the period has no rows) and as many rows as the ready card counts; the download is audited as
hers. (The Playground shows the file-consent card as "not supported yet": that flow is tested against a fake upload
URL in tests/exports/test_through_the_app.py.)"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path

from sqlalchemy import select

from devtools.playground import Playground
from domain.db import make_engine, make_sessionmaker
from domain.models import AuditLog, Staff
from tests.support.playground_driver import drive


async def _link_downloads(url: str) -> list[str]:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            rows = await s.execute(select(Staff.display_name).select_from(AuditLog)
                                   .join(Staff, Staff.id == AuditLog.actor_staff_id)
                                   .where(AuditLog.action == "export.download", AuditLog.via == "link",
                                          AuditLog.allowed.is_(True)))
            return list(rows.scalars().all())
    finally:
        await engine.dispose()


def test_a_teacher_downloads_a_widgets_csv_by_its_signed_link(playground: Playground, e2e_db_url: str,
                                                               tmp_path: Path) -> None:
    saved = tmp_path / "attendance.csv"
    result = drive(playground, {
        "screenshotOnFailure": str(tmp_path / "failure.png"),
        "steps": [
            {"send": "who's been missing class in period 3"},
            {"waitForCard": {"contains": "Attendance", "new": True, "timeoutMs": 30000}},
            {"click": "Download CSV"},
            {"waitForCard": {"contains": "CSV ready", "new": True, "timeoutMs": 30000}},
            {"download": {"name": "Download CSV", "urlContains": "/exports/", "saveAs": str(saved)}},
        ],
    })
    assert result["ok"], (result["error"], result["steps"][-1])
    [download] = result["downloads"]
    assert download["status"] == 200 and download["contentType"].startswith("text/csv"), download
    assert re.search(r"/exports/x\d+\.\d+\.\d+\.", download["url"])

    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    widget_card = next(c for c in result["cards"] if c.startswith("Attendance"))
    ready_card = next(c for c in result["cards"] if "CSV ready" in c)
    # the card's table (its header and the rows it shows, ten at most), or its headline figures when the period
    # has no table rows (then the file is Figure,Value)
    assert rows[0] == ["Figure", "Value"] or all(column in widget_card for column in rows[0]), rows[0]
    assert len(rows) > 1 and all(cell in widget_card for row in rows[1:11] for cell in row), (rows, widget_card)
    counted = re.search(r"Rows\s*:?\s*(\d+)", ready_card)
    assert counted and int(counted.group(1)) == len(rows) - 1, ready_card
    assert set(asyncio.run(_link_downloads(e2e_db_url))) == {"Alex Wilber"}  # the browser's fetch and ours
