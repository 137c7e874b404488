"""teams: balanced, deterministic, keep-apart respected — checked against hand-worked examples."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import update

from domain.models import Enrollment, SkillAssessment
from domain.widgets import WidgetService
from domain.widgets.teams import Player, balance, cost, violations
from tests.support.district import NOW, District_, audit_rows


def _ids(teams: list[list[Player]]) -> list[set[int]]:
    return [{p.id for p in t} for t in teams]


def test_a_snake_draft_pairs_the_strongest_with_the_weakest() -> None:
    players = [Player(1, "A", 90), Player(2, "B", 70), Player(3, "C", 60), Player(4, "D", 40)]
    # Snake: A→1, B→2, C→2, D→1 → means 65 and 65; no swap lowers the cost.
    assert _ids(balance(players, 2)) == [{1, 4}, {2, 3}]


def test_keep_apart_pairs_are_separated_at_the_least_cost_in_balance() -> None:
    players = [Player(1, "A", 90, frozenset({4})), Player(2, "B", 70), Player(3, "C", 60), Player(4, "D", 40)]
    # A may not play with D: {A,C}/{B,D} has means 75/55 (variance 100); {A,B}/{C,D} 80/50 (variance 225).
    assert _ids(balance(players, 2)) == [{1, 3}, {2, 4}]


def test_a_keep_apart_recorded_on_one_side_only_still_counts() -> None:
    players = [Player(1, "A", 90), Player(2, "B", 70), Player(3, "C", 60), Player(4, "D", 40, frozenset({1}))]
    assert violations(balance(players, 2)) == 0


def test_the_same_players_in_any_order_give_the_same_teams() -> None:
    rng = random.Random(7)
    players = [Player(i, f"P{i}", round(rng.uniform(10, 95), 1), frozenset({i + 1}) if i % 5 == 0 else frozenset())
               for i in range(1, 26)]
    first = balance(players, 4)
    for _ in range(5):
        rng.shuffle(players)
        assert _ids(balance(players, 4)) == _ids(first)
    sizes = sorted(len(t) for t in first)
    assert sizes == [6, 6, 6, 7] and violations(first) == 0
    means = [sum(p.score for p in t) / len(t) for t in first]
    assert max(means) - min(means) < 3.0


def test_swaps_never_make_the_snake_draft_worse() -> None:
    rng = random.Random(3)
    players = [Player(i, str(i), rng.uniform(0, 100)) for i in range(20)]
    snake = sorted(players, key=lambda p: (-p.score, p.id))
    draft: list[list[Player]] = [[], [], []]
    for i, p in enumerate(snake):
        r, k = divmod(i, 3)
        draft[k if r % 2 == 0 else 2 - k].append(p)
    assert cost(balance(players, 3)) <= cost(draft)


async def test_teams_for_a_class_from_its_skill_levels(district: District_, widgets: WidgetService) -> None:
    s, c = district.students, district.classes["p3"]
    await district.add(SkillAssessment, [
        {"student_id": s[k], "class_id": c, "skill": "Dribbling", "unit": "Basketball", "level": lv,
         "assessed_on": date(2026, 11, 10)} for k, lv in (("ann", 4), ("ben", 1), ("cal", 3))
    ])
    async with district.sessions() as session, session.begin():
        await session.execute(update(Enrollment).where(Enrollment.student_id == s["cal"])
                              .values(keep_apart_from=[s["ben"]]))
    # Scores: ann 100, cal 66.7, ben 0. The snake gives {ann} / {cal, ben}, which breaks the pair. Of the rest,
    # {ann, ben} / {cal} (means 50 / 66.7, spreads 50 / 0: cost 69.4 + 0.5 × 625 = 382) beats
    # {ann, cal} / {ben} (means 83.3 / 0: cost 1736 + 0.5 × 69 = 1771).
    r = await widgets.run(district.tess, "teams", now=NOW, class_text="period 3", team_count=2)
    assert r.table is not None
    assert [row[1] for row in r.table.rows] == ["Ann Abbott, Ben Brown", "Cal Cole"]
    assert [row[2] for row in r.table.rows] == ["50", "66.7"]
    assert r.headline()["Keep-apart pairs kept apart"] == "1 of 1"
    assert r.period is None
    students = {row[2] for row in await audit_rows(district.sessions) if row[0] == "student.read"}
    assert students == {s["ann"], s["ben"], s["cal"]}


async def test_students_without_data_get_the_class_median_and_the_card_says_so(
    district: District_, widgets: WidgetService
) -> None:
    s, c = district.students, district.classes["p3"]
    await district.add(SkillAssessment, [
        {"student_id": s["ann"], "class_id": c, "skill": "Dribbling", "unit": "Basketball", "level": 4,
         "assessed_on": date(2026, 11, 10)}])
    r = await widgets.run(district.tess, "teams", now=NOW, class_text="period 3", team_count=2)
    assert any("2 student(s) had no skill or fitness data" in n for n in r.notes)
