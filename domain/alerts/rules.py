"""Alert rules: which incidents alert the school's admins and nurse, and why.

A rule matches when every criterion it sets holds (criteria left empty are ignored; a rule that sets none matches
nothing): severity at least ``min_severity``; ``incident_type`` among ``incident_types``; one of ``keywords`` in the
description, injuries or actions taken — or in the incident type read as words ("head_injury" → "head injury") —
as a whole word or phrase, case-insensitive. An incident alerts when any enabled rule for its school matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import AlertRule, Incident, School, Severity

SEVERITY_ORDER = {Severity.minor: 0, Severity.moderate: 1, Severity.serious: 2, Severity.critical: 3}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    min_severity: Severity | None = None
    incident_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @classmethod
    def of(cls, rule: AlertRule) -> RuleSpec:
        return cls(rule.name, rule.min_severity, tuple(rule.incident_types or ()), tuple(rule.keywords or ()))


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    severity: Severity
    incident_type: str
    description: str
    injuries: str | None = None
    action_taken: str | None = None

    @classmethod
    def of(cls, incident: Incident) -> IncidentFacts:
        return cls(incident.severity, incident.incident_type, incident.description, incident.injuries,
                   incident.action_taken)

    @property
    def text(self) -> str:
        parts = (self.description, self.injuries or "", self.action_taken or "", self.incident_type.replace("_", " "))
        return "\n".join(parts)


@lru_cache(maxsize=512)
def _pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def keyword_hits(text: str, keywords: Iterable[str]) -> list[str]:
    return [k for k in keywords if k.strip() and _pattern(k.strip()).search(text)]


def rule_reason(rule: RuleSpec, incident: IncidentFacts) -> str | None:
    """Why this rule fires for the incident, or None when it does not."""
    found: list[str] = []
    if rule.min_severity is not None:
        if SEVERITY_ORDER[Severity(incident.severity)] < SEVERITY_ORDER[Severity(rule.min_severity)]:
            return None
        found.append(f"severity {Severity(incident.severity).value}")
    if rule.incident_types:
        if incident.incident_type not in rule.incident_types:
            return None
        found.append(f"type {incident.incident_type.replace('_', ' ')}")
    if rule.keywords:
        hits = keyword_hits(incident.text, rule.keywords)
        if not hits:
            return None
        found.append("mentions " + ", ".join(f"“{h}”" for h in hits))
    return f"{rule.name}: {'; '.join(found)}" if found else None


def reasons(incident: IncidentFacts, rules: Sequence[RuleSpec]) -> list[str]:
    return [r for r in (rule_reason(rule, incident) for rule in rules) if r is not None]


async def rules_for_school(session: AsyncSession, school_id: int) -> list[RuleSpec]:
    district = select(School.district_id).where(School.id == school_id).scalar_subquery()
    rows = await session.execute(
        select(AlertRule)
        .where(
            AlertRule.enabled.is_(True),
            AlertRule.district_id == district,
            or_(AlertRule.school_id.is_(None), AlertRule.school_id == school_id),
        )
        .order_by(AlertRule.id)
    )
    return [RuleSpec.of(r) for r in rows.scalars()]
