"""equipment: items overdue for inspection, damaged, or below their minimum count, at the caller's school.

Overdue: never inspected, or the last inspection plus the item's interval is before today. Out of service: the item
failed a check, or numbered pieces did (their latest check failed or needs repair, and no whole-item check has
passed since). With a class named, only
items its current unit uses (or general items that list no unit) are shown; otherwise the whole school's (the
gym's equipment is shared). Retired items are ignored. Equipment is
not a student record, so nothing is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Equipment, EquipmentInspection
from domain.widgets.common import table
from domain.widgets.result import ChartData, Metric, Series, WidgetResult
from domain.widgets.scope import WidgetScope


@dataclass(frozen=True, slots=True)
class EquipmentIssue:
    name: str
    issues: tuple[str, ...]
    last_inspected: date | None
    quantity: int
    min_quantity: int
    units: tuple[str, ...]


async def equipment_issues(
    session: AsyncSession, school_id: int, today: date, units: set[str] | None
) -> tuple[int, list[EquipmentIssue]]:
    """(items considered, items with an issue), ordered by name. ``units``: only items these units use, or general."""
    last = (
        select(EquipmentInspection.equipment_id, func.max(EquipmentInspection.inspected_on).label("last"))
        .join(Equipment, Equipment.id == EquipmentInspection.equipment_id)
        .where(Equipment.school_id == school_id, EquipmentInspection.inspected_on <= today)
        .group_by(EquipmentInspection.equipment_id)
        .subquery()
    )
    pieces = await _pieces_with_problems(session, school_id, today)
    rows: Result[str, int, int, str, int, list[str] | None, date | None, bool, int] = await session.execute(
        select(Equipment.name, Equipment.quantity, Equipment.min_quantity, Equipment.condition,
               Equipment.inspection_interval_days, Equipment.units, last.c.last, Equipment.out_of_service,
               Equipment.id)
        .outerjoin(last, last.c.equipment_id == Equipment.id)
        .where(Equipment.school_id == school_id, Equipment.condition != "retired")
        .order_by(Equipment.name, Equipment.id)
    )
    considered, found = 0, list[EquipmentIssue]()
    for name, qty, min_qty, condition, interval, unit_list, last_on, out_of_service, item_id in rows:
        item_units = tuple(unit_list or ())
        if units is not None and item_units and not units.intersection(item_units):
            continue
        considered += 1
        issues: list[str] = []
        if last_on is None:
            issues.append("never inspected")
        elif last_on + timedelta(days=interval) < today:
            issues.append(f"inspection overdue {(today - last_on - timedelta(days=interval)).days} days")
        if out_of_service:
            issues.append("out of service")
        elif condition == "damaged":
            issues.append("damaged")
        issues += pieces.get(item_id, [])
        if qty < min_qty:
            issues.append(f"below minimum ({qty} of {min_qty})")
        if issues:
            found.append(EquipmentIssue(name, tuple(issues), last_on, qty, min_qty, item_units))
    return considered, found


async def _pieces_with_problems(session: AsyncSession, school_id: int, today: date) -> dict[int, list[str]]:
    """Numbered pieces whose latest check failed ("out of service: #3") or needs repair, unless a whole-item check
    passed after it."""
    rows = (await session.execute(
        select(EquipmentInspection.equipment_id, EquipmentInspection.item_label, EquipmentInspection.result,
               EquipmentInspection.notes, EquipmentInspection.inspected_on, EquipmentInspection.id)
        .join(Equipment, Equipment.id == EquipmentInspection.equipment_id)
        .where(Equipment.school_id == school_id, EquipmentInspection.inspected_on <= today)
        .order_by(EquipmentInspection.inspected_on, EquipmentInspection.id)
    )).all()
    latest: dict[tuple[int, str], tuple[str, str | None]] = {}
    for equipment_id, label, result, notes, _day, _id in rows:
        if label is None:
            if result == "pass":  # a whole-item check that passed clears earlier piece problems
                for key in [k for k in latest if k[0] == equipment_id]:
                    del latest[key]
            continue
        latest[(equipment_id, label)] = (result, notes)
    found: dict[int, list[str]] = {}
    for (equipment_id, label), (result, notes) in sorted(latest.items()):
        if result in ("fail", "repair"):
            what = "out of service" if result == "fail" else "needs repair"
            found.setdefault(equipment_id, []).append(f"{what}: {label}" + (f" ({notes[:60]})" if notes else ""))
    return found


def _count(found: list[EquipmentIssue], prefix: str) -> int:
    return sum(any(i.startswith(prefix) for i in e.issues) for e in found)


async def equipment(session: AsyncSession, scope: WidgetScope) -> WidgetResult:
    units = {c.current_unit for c in scope.classes if c.current_unit} if scope.named_class else None
    considered, found = await equipment_issues(session, scope.actor.school_id, scope.today, units)
    label = scope.actor.school_name if units is None else f"{scope.label} (units: {', '.join(sorted(units)) or '—'})"
    if considered == 0:
        return WidgetResult("equipment", "Equipment", label, None, empty=f"No equipment is recorded for {label}.")
    overdue = _count(found, "never") + _count(found, "inspection overdue")
    damaged = sum(any(i.startswith(("damaged", "out of service", "needs repair")) for i in e.issues) for e in found)
    low = _count(found, "below minimum")
    rows = [(e.name, "; ".join(e.issues), f"{e.last_inspected:%b %-d, %Y}" if e.last_inspected else "never",
             f"{e.quantity} (min {e.min_quantity})") for e in found]
    return WidgetResult(
        "equipment", "Equipment check", label, None,
        metrics=(Metric("Inspection overdue", str(overdue), overdue),
                 Metric("Damaged", str(damaged), damaged),  # out of service (whole or pieces) counts here
                 Metric("Below minimum", str(low), low), Metric("Items checked", str(considered), considered)),
        table=table("Needs attention", ("Item", "Issue", "Last inspected", "On hand"), rows) if rows else None,
        chart=ChartData("bar", "Items needing attention", ("Overdue", "Damaged", "Below min"),
                        (Series("Items", (float(overdue), float(damaged), float(low))),)) if rows else None,
        notes=() if rows else ("Every item is inspected, in good repair and stocked.",),
        as_of=scope.today,
    )
