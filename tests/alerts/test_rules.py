"""Alert rules: severity, types and whole-word keywords; the demo defaults."""

from __future__ import annotations

from domain.alerts.rules import IncidentFacts, RuleSpec, reasons
from domain.models import Severity
from tests.support.alerts import World

SERIOUS = RuleSpec("Serious or critical incidents", min_severity=Severity.serious)
KEYWORDS = RuleSpec("Safety keywords", keywords=("head injury", "911", "fracture", "breathing"))
TYPES = RuleSpec("Safety types", incident_types=("head_injury", "allergic_reaction"))


def facts(severity: str = "minor", incident_type: str = "injury", description: str = "Scraped knee on the track.",
          **more: str) -> IncidentFacts:
    return IncidentFacts(Severity(severity), incident_type, description, more.get("injuries"), more.get("action_taken"))


def test_a_serious_or_critical_incident_matches_the_severity_rule() -> None:
    assert reasons(facts("serious"), [SERIOUS]) == ["Serious or critical incidents: severity serious"]
    assert reasons(facts("critical"), [SERIOUS])
    assert not reasons(facts("moderate"), [SERIOUS])


def test_keywords_match_whole_words_in_any_text_field_case_insensitively() -> None:
    assert reasons(facts(description="We called 911 right away."), [KEYWORDS])
    assert reasons(facts(injuries="Possible FRACTURE of the wrist"), [KEYWORDS])
    assert reasons(facts(action_taken="Monitored breathing until EMS came"), [KEYWORDS])
    assert reasons(facts(description="Suspected head\ninjury after a collision"), [KEYWORDS])
    assert not reasons(facts(description="Room 9110 was locked"), [KEYWORDS]), "911 inside a number is not 911"
    assert not reasons(facts(description="Heavy breathingless jog"), [KEYWORDS])


def test_the_incident_type_counts_as_text_and_as_a_type() -> None:
    assert reasons(facts(incident_type="head_injury", description="Bumped heads"), [KEYWORDS])
    assert reasons(facts(incident_type="allergic_reaction", description="Hives"), [TYPES])


def test_every_criterion_a_rule_sets_must_hold_and_an_empty_rule_matches_nothing() -> None:
    both = RuleSpec("Serious head injuries", min_severity=Severity.serious, keywords=("head injury",))
    assert not reasons(facts("minor", description="head injury"), [both])
    assert reasons(facts("serious", description="head injury"), [both])
    assert not reasons(facts("critical"), [RuleSpec("empty")])


def test_a_minor_scrape_matches_nothing() -> None:
    assert reasons(facts(), [SERIOUS, KEYWORDS, TYPES]) == []


async def test_the_demo_defaults_alert_on_serious_and_keyword_incidents_but_not_a_minor_scrape(world: World) -> None:
    await world.log_incident(severity="serious")
    await world.log_incident(severity="minor", description="Possible concussion after a fall.")
    await world.log_incident(severity="minor", description="Scraped knee on the track.", action_taken="Plaster")
    async with world.sessions() as s:
        from sqlalchemy import text

        rows = (await s.execute(text("SELECT reason FROM alerts ORDER BY id"))).scalars().all()
    assert len(rows) == 2
    assert "severity serious" in rows[0]
    assert "“concussion”" in rows[1]
