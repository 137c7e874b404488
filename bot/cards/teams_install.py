"""What an admin reads about installing Faraday for unreachable staff: the per-person report, sent to their 1:1 chat
when the background job finishes (``domain.teams_install_jobs``), or shown again when the same card is re-pressed."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import card, heading, section, text
from domain.teams_install import InstallReport


def report_title(report: InstallReport) -> str:
    return (f"Faraday is installed for {len(report.reached)} of {len(report.results)}" if report.results
            else "Nothing was installed")


def report_card(report: InstallReport) -> dict[str, Any]:
    """Who is reachable now, and who was not installed with the reason, by name."""
    reached, missed = report.reached, report.not_reached
    body: list[dict[str, Any]] = [heading(report_title(report))]
    if report.repeated:
        body.append(text("This was already done; nothing more was installed.", subtle=True))
    if report.problem:
        body.append(text(f"The install did not finish: {report.problem}.", subtle=True))
    if reached:
        body.append(section("Reachable now", [f"{r.name} ({r.outcome})" for r in reached]))
    if missed:
        body.append(section("Not installed", [f"{r.name}: {r.detail or r.outcome}" for r in missed],
                            style="attention"))
    return card(body)


def report_sentence(report: InstallReport) -> str:
    missed = report.not_reached
    return (f"Installed for {len(report.reached)} of {len(report.results)}."
            + (f" Not installed: {', '.join(r.name for r in missed)}." if missed else ""))


def report_preview(report: InstallReport) -> str:
    """The notification line: counts only, no names."""
    return f"Faraday install finished: {len(report.reached)} of {len(report.results)} reachable"
