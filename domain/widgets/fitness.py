"""fitness_trends: fitness-test results over time against healthy-fitness-zone bands stored as data.

A result is "in the zone" when it is within the band (at least ``healthy_min``, at most ``healthy_max`` where one is
set) for the student's sex and age on the test day (ages over 18 use the "17+" band; ages without one get no zone).
Results are a student's health information: shown to their teacher, nurse and admin, never ranked. Per test: each
student's latest result in the period; over time: the share in the zone per month, across every result in the period.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from domain.widgets.common import audit_classes, audit_students, num_text, pct, pct_text, table
from domain.widgets.queries import FitnessResult, fitness_results, roster
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope

TEST_NAMES = {"pacer": "PACER", "mile_run": "Mile run", "push_ups": "Push-ups", "curl_ups": "Curl-ups",
              "trunk_lift": "Trunk lift", "sit_and_reach_left": "Sit-and-reach (L)",
              "sit_and_reach_right": "Sit-and-reach (R)", "sit_and_reach": "Sit-and-reach"}
SUPPORT_TESTS_BELOW = 2


def in_zone(r: FitnessResult) -> bool | None:
    if r.healthy_min is None and r.healthy_max is None:
        return None
    return (r.healthy_min is None or r.value >= r.healthy_min) and (r.healthy_max is None or r.value <= r.healthy_max)


def _name(test: str) -> str:
    return TEST_NAMES.get(test, test.replace("_", " ").capitalize())


async def fitness_trends(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    entries = await roster(session, scope)
    names = {e.id: e.name for e in entries}
    everything = await fitness_results(session, list(names), scope.period.start, scope.period.end, latest_only=False)
    await audit_classes(session, scope)
    if not everything:
        return WidgetResult("fitness_trends", "Fitness trends", scope.label, scope.period,
                            empty=f"No fitness tests were recorded for {scope.label} in this period.")
    latest: dict[tuple[int, str], FitnessResult] = {}
    for r in everything:  # ordered by date: the last one wins
        latest[(r.student_id, r.test)] = r
    as_of = max(r.tested_on for r in everything)
    if scope.student:
        await audit_students(session, scope, [scope.student.id])
        rows = [(_name(r.test), f"{r.tested_on:%b %-d}", f"{num_text(r.value)} {r.unit}",
                 {True: "in zone", False: "below zone", None: "no band"}[in_zone(r)]) for r in everything]
        return WidgetResult(
            "fitness_trends", f"Fitness — {scope.student.display_name}", scope.label, scope.period,
            metrics=(Metric("Tests", str(len(latest)), len(latest)),
                     Metric("In healthy zone", str(sum(in_zone(r) is True for r in latest.values())),
                            sum(in_zone(r) is True for r in latest.values()))),
            table=table("Results", ("Test", "Date", "Result", "Zone"), rows),
            as_of=as_of, student_names=(scope.student.display_name,),
        )
    by_test: dict[str, list[FitnessResult]] = defaultdict(list)
    for r in latest.values():
        by_test[r.test].append(r)
    test_rows: list[tuple[str, str, str, str, str]] = []
    shares: list[tuple[str, float | None]] = []
    for test in sorted(by_test, key=lambda t: list(TEST_NAMES).index(t) if t in TEST_NAMES else 99):
        results = by_test[test]
        banded = [r for r in results if in_zone(r) is not None]
        share = pct(sum(in_zone(r) is True for r in banded), len(banded))
        shares.append((test, share))
        test_rows.append((_name(test), str(len(results)), pct_text(share),
                     f"{num_text(statistics.median(r.value for r in results))} {results[0].unit}",
                     str(len(names) - len(results))))
    below_count: dict[int, int] = defaultdict(int)
    for r in latest.values():
        if in_zone(r) is False:
            below_count[r.student_id] += 1
    support = sorted((sid for sid, n in below_count.items() if n >= SUPPORT_TESTS_BELOW), key=lambda i: names[i])
    notes = []
    if support:
        listed = ", ".join(names[i] for i in support[:10])
        notes.append(f"Below the zone in {SUPPORT_TESTS_BELOW}+ tests ({len(support)}): {listed}"
                     + ("…" if len(support) > 10 else "."))
        await audit_students(session, scope, support[:10])
    chart = _over_time(everything) or ChartData(
        "bar", "Share in the healthy zone by test", tuple(_name(t) for t, _ in shares),
        (Series("In zone %", tuple(s or 0.0 for _, s in shares)),), "%", 100)
    zone = [in_zone(r) for r in latest.values() if in_zone(r) is not None]
    overall = pct(sum(z is True for z in zone), len(zone))
    tested = {sid for sid, _ in latest}
    return WidgetResult(
        "fitness_trends", "Fitness trends", scope.label, scope.period,
        metrics=(Metric("In healthy zone", pct_text(overall), overall),
                 Metric("Students tested", f"{len(tested)} of {len(names)}", len(tested)),
                 Metric("Below zone in 2+ tests", str(len(support)), len(support))),
        table=table("Latest result per test", ("Test", "Tested", "In zone", "Median", "Not tested"), test_rows),
        chart=chart, notes=tuple(notes), as_of=as_of,
        student_names=tuple(names[i] for i in support[:10]),
    )


def _over_time(results: list[FitnessResult]) -> ChartData | None:
    """A line per test of the monthly share in the zone, when the results span more than one month."""
    months = sorted({(r.tested_on.year, r.tested_on.month) for r in results})
    if len(months) < 2:
        return None
    cells: dict[tuple[str, tuple[int, int]], list[bool]] = defaultdict(list)
    for r in results:
        z = in_zone(r)
        if z is not None:
            cells[(r.test, (r.tested_on.year, r.tested_on.month))].append(z)
    tests = sorted({r.test for r in results}, key=lambda t: list(TEST_NAMES).index(t) if t in TEST_NAMES else 99)
    series = tuple(
        Series(_name(t), tuple(pct(sum(cells[(t, m)]), len(cells[(t, m)])) or 0.0 for m in months)) for t in tests
    )
    labels = tuple(f"{y}-{m:02d}" for y, m in months)
    return ChartData("line", "Share in the healthy zone by month", labels, series, "%", 100)
