"""A student's profile and the audit row of reading it, in one statement.

The audit row is written by a data-modifying CTE with the same visibility condition as the read, so in one snapshot
and one implicit transaction: the row exists exactly when the profile is returned, and is committed before it is
(no profile without its audit row, no audit row for a profile that was not read). One round trip instead of four
(classes, columns, audit insert, plus health notes for nurses and admins).

The statement is built and compiled once per kind of viewer (the fields they may see) with the viewer and the student
as bound parameters, and run on the driver connection: building, keying and executing an equivalent construct through
the ORM session on every turn cost more than the database work.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, literal, select, true
from sqlalchemy.dialects.postgresql import insert

from domain.actor import Actor
from domain.audit import AUDIT_TABLE
from domain.authorization import (
    FieldAccess,
    class_visible_to_viewer,
    field_access,
    student_visible_to_viewer,
    viewer_params,
)
from domain.db import DriverSQL, driver_sql
from domain.models import Enrollment, Guardian, HealthNote, SchoolClass, Student

READ_ACTION = "student.read"
WITH_HEALTH_NOTES = "with health notes"


def profile_params(actor: Actor, student_id: int, via: str) -> dict[str, Any]:
    access = field_access(actor)
    return viewer_params(actor) | {
        "student_id": student_id,
        "actor_tenant_id": actor.tenant_id,
        "actor_aad_object_id": actor.aad_object_id,
        "via": via,
        "reason": WITH_HEALTH_NOTES if access.restricted_fields else None,
        "conversation_type": actor.conversation_type,
    }


def profile_sql(actor: Actor) -> DriverSQL:
    """The statement for this viewer's kind, for ``domain.db.driver_connection``; its arguments come from
    ``profile_params``. No row: the student is not visible to the caller (and no audit row was written)."""
    return _compiled(actor.is_school_wide, field_access(actor))


@lru_cache(maxsize=8)
def _compiled(school_wide: bool, access: FieldAccess) -> DriverSQL:
    return driver_sql(_statement(school_wide, access))


def _statement(school_wide: bool, access: FieldAccess) -> Select[Any]:
    student_id: BindParameter[int] = bindparam("student_id")
    visible = student_visible_to_viewer(school_wide)
    audited = insert(AUDIT_TABLE).from_select(
        ["actor_staff_id", "actor_tenant_id", "actor_aad_object_id", "action", "subject_type", "subject_id", "via",
         "allowed", "reason", "conversation_type"],
        select(
            bindparam("viewer_staff_id"), bindparam("actor_tenant_id"), bindparam("actor_aad_object_id"),
            literal(READ_ACTION), literal("student"), Student.id, bindparam("via"), literal(True),
            bindparam("reason"), bindparam("conversation_type"),
        ).where(Student.id == student_id, visible),
    ).cte("audited")
    classes = func.array(  # ARRAY(SELECT ...): the visible classes' names, by period
        select(SchoolClass.name)
        .join(Enrollment, Enrollment.class_id == SchoolClass.id)
        .where(Enrollment.student_id == Student.id, class_visible_to_viewer(school_wide))
        .order_by(SchoolClass.period, SchoolClass.name)
        .scalar_subquery()
    )
    columns: list[Any] = [
        Student.id, Student.first_name, Student.preferred_name, Student.last_name, Student.grade,
        Student.student_number, Student.adaptations, classes.label("class_names"),
    ]
    if access.safety_fields:
        columns.append(Student.medical_flags)
    if access.restricted_fields:
        notes = (
            select(HealthNote.category.concat(": ").concat(HealthNote.note))
            .where(HealthNote.student_id == Student.id)
            .order_by(HealthNote.created_at, HealthNote.id)
            .scalar_subquery()
        )
        columns += [Student.date_of_birth, Student.address, func.array(notes).label("health_notes")]
    stmt = select(*columns).where(Student.id == student_id, visible).add_cte(audited)
    if access.safety_fields:
        guardian = (
            select(Guardian.name, Guardian.relationship_to_student, Guardian.phone)
            .where(Guardian.student_id == Student.id)
            .order_by(Guardian.is_emergency_contact.desc(), Guardian.priority)
            .limit(1)
            .lateral("guardian")
        )
        stmt = stmt.add_columns(
            guardian.c.name.label("contact_name"), guardian.c.relationship_to_student, guardian.c.phone
        ).outerjoin(guardian, true())
    return stmt
