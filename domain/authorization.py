"""Who may see which student data (FERPA "legitimate educational interest"). Enforced here, never in a prompt.

The rule, as implemented and tested:
- **Which students.** Teachers and coaches see students enrolled in a class they teach. Nurses and admins see every
  student of their own school. Nobody sees another school's students. Unknown users see nothing (no Actor exists).
- **Which fields.** Anyone who may see a student sees the directory fields (name, grade, student number, classes), the
  short medical flags and the emergency contact: a PE teacher supervising physical activity has a safety need for them.
  Health notes, date of birth, home address and guardian e-mails are for nurses and admins only.
- **What the model gets.** Less than the user: see ``tools/lookup_student.py`` (minimised per question).
- Every read of a student record writes an audit row, and so does every denied attempt.
- **Who left.** A student deactivated by a roster sync (``Student.active`` false) and a retired class are seen by
  nobody through these conditions: they drop out of rosters and look-ups; their records are kept for the audit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, select

from domain.actor import Actor
from domain.models import Enrollment, SchoolClass, Student


def student_visible(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Student`` that is true exactly for the students the actor may see."""
    return _student_visible(actor.is_school_wide, actor.staff_id, actor.school_id)


def class_visible(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``SchoolClass``: teachers their own classes, nurses/admins their school's."""
    return _class_visible(actor.is_school_wide, actor.staff_id, actor.school_id)


# The same two rules with the viewer as bound parameters, for statements built once per kind of viewer and reused
# on every turn (execute them with ``viewer_params(actor)``).
_Id = int | BindParameter[int]  # a literal id (the actor's) or a bind parameter filled per execution
VIEWER_STAFF_ID: BindParameter[int] = bindparam("viewer_staff_id")
VIEWER_SCHOOL_ID: BindParameter[int] = bindparam("viewer_school_id")


def student_visible_to_viewer(school_wide: bool) -> ColumnElement[bool]:
    return _student_visible(school_wide, VIEWER_STAFF_ID, VIEWER_SCHOOL_ID)


def class_visible_to_viewer(school_wide: bool) -> ColumnElement[bool]:
    return _class_visible(school_wide, VIEWER_STAFF_ID, VIEWER_SCHOOL_ID)


def viewer_params(actor: Actor) -> dict[str, int]:
    return {"viewer_staff_id": actor.staff_id, "viewer_school_id": actor.school_id}


def _student_visible(school_wide: bool, staff_id: _Id, school_id: _Id) -> ColumnElement[bool]:
    if school_wide:
        return and_(Student.school_id == school_id, Student.active.is_(True))
    return and_(Student.active.is_(True), exists(
        select(Enrollment.student_id)
        .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
        .where(Enrollment.student_id == Student.id, SchoolClass.teacher_id == staff_id, SchoolClass.active.is_(True))
    ))


def _class_visible(school_wide: bool, staff_id: _Id, school_id: _Id) -> ColumnElement[bool]:
    if school_wide:
        return and_(SchoolClass.school_id == school_id, SchoolClass.active.is_(True))
    return and_(SchoolClass.teacher_id == staff_id, SchoolClass.active.is_(True))


@dataclass(frozen=True, slots=True)
class FieldAccess:
    safety_fields: bool  # medical flags, emergency contact
    restricted_fields: bool  # health notes, date of birth, address, guardian e-mails


def field_access(actor: Actor) -> FieldAccess:
    return FieldAccess(safety_fields=True, restricted_fields=actor.is_school_wide)
