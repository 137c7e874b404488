"""What an import did (or would do): per-entity counts and the errors, as the CLI prints it."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.roster.model import ENTITIES, RosterError


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "deactivated": self.deactivated,
                "unchanged": self.unchanged}

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


@dataclass(slots=True)
class ImportReport:
    format: str
    dry_run: bool
    scope: str  # the PE pattern, or "all classes"
    counts: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name in ENTITIES})
    errors: list[RosterError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    def as_json(self) -> dict[str, object]:
        """The report as the issue specifies it: format, dry_run, counts per entity, errors."""
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "counts": {name: self.counts[name].as_dict() for name in ENTITIES},
            "errors": [e.as_dict() for e in self.errors],
        }

    def as_text(self) -> str:
        if self.errors:
            lines = [f"{self.format}: {len(self.errors)} error(s); nothing was written."]
            lines += [f"  {e.file}{'' if e.line is None else f' line {e.line}'}: {e.message}" for e in self.errors]
            return "\n".join(lines)
        verb = "would change" if self.dry_run else "changed"
        head = f"{self.format} ({'dry run, nothing written' if self.dry_run else 'applied'}); scope: {self.scope}"
        if not self.changed:
            return f"{head}\nNothing {verb}: the database already matches this roster."
        rows = [f"  {name:<12} {c.created:>7} created {c.updated:>7} updated {c.deactivated:>7} deactivated "
                f"{c.unchanged:>7} unchanged" for name, c in self.counts.items()]
        return "\n".join([head, *rows])
