"""Alembic migrations on a real PostgreSQL 18 + pgvector: up, down, up again, and the schema matches the models."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from devtools.embedded_servers import EmbeddedPostgres
from domain import migrate
from domain.db import make_engine
from domain.models import Base
from tests.support.databases import database_url

EXPECTED_TABLES = {
    "districts", "schools", "staff", "classes", "students", "guardians", "enrollments", "attendance", "activities",
    "activity_participation", "skill_assessments", "fitness_tests", "fitness_bands", "health_notes", "incidents",
    "alert_rules", "alerts", "alert_deliveries", "equipment", "equipment_inspections", "lesson_plans",
    "calendar_events", "drivers_ed_progress", "conversation_references", "conversation_turns", "audit_log",
    "message_feedback", "knowledge_documents", "knowledge_chunks", "knowledge_passages", "knowledge_lexemes", "knowledge_uploads",
    "knowledge_sharepoint_folders", "knowledge_sharepoint_items", "knowledge_sharepoint_jobs",
    "knowledge_sync_notices",
    "roster_imports", "roster_uploads",
    "emergencies", "emergency_classes", "emergency_marks", "emergency_deliveries",
    "record_submissions", "equipment_notices", "home_messages", "home_message_recipients", "export_files",
    "pre_class_briefs", "school_temperatures", "brief_preferences", "nurse_requests", "nurse_deliveries",
    "teams_install_jobs", "teams_install_notices",
}


async def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {r[0] for r in rows} - {"alembic_version"}
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade_on_an_empty_database(postgres: EmbeddedPostgres) -> None:
    postgres.psql("CREATE DATABASE mig_roundtrip")
    url = database_url(postgres, "mig_roundtrip")
    migrate.upgrade(url)
    assert asyncio.run(_tables(url)) == EXPECTED_TABLES
    migrate.downgrade(url)
    assert asyncio.run(_tables(url)) == set()
    migrate.upgrade(url)
    assert asyncio.run(_tables(url)) == EXPECTED_TABLES
    assert asyncio.run(_diff(url)) == [], "the migrations and the models disagree"
    postgres.psql("DROP DATABASE mig_roundtrip WITH (FORCE)")


async def test_the_audit_log_refuses_updates_and_deletes(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO audit_log (actor_tenant_id, actor_aad_object_id, action, subject_type, via, allowed)"
                    " VALUES ('t', 'a', 'student.read', 'student', 'test', true)"
                )
            )
        for statement in ("UPDATE audit_log SET allowed = false", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement))
    finally:
        await engine.dispose()
