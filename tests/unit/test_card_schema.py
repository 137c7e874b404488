"""Every card builder's output parses cleanly in the ``adaptivecards`` JS renderer (what the Agents Playground
renders with): no parse warnings or errors and no validation failures; version 1.5; well under Teams' 28 KB limit.

The cards are built from small typed fixtures (no database); one node process checks all of them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.cards.incident_form import MAX_STATIC_CHOICES
from tests.support.cards import (
    all_cards,
)

ROOT = Path(__file__).resolve().parents[2]
ADAPTIVECARDS = ROOT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
MAX_BYTES = 28 * 1024
# Teams' native charts (Chart.Line, ...) are unknown to the JS renderer, which then renders their PNG fallback:
# that one message is expected, for the widget cards that carry a native chart, and nothing else.
NATIVE_CHART = re.compile(r'parse: Unknown element type "Chart\.\w+"\. Fallback will be used if present\.')

# Parse every card (dist bundle: the lib/ build is extension-less ESM node cannot load) and report what the
# renderer's SerializationContext logged while parsing, then the validation failures (duplicate ids, missing
# required properties, ...).
CHECK_JS = r"""
const AC = require(process.argv[1]);
const cards = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const out = {};
for (const [name, json] of Object.entries(cards)) {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(json, context);
  const problems = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    problems.push(`parse: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    const where = e.source ? `${e.source.getJsonTypeName ? e.source.getJsonTypeName() : ""} ${e.source.id || ""}` : "";
    problems.push(`validate: ${e.message} (${where.trim()})`);
  }
  out[name] = problems;
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None or not ADAPTIVECARDS.exists():
        pytest.fail("the card schema test needs node and node_modules/adaptivecards (scripts/setup)")
    path = tmp_path_factory.mktemp("cards") / "cards.json"
    path.write_text(json.dumps(all_cards()))
    done = subprocess.run([node, "-e", CHECK_JS, str(ADAPTIVECARDS), str(path)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", list(all_cards()))
def test_the_card_parses_cleanly_in_the_adaptivecards_renderer(checked: dict[str, list[str]], name: str) -> None:
    problems = checked[name]
    if "native chart" in name:
        assert any(NATIVE_CHART.fullmatch(p) for p in problems), "the native chart is there"
        problems = [p for p in problems if not NATIVE_CHART.fullmatch(p)]
    assert problems == [], problems


@pytest.mark.parametrize("name", list(all_cards()))
def test_the_card_is_version_1_5_and_small(name: str) -> None:
    content = all_cards()[name]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.5"
    size = len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())
    assert size < MAX_BYTES, f"{name}: {size} bytes"


def test_card_data_never_uses_a_field_named_key() -> None:
    """The Playground crashes on a ``key`` field in action data (forms use ``form_key``)."""

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            assert "key" not in node, path
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    for name, content in all_cards().items():
        walk(content, name)


def test_a_long_roster_asks_teams_for_typeahead() -> None:
    form = all_cards()["incident form (long roster, typeahead)"]
    picker = next(e for e in form["body"] if e.get("id") == "student_id")
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "students"}
    assert len(picker["choices"]) == MAX_STATIC_CHOICES


def test_a_class_larger_than_one_card_is_split_and_each_card_stays_small() -> None:
    from bot.cards.attendance_form import AttendanceFormState, attendance_form_card
    from domain.records.attendance import AttendanceSheet, SheetLine
    from tests.support.cards import NOW, TRICKY
    from tools.take_attendance import STUDENTS_PER_CARD

    names = [SheetLine(i, f"{TRICKY} {i}", "present") for i in range(1, 101)]
    pages = AttendanceSheet("k", 3, "PE 7 — Period 3", NOW.date(), tuple(names)).pages(STUDENTS_PER_CARD)
    assert [len(p.lines) for p in pages] == [45, 45, 10] and len({p.key for p in pages}) == 3
    assert pages[2].part == "students 91–100 of 100"
    for page in pages:
        card = attendance_form_card(AttendanceFormState.from_sheet(page))
        assert len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode()) < MAX_BYTES
