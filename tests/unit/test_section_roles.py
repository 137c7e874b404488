"""Section roles are decided at ingestion from headings and text, for any document (not only the bundled corpus)."""

from __future__ import annotations

from domain.section_roles import role_of
from knowledge.chunking import chunk_document
from knowledge.documents import parse_document

ADMIN_DOC = """---
title: Trampoline Park Field Trip
kind: safety
audience: pe-teachers
grade_band: 6-8
version: 1.0
reviewed_by: District Health Services
reviewed_on: 2026-11-01
---
# Trampoline Park Field Trip

## Why This Exists
Trampoline parks cause sprains and neck injuries.

## If Someone Gets Hurt
1. Stop the student's jumping and keep others off the bed.
2. Do not move a student who complains of neck pain.

## When to Call 911
Call 911 for neck pain with numbness.

## Who to Tell
Tell the trip lead and the nurse the same day.

## Purpose
Background only.
"""


def test_headings_and_numbered_lists_decide_the_role() -> None:
    assert role_of("Immediate Actions", "1. Do this.\n2. Then that.") == "steps"
    assert role_of("Suspending Activity", "Suspend all outdoor activity as soon as thunder is heard.") == "steps"
    assert role_of("When to Call 911", "Call 911 if ...") == "criteria"
    assert role_of("Notification and Documentation", "Tell the nurse.") == "roles"
    assert role_of("Purpose", "1. numbered\n2. but background") == "background"
    assert role_of("Signs and Symptoms", "Wheezing, coughing.") == "other"
    assert role_of("If Someone Gets Hurt", "1. Stop.\n2. Call.") == "steps"  # a numbered list is steps


def test_a_heading_that_states_its_circumstance_is_steps() -> None:
    # what to do then, whatever the body looks like; "When to …" stays criteria
    assert role_of("When Immersion Is Not Possible", "If a tub is not available, use cold towels.") == "steps"
    assert role_of("If the Bus Breaks Down", "Keep students seated.") == "steps"
    assert role_of("During a Power Outage", "Stay with the class.") == "steps"
    assert role_of("When to Call 911", "Call 911 if ...") == "criteria"
    assert role_of("When to Seek Care", "A doctor sees ...") == "criteria"


def test_an_admin_document_with_its_own_headings_gets_roles_at_chunking() -> None:
    chunks = chunk_document(parse_document(ADMIN_DOC, "trampoline-park-field-trip"))
    roles = {c.section: c.role for c in chunks}
    assert roles == {"Why This Exists": "other", "If Someone Gets Hurt": "steps", "When to Call 911": "criteria",
                     "Who to Tell": "roles", "Purpose": "background"}
