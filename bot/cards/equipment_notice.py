"""The private notice a teacher gets when equipment their classes use fails a check (``domain.records.notices``)."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, facts, heading, text
from domain.records.notices import EquipmentNoticeView


def equipment_notice_card(view: EquipmentNoticeView) -> dict[str, Any]:
    day = f"{view.inspected_on:%a %b} {view.inspected_on.day}"
    return card([
        heading(f"Out of service: {view.equipment_name}"),
        facts([
            ("Failed", view.details),
            ("Checked", f"{day} by {view.inspector_name}"),
            ("Your classes using it", view.classes),
        ]),
        text("It is out of service until it is repaired or replaced: plan those lessons without it.", subtle=True),
    ])


def summary(view: EquipmentNoticeView) -> str:
    """The notification preview line."""
    return f"Out of service: {view.equipment_name} ({view.details})"[:200]
