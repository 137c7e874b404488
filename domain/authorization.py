"""Who may see which student data (FERPA "legitimate educational interest"). Enforced here, never in a prompt.

The rule, as implemented and tested:
- **Which students.** Teachers and coaches see students enrolled in a class they teach. Nurses and admins see every
  student of their own school. Nobody sees another school's students. Unknown users see nothing (no Actor exists).
- **Which fields.** Anyone who may see a student sees the directory fields (name, grade, student number, classes), the
  short medical flags and the emergency contact: a PE teacher supervising physical activity has a safety need for them.
  Health notes, date of birth, home address and guardian e-mails are for nurses and admins only.
- **What the model gets.** Less than the user: see ``tools/lookup_student.py`` (minimised per question).
- Every read of a student record writes an audit row, and so does every denied attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select

from domain.actor import Actor
from domain.models import Enrollment, SchoolClass, Student


def student_visible(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``Student`` that is true exactly for the students the actor may see."""
    if actor.is_school_wide:
        return Student.school_id == actor.school_id
    return exists(
        select(Enrollment.student_id)
        .join(SchoolClass, SchoolClass.id == Enrollment.class_id)
        .where(Enrollment.student_id == Student.id, SchoolClass.teacher_id == actor.staff_id)
    )


def class_visible(actor: Actor) -> ColumnElement[bool]:
    """A SQL condition on ``SchoolClass``: teachers their own classes, nurses/admins their school's."""
    if actor.is_school_wide:
        return SchoolClass.school_id == actor.school_id
    return SchoolClass.teacher_id == actor.staff_id


@dataclass(frozen=True, slots=True)
class FieldAccess:
    safety_fields: bool  # medical flags, emergency contact
    restricted_fields: bool  # health notes, date of birth, address, guardian e-mails


def field_access(actor: Actor) -> FieldAccess:
    return FieldAccess(safety_fields=True, restricted_fields=actor.is_school_wide)
