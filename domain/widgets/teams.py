"""teams: N balanced teams for one class from skill and fitness data, respecting keep-apart pairs; deterministic.

Each student's score (0–100) is the mean of the components they have data for:
- skill: their latest level in each skill assessed in this class, averaged, mapped 1..4 → 0..100;
- fitness: their latest result in each fitness test over its healthy-zone minimum, capped at 2×, averaged, × 50.
Students with neither get the class median (and the card says how many). Teams come from a snake draft on score
(ties by student id), then pairwise swaps that lower ``cost`` (keep-apart violations first, then the variance of the
team means and of the team spreads) until no swap helps. Same input, same teams.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import InvalidInput
from domain.widgets.common import audit_students, num_text
from domain.widgets.queries import fitness_results, latest_skill_levels, roster
from domain.widgets.result import ChartData, Metric, Series, TableData, WidgetResult
from domain.widgets.scope import WidgetScope

MIN_TEAMS, MAX_TEAMS = 2, 8
VIOLATION_COST = 1_000_000.0
SPREAD_WEIGHT = 0.5
MAX_ROUNDS = 50
FITNESS_LOOKBACK_DAYS = 365


@dataclass(frozen=True, slots=True)
class Player:
    id: int
    name: str
    score: float
    keep_apart_from: frozenset[int] = frozenset()


def default_team_count(size: int) -> int:
    return 4 if size >= 16 else 2


def _stats(team: list[Player]) -> tuple[float, float]:
    scores = [p.score for p in team]
    return statistics.fmean(scores), _variance(scores) ** 0.5


def violations(teams: list[list[Player]]) -> int:
    """Keep-apart pairs (either direction recorded) that ended up on the same team."""
    pairs: set[tuple[int, int]] = set()
    for team in teams:
        ids = {p.id for p in team}
        pairs |= {(min(p.id, o), max(p.id, o)) for p in team for o in p.keep_apart_from if o in ids and o != p.id}
    return len(pairs)


def symmetric(players: list[Player]) -> list[Player]:
    """Keep-apart is mutual even when only one side recorded it."""
    partners: dict[int, set[int]] = defaultdict(set)
    for p in players:
        for o in p.keep_apart_from:
            partners[p.id].add(o)
            partners[o].add(p.id)
    return [dataclasses.replace(p, keep_apart_from=frozenset(partners[p.id])) for p in players]


def cost(teams: list[list[Player]]) -> float:
    stats = [_stats(t) for t in teams if t]
    means, spreads = [m for m, _ in stats], [s for _, s in stats]
    return VIOLATION_COST * violations(teams) + _variance(means) + SPREAD_WEIGHT * _variance(spreads)


def _variance(values: list[float]) -> float:
    """Population variance in plain floats (``statistics.pvariance`` is exact but ~50× slower)."""
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def balance(players: list[Player], n: int) -> list[list[Player]]:
    """Snake draft by score, then improving swaps; pure and deterministic.

    Swaps are scored incrementally (team sums and sums of squares, keep-apart counts of the two players moved), and
    the result is the same as re-scoring every candidate with ``cost``.
    """
    order = sorted(symmetric(players), key=lambda p: (-p.score, p.id))
    teams: list[list[Player]] = [[] for _ in range(n)]
    for i, p in enumerate(order):
        rnd, k = divmod(i, n)
        teams[k if rnd % 2 == 0 else n - 1 - k].append(p)
    members = [{p.id for p in t} for t in teams]
    sums = [sum(p.score for p in t) for t in teams]
    squares = [sum(p.score**2 for p in t) for t in teams]
    sizes = [len(t) for t in teams]
    broken = violations(teams)

    def total(sums_: list[float], squares_: list[float], broken_: int) -> float:
        means = [s / c for s, c in zip(sums_, sizes, strict=True)]
        spreads = [max(q / c - m * m, 0.0) ** 0.5 for q, c, m in zip(squares_, sizes, means, strict=True)]
        return VIOLATION_COST * broken_ + _variance(means) + SPREAD_WEIGHT * _variance(spreads)

    def clashes(p: Player, ids: set[int], leaving: int | None = None) -> int:
        return sum(1 for o in p.keep_apart_from if o in ids and o != leaving and o != p.id)

    best = total(sums, squares, broken)
    for _ in range(MAX_ROUNDS):
        improved = False
        for a in range(n):
            for b in range(a + 1, n):
                for i in range(len(teams[a])):
                    for j in range(len(teams[b])):
                        p, q = teams[a][i], teams[b][j]
                        delta = p.score - q.score
                        trial_sums, trial_squares = list(sums), list(squares)
                        trial_sums[a] -= delta
                        trial_sums[b] += delta
                        trial_squares[a] += q.score**2 - p.score**2
                        trial_squares[b] += p.score**2 - q.score**2
                        before = clashes(p, members[a]) + clashes(q, members[b])
                        after = clashes(p, members[b], leaving=q.id) + clashes(q, members[a], leaving=p.id)
                        c = total(trial_sums, trial_squares, broken - before + after)
                        if c < best - 1e-9:
                            teams[a][i], teams[b][j] = q, p
                            members[a].remove(p.id)
                            members[a].add(q.id)
                            members[b].remove(q.id)
                            members[b].add(p.id)
                            sums, squares, broken, best, improved = (trial_sums, trial_squares,
                                                                     broken - before + after, c, True)
        if not improved:
            break
    ordered = [sorted(t, key=lambda p: (-p.score, p.id)) for t in teams]
    return sorted(ordered, key=lambda t: (-t[0].score, t[0].id) if t else (0.0, 0))  # Team 1 has the top scorer


async def teams(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    cls = scope.one
    entries = await roster(session, scope)
    if not entries:
        return WidgetResult("teams", "Balanced teams", scope.label, None,
                            empty=f"No students are enrolled in {cls.name}.")
    n = scope.options.get("team_count") or default_team_count(len(entries))
    if not MIN_TEAMS <= n <= min(MAX_TEAMS, len(entries)):
        raise InvalidInput(f"Ask for between {MIN_TEAMS} and {min(MAX_TEAMS, len(entries))} teams for {cls.name}.")
    ids = [e.id for e in entries]
    skills: dict[int, list[int]] = defaultdict(list)
    for sid, _skill, level, _day in await latest_skill_levels(session, [cls.id], scope.today):
        skills[sid].append(level)
    fitness: dict[int, list[float]] = defaultdict(list)
    for r in await fitness_results(session, ids, scope.today - timedelta(days=FITNESS_LOOKBACK_DAYS), scope.today,
                                   latest_only=True):
        if r.healthy_min:
            fitness[r.student_id].append(min(r.value / r.healthy_min, 2.0))
    scores = {e.id: student_score(skills.get(e.id), fitness.get(e.id)) for e in entries}
    known = [s for s in scores.values() if s is not None]
    median = statistics.median(known) if known else 50.0
    players = [Player(e.id, e.name, score if (score := scores[e.id]) is not None else median,
                      frozenset(e.keep_apart_from)) for e in entries]
    result = balance(players, n)
    await audit_students(session, scope, ids)
    pairs = {(min(p.id, o), max(p.id, o)) for p in players for o in p.keep_apart_from if o in scores and o != p.id}
    stats = [_stats(t) for t in result]
    rows = [(f"Team {i + 1}", ", ".join(p.name for p in t), num_text(m), num_text(s))
            for i, (t, (m, s)) in enumerate(zip(result, stats, strict=True))]
    missing = len(players) - len(known)
    notes = [f"Scores combine skill levels and fitness results (0–100); {cls.name} median {num_text(median)}."]
    if missing:
        notes.append(f"{missing} student(s) had no skill or fitness data and were given the class median.")
    broken = violations(result)
    if broken:
        notes.append(f"{broken} keep-apart pair(s) could not be separated with {n} teams.")
    return WidgetResult(
        "teams", f"{n} balanced teams", scope.label, None,
        metrics=(Metric("Teams", str(n), n), Metric("Players", str(len(players)), len(players)),
                 Metric("Team means", f"{num_text(min(m for m, _ in stats))}–{num_text(max(m for m, _ in stats))}",
                        max(m for m, _ in stats) - min(m for m, _ in stats)),
                 Metric("Keep-apart pairs kept apart", f"{len(pairs) - broken} of {len(pairs)}", len(pairs) - broken)),
        table=TableData(("Team", "Players", "Mean", "Spread"), tuple(rows), "Teams"),
        chart=ChartData("bar", "Mean score per team", tuple(r[0] for r in rows),
                        (Series("Mean score", tuple(round(m, 1) for m, _ in stats)),), "score", 100),
        notes=tuple(notes), student_names=tuple(p.name for p in players),
    )


def student_score(levels: list[int] | None, ratios: list[float] | None) -> float | None:
    parts = []
    if levels:
        parts.append((statistics.fmean(levels) - 1) / 3 * 100)
    if ratios:
        parts.append(statistics.fmean(ratios) * 50)
    return round(statistics.fmean(parts), 1) if parts else None
