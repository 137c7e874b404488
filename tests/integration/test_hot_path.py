"""The per-turn shortcuts of fe22cb0 against the real Postgres: the cached caller roster never leaks a student who left
the caller's classes, conversation references are rewritten only when changed or stale, the memory write and its
trim are one atomic statement, pooled connections idle past the window are pinged at checkout, and
``autocommit`` really runs without a transaction (and does not leave its autocommit on the pooled connection).
"""

from __future__ import annotations

import asyncio
import dataclasses
import types
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from devtools.fakes.activities import ADELE, ALEX, BOT_ID, ISAIAH, MEGAN, TENANT
from domain import conversations, db
from domain.actor import Actor
from domain.conversations import ConversationService
from domain.db import asyncpg_url, autocommit, make_engine, make_sessionmaker, unit_of_work
from domain.identity import IdentityService
from domain.memory import KEEP_ROWS, MAX_TURNS, ConversationMemory
from domain.seed.facts import DEMO
from domain.students import StudentLookup, StudentService

VIA = "test:hot-path"
MISSING_STAFF_ID = 987_654_321
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


# --- helpers -------------------------------------------------------------------------------------------------------
@pytest.fixture
async def engine(demo_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(demo_db_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def outside(demo_db_url: str) -> AsyncIterator[Any]:
    """Runs one statement on a connection of its own (not the pool under test), committed at once."""
    other = create_async_engine(asyncpg_url(demo_db_url), poolclass=NullPool)

    async def run(sql: str, **params: Any) -> list[Any]:
        async with other.begin() as connection:
            result = await connection.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    yield run
    await other.dispose()


async def actor_for(sessions: async_sessionmaker[AsyncSession], aad: str) -> Actor:
    actor = await IdentityService(sessions).resolve(TENANT, aad)
    assert actor is not None
    return actor


async def student_id(outside: Any, first: str, last: str) -> int:
    (row,) = await outside("SELECT id FROM students WHERE first_name = :f AND last_name = :l", f=first, l=last)
    return int(row.id)


async def audit_mark(outside: Any) -> int:
    (row,) = await outside("SELECT coalesce(max(id), 0) AS id FROM audit_log")
    return int(row.id)


async def audit_since(outside: Any, mark: int, staff_id: int) -> list[tuple[str, int, bool]]:
    rows = await outside(
        "SELECT action, subject_id, allowed FROM audit_log WHERE id > :mark AND actor_staff_id = :staff"
        " ORDER BY id", mark=mark, staff=staff_id,
    )
    return [(r.action, int(r.subject_id), bool(r.allowed)) for r in rows]


def cached_roster_ids(students: StudentService, actor: Actor) -> set[int]:
    """The ids in the caller's cached roster: proves a look-up below is served from the cache, not a fresh read."""
    entry = students._rosters.get((actor.staff_id, actor.role, actor.school_id))
    assert entry is not None, "the roster was not cached"
    return {row.id for row in entry[1]}


async def unenroll_from_teacher(outside: Any, student: int, teacher: int) -> None:
    removed = await outside(
        "DELETE FROM enrollments e USING classes c WHERE e.class_id = c.id AND c.teacher_id = :teacher"
        " AND e.student_id = :student RETURNING e.class_id", teacher=teacher, student=student,
    )
    assert removed, "the student was not in the teacher's classes"


async def reassign_classes_of(outside: Any, student: int, teacher: int, to: int) -> None:
    moved = await outside(
        "UPDATE classes SET teacher_id = :to WHERE teacher_id = :teacher"
        " AND id IN (SELECT class_id FROM enrollments WHERE student_id = :student) RETURNING id",
        teacher=teacher, to=to, student=student,
    )
    assert moved, "the student was not in the teacher's classes"


# --- 1. the cached roster is only for matching names: visibility is re-checked in SQL ------------------------------
@pytest.mark.parametrize("change", ["unenrolled", "class reassigned"])
async def test_a_student_who_left_the_callers_classes_is_refused_despite_the_cached_roster(
    sessions: async_sessionmaker[AsyncSession], outside: Any, change: str
) -> None:
    students = StudentService(sessions)
    alex = await actor_for(sessions, ALEX)
    isaiah = await actor_for(sessions, ISAIAH)
    ortiz = await student_id(outside, "Jamie", "Ortiz")

    mark = await audit_mark(outside)
    first = await students.find(alex, "Jamie Ortiz", via=VIA)
    assert first.status == "found" and first.profile is not None and first.profile.summary.id == ortiz
    assert await audit_since(outside, mark, alex.staff_id) == [("student.read", ortiz, True)]

    if change == "unenrolled":
        await unenroll_from_teacher(outside, ortiz, alex.staff_id)
    else:
        await reassign_classes_of(outside, ortiz, alex.staff_id, isaiah.staff_id)
    assert ortiz in cached_roster_ids(students, alex)  # still there: the next find matches against the stale roster

    mark = await audit_mark(outside)
    second = await students.find(alex, "Jamie Ortiz", via=VIA)
    assert second == StudentLookup(status="not_found", query="Jamie Ortiz")  # no profile, no candidates
    assert await audit_since(outside, mark, alex.staff_id) == [("student.read", ortiz, False)]
    assert ortiz in cached_roster_ids(students, alex)  # the refusal came from the SQL re-check, not a fresh roster

    # The student's new teacher (no cache involved) still finds them: the refusal is about Alex, not the record.
    if change == "class reassigned":
        found = await students.find(isaiah, "Jamie Ortiz", via=VIA)
        assert found.status == "found" and found.profile is not None and found.profile.summary.id == ortiz


async def test_a_candidate_who_left_the_callers_classes_is_not_listed_despite_the_cached_roster(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    students = StudentService(sessions)
    alex = await actor_for(sessions, ALEX)
    ortiz = await student_id(outside, "Jamie", "Ortiz")
    chen = await student_id(outside, "Jamie", "Chen")

    both = await students.find(alex, "Jamie", via=VIA)
    assert both.status == "ambiguous"
    assert {c.id for c in both.candidates} == {ortiz, chen}

    await unenroll_from_teacher(outside, chen, alex.staff_id)
    assert {ortiz, chen} <= cached_roster_ids(students, alex)

    mark = await audit_mark(outside)
    one = await students.find(alex, "Jamie", via=VIA)
    assert one.status == "found", "one Jamie left in the caller's classes: no choice to make"
    shown = [c.id for c in one.candidates] + ([one.profile.summary.id] if one.profile else [])
    assert shown == [ortiz]
    assert DEMO.jamie_chen.student_number not in repr(one) and "Chen" not in repr(one)
    written = await audit_since(outside, mark, alex.staff_id)
    assert [(subject, allowed) for _, subject, allowed in written] == [(ortiz, True)]  # nothing logged as read of Chen

    # Neither Jamie visible any more, both still in the cached roster: refused and audited as such.
    await unenroll_from_teacher(outside, ortiz, alex.staff_id)
    assert {ortiz, chen} <= cached_roster_ids(students, alex)
    mark = await audit_mark(outside)
    none = await students.find(alex, "Jamie", via=VIA)
    assert none == StudentLookup(status="not_found", query="Jamie")
    written = await audit_since(outside, mark, alex.staff_id)
    assert sorted(written) == sorted([("student.read", ortiz, False), ("student.read", chen, False)])


async def test_a_profile_is_read_and_audited_in_one_statement_with_what_each_role_may_see(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    """domain/student_profile.py: the classes, notes and contact come from the same statement as the audit row;
    checked against plain queries of the same tables."""
    students = StudentService(sessions)
    alex, adele = await actor_for(sessions, ALEX), await actor_for(sessions, ADELE)
    ortiz = await student_id(outside, "Jamie", "Ortiz")
    await outside("INSERT INTO health_notes (student_id, category, note) VALUES (:s, 'other', 'zz test note')",
                  s=ortiz)
    notes = [f"{r.category}: {r.note}" for r in await outside(
        "SELECT category, note FROM health_notes WHERE student_id = :s ORDER BY created_at, id", s=ortiz)]
    assert notes[-1] == "other: zz test note"

    def classes_sql(where: str) -> str:
        return ("SELECT c.name FROM classes c JOIN enrollments e ON e.class_id = c.id WHERE e.student_id = :s AND "
                f"{where} ORDER BY c.period, c.name")

    for actor, where, restricted in ((alex, "c.teacher_id = :v", False), (adele, "c.school_id = :v", True)):
        viewer = actor.school_id if restricted else actor.staff_id
        expected_classes = tuple(r.name for r in await outside(classes_sql(where), s=ortiz, v=viewer))
        mark = await audit_mark(outside)
        found = await students.find(actor, "Jamie Ortiz", via=VIA)
        assert found.status == "found" and found.profile is not None
        profile = found.profile
        assert profile.summary.id == ortiz and profile.summary.classes == expected_classes
        assert profile.emergency_contact is not None  # a safety need: both roles see it
        assert (profile.health_notes == tuple(notes)) if restricted else profile.health_notes is None
        assert (profile.date_of_birth is not None) is restricted
        rows = await outside("SELECT action, subject_id, allowed, reason, via FROM audit_log WHERE id > :m", m=mark)
        assert [(r.action, r.subject_id, r.allowed, r.reason, r.via) for r in rows] == [
            ("student.read", ortiz, True, "with health notes" if restricted else None, VIA)]


# --- 2. conversation references: rewritten only when changed or older than REFRESH_S --------------------------------
def reference(*, aad: str = ALEX, conversation_id: str = "a:hot-path-personal",
              service_url: str = "https://smba.example.invalid/amer/") -> dict[str, Any]:
    return {
        "user": {"id": f"29:{aad}", "name": "Test User", "aadObjectId": aad},
        "bot": {"id": f"28:{BOT_ID}", "name": "Faraday"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
        "channelId": "msteams",
        "locale": "en-US",
        "serviceUrl": service_url,
    }


async def stored_reference(outside: Any, conversation_id: str = "a:hot-path-personal") -> Any:
    rows = await outside(
        "SELECT staff_id, service_url, reference, updated_at FROM conversation_references"
        " WHERE conversation_id = :id", id=conversation_id,
    )
    assert len(rows) == 1
    return rows[0]


async def age_reference(outside: Any, conversation_id: str = "a:hot-path-personal") -> None:
    await outside("UPDATE conversation_references SET updated_at = :at WHERE conversation_id = :id",
                  at=LONG_AGO, id=conversation_id)


def recently(moment: datetime) -> bool:
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


async def test_an_unchanged_reference_is_not_rewritten_and_a_changed_one_is(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    service = ConversationService(sessions)
    alex = await actor_for(sessions, ALEX)

    await service.remember(alex, reference())
    row = await stored_reference(outside)
    assert row.staff_id == alex.staff_id and row.reference == reference() and recently(row.updated_at)

    await age_reference(outside)
    await service.remember(alex, reference())
    assert (await stored_reference(outside)).updated_at == LONG_AGO  # skipped: same reference, stored just now

    moved = reference(service_url="https://smba.example.invalid/emea/")
    await service.remember(alex, moved)
    row = await stored_reference(outside)
    assert row.service_url == "https://smba.example.invalid/emea/" and row.reference == moved
    assert recently(row.updated_at)

    await age_reference(outside)
    await service.remember(alex, moved)  # the changed reference is now the remembered one
    assert (await stored_reference(outside)).updated_at == LONG_AGO

    # The same conversation (a group chat, say) reached by another member is that member's reference now.
    megan = await actor_for(sessions, MEGAN)
    await service.remember(megan, moved)
    row = await stored_reference(outside)
    assert row.staff_id == megan.staff_id and recently(row.updated_at)

    # Another replica (its own service, its own memory) writes its first sighting.
    await age_reference(outside)
    await ConversationService(sessions).remember(megan, moved)
    assert recently((await stored_reference(outside)).updated_at)


async def test_an_unchanged_reference_is_rewritten_once_refresh_s_has_passed(
    sessions: async_sessionmaker[AsyncSession], outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [10_000.0]
    monkeypatch.setattr(conversations, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    service = ConversationService(sessions)
    alex = await actor_for(sessions, ALEX)

    await service.remember(alex, reference())
    await age_reference(outside)
    clock[0] += conversations.REFRESH_S - 1
    await service.remember(alex, reference())
    assert (await stored_reference(outside)).updated_at == LONG_AGO

    clock[0] += 1  # REFRESH_S after the write
    await service.remember(alex, reference())
    assert recently((await stored_reference(outside)).updated_at)

    # And with no refresh window at all every turn writes.
    monkeypatch.setattr(conversations, "REFRESH_S", 0.0)
    await age_reference(outside)
    await service.remember(alex, reference())
    assert recently((await stored_reference(outside)).updated_at)


async def test_a_failed_reference_write_is_not_remembered_as_stored(
    sessions: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    service = ConversationService(sessions)
    ghost = dataclasses.replace(await actor_for(sessions, ALEX), staff_id=MISSING_STAFF_ID)
    for _ in range(2):  # the second attempt is tried again, not skipped as if the first had been stored
        with pytest.raises(exc.IntegrityError):
            await service.remember(ghost, reference())
    assert await outside("SELECT 1 FROM conversation_references WHERE conversation_id = 'a:hot-path-personal'") == []


# --- 3. memory: both turns and the trim in one statement -----------------------------------------------------------
async def turns(outside: Any, conversation_id: str) -> list[tuple[int, str, str]]:
    rows = await outside("SELECT id, role, content FROM conversation_turns WHERE conversation_id = :c ORDER BY id",
                         c=conversation_id)
    return [(int(r.id), r.role, r.content) for r in rows]


@pytest.fixture
async def relaxed(demo_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(demo_db_url, pool_size=1, durable_commits=False)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_memory_is_written_without_waiting_for_the_wal_and_nothing_else_is(
    sessions: async_sessionmaker[AsyncSession], relaxed: async_sessionmaker[AsyncSession]
) -> None:
    async with relaxed() as session:
        assert (await session.execute(text("SHOW synchronous_commit"))).scalar() == "off"
    async with sessions() as session:  # the engine of every other write keeps durable commits
        assert (await session.execute(text("SHOW synchronous_commit"))).scalar() == "on"


async def test_memory_keeps_exactly_the_newest_rows_of_one_conversation_and_a_failed_write_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], relaxed: async_sessionmaker[AsyncSession], outside: Any
) -> None:
    memory = ConversationMemory(sessions, relaxed)
    alex = await actor_for(sessions, ALEX)
    for i in range(3):
        await memory.remember("conv-other", alex.staff_id, f"other question {i}", f"other answer {i}", [])
    other_before = await turns(outside, "conv-other")
    assert len(other_before) == 6

    calls = 40
    assert 2 * calls > KEEP_ROWS
    for i in range(calls):
        await memory.remember("conv-main", alex.staff_id, f"question {i}", f"answer {i}", [3, 1, 3])
        assert len(await turns(outside, "conv-main")) == min(2 * (i + 1), KEEP_ROWS)

    kept = await turns(outside, "conv-main")
    first_kept = calls - KEEP_ROWS // 2
    expected = [(role, f"{word} {i}") for i in range(first_kept, calls)
                for role, word in (("user", "question"), ("assistant", "answer"))]
    assert [(role, content) for _, role, content in kept] == expected
    assert [i for i, _, _ in kept] == sorted(i for i, _, _ in kept)
    assert await outside("SELECT DISTINCT student_ids FROM conversation_turns WHERE conversation_id = 'conv-main'") \
        == [([1, 3],)]

    newest = [{"role": role, "content": content} for role, content in expected[-MAX_TURNS:]]
    assert await memory.recent("conv-main", alex.staff_id) == newest
    assert await turns(outside, "conv-other") == other_before

    # The conversation is full, so a successful write would delete its two oldest rows: a failed one deletes none.
    with pytest.raises(asyncpg.exceptions.ForeignKeyViolationError):  # the driver's own error (domain.db)
        await memory.remember("conv-main", MISSING_STAFF_ID, "question x", "answer x", [])
    assert await turns(outside, "conv-main") == kept
    assert await turns(outside, "conv-other") == other_before

    # The connection the failure ran on is fine for the next write.
    await memory.remember("conv-main", alex.staff_id, "question 40", "answer 40", [])
    after = await turns(outside, "conv-main")
    assert len(after) == KEEP_ROWS and after[:-2] == kept[2:]
    assert [content for _, _, content in after[-2:]] == ["question 40", "answer 40"]


# --- 4. the pool: idle connections pinged at checkout; autocommit is autocommit -------------------------------
async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(outside: Any, pid: int) -> None:
    assert (await outside("SELECT pg_terminate_backend(:pid) AS done", pid=pid)) == [(True,)]
    for _ in range(200):  # the backend goes away asynchronously
        if not await outside("SELECT 1 FROM pg_stat_activity WHERE pid = :pid", pid=pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} is still alive")


@pytest.fixture
async def one_connection(demo_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(demo_db_url, pool_size=1)
    yield engine
    await engine.dispose()


async def test_a_pooled_connection_idle_past_the_window_is_pinged_and_replaced_when_dead(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await backend_pid(one_connection)
    assert await backend_pid(one_connection) == pid  # one pooled connection, reused
    await terminate(outside, pid)
    assert one_connection.pool.checkedin() == 1  # the dead connection is still in the pool

    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if it had been idle past the window
    replaced = await backend_pid(one_connection)  # no error: the checkout ping saw it dead, the pool reconnected
    assert replaced != pid


async def test_a_connection_that_died_within_the_window_fails_one_statement_then_the_pool_recovers(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # never idle long enough to be pinged
    pid = await backend_pid(one_connection)
    await terminate(outside, pid)

    with pytest.raises(exc.DBAPIError) as failure:  # the trade-off: no ping, so the in-flight statement fails
        await backend_pid(one_connection)
    assert failure.value.connection_invalidated

    replaced = await backend_pid(one_connection)  # the pool was invalidated: the next checkout reconnects
    assert replaced != pid


async def test_a_dead_connection_under_the_driver_fails_one_statement_then_the_pool_is_replaced(
    one_connection: AsyncEngine, outside: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """domain.db.driver_connection: a lost connection invalidates the pool as SQLAlchemy's own statements do."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # never pinged: the statement itself finds it dead
    sessions = make_sessionmaker(one_connection)
    pid = await backend_pid(one_connection)
    await terminate(outside, pid)

    with pytest.raises(db._GONE):  # closed, reset or shut down, as the driver happens to notice it
        async with db.driver_connection(sessions) as connection:
            await connection.fetchval("SELECT 1")

    async with db.driver_connection(sessions) as connection:  # the next checkout reconnects
        assert await connection.fetchval("SELECT pg_backend_pid()") != pid


@pytest.fixture
async def probe(outside: Any) -> str:
    await outside("CREATE TABLE hot_path_probe (n integer NOT NULL)")
    return "hot_path_probe"


async def probe_values(outside: Any) -> list[int]:
    return [int(r.n) for r in await outside("SELECT n FROM hot_path_probe ORDER BY n")]


async def test_autocommit_commits_each_statement_at_once(
    sessions: async_sessionmaker[AsyncSession], outside: Any, probe: str
) -> None:
    async with autocommit(sessions) as session:
        await session.execute(text("INSERT INTO hot_path_probe VALUES (1)"))
        assert await probe_values(outside) == [1]  # visible to another connection before the session ends
        assert (await session.execute(text("SELECT pg_current_xact_id_if_assigned()"))).scalar_one() is None

    async with unit_of_work(sessions) as session:  # the contrast: a transaction is invisible until it commits
        await session.execute(text("INSERT INTO hot_path_probe VALUES (2)"))
        assert await probe_values(outside) == [1]
        assert (await session.execute(text("SELECT pg_current_xact_id_if_assigned()"))).scalar_one() is not None
    assert await probe_values(outside) == [1, 2]


async def test_autocommit_does_not_leave_autocommit_on_the_pooled_connection(
    one_connection: AsyncEngine, outside: Any, probe: str
) -> None:
    sessions = make_sessionmaker(one_connection)
    async with autocommit(sessions) as session:
        autocommit_pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() == autocommit_pid
            await session.execute(text("INSERT INTO hot_path_probe VALUES (1)"))
            raise RuntimeError("the work fails after its first write")
    assert await probe_values(outside) == []  # rolled back: the same connection is transactional again


async def test_turns_in_one_conversation_do_not_rewrite_its_reference(bot: Any, connector: Any, outside: Any) -> None:
    """Every Teams activity has a new id: the reference is still the same conversation, so it is not rewritten."""
    from devtools.fakes.activities import activity

    await bot.post(activity(connector.url, text="hello", conversation_id="a:hot-path-turns"))
    await age_reference(outside, "a:hot-path-turns")
    await bot.post(activity(connector.url, text="hello again", conversation_id="a:hot-path-turns"))
    assert (await stored_reference(outside, "a:hot-path-turns")).updated_at == LONG_AGO
    assert connector.messages()[-1]["_authorization"] is None, "dev mode (no app id): no bearer token is sent"
