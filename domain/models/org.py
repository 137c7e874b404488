"""People and organisation: district, schools, staff, classes, students, guardians, enrollments."""

from __future__ import annotations

import enum
from datetime import date, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.base import Base, CreatedMixin, IdMixin


class Role(str, enum.Enum):
    teacher = "teacher"
    coach = "coach"
    nurse = "nurse"
    admin = "admin"


class District(IdMixin, Base):
    __tablename__ = "districts"
    name: Mapped[str] = mapped_column(String(200), unique=True)


class School(IdMixin, Base):
    __tablename__ = "schools"
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    grade_low: Mapped[int] = mapped_column(Integer)  # 0 = kindergarten
    grade_high: Mapped[int] = mapped_column(Integer)
    supervision_ratio: Mapped[int] = mapped_column(Integer, default=30)  # students per adult in PE
    source_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # roster import: the SIS's id
    # False once an imported school has left the roster: kept with its records; its imported staff, classes and
    # students are deactivated with it (``domain.roster.sync``).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Staff(IdMixin, CreatedMixin, Base):
    """A staff member, identified in Teams by (tenant id, AAD object id) — kept as text, validated loosely.

    A row imported from a roster has no Teams identity until the person first messages Faraday and is linked by
    UPN or e-mail (``domain.roster.linking``); until then ``tenant_id``/``aad_object_id`` are NULL."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("tenant_id", "aad_object_id", name="uq_staff_identity"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, name="staff_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    escalation_rank: Mapped[int | None] = mapped_column(Integer)  # order in the school's alert escalation list
    source_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # roster import: the SIS's id
    sis_username: Mapped[str | None] = mapped_column(String(254))  # the file's sign-in name (SDS: without domain)
    # Set by an admin (``set role``): a roster import then keeps the role and never deactivates the row.
    role_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    school: Mapped[School] = relationship(lazy="raise")


class SchoolClass(IdMixin, Base):
    __tablename__ = "classes"
    __table_args__ = (
        CheckConstraint("(term_starts_on IS NULL) = (term_ends_on IS NULL) AND "
                        "(term_starts_on IS NULL OR term_starts_on <= term_ends_on)", name="term"),
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    # NULL only for an imported class whose teacher is not (yet) in the roster: nobody but nurses/admins sees it
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # e.g. "PE 7 — Period 3"
    subject: Mapped[str] = mapped_column(String(40), default="PE")  # PE | Health | Drivers Ed | Adapted PE
    grade: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(120))
    current_unit: Mapped[str | None] = mapped_column(String(120))
    meeting_days: Mapped[list[int]] = mapped_column(JSONB, default=lambda: [0, 1, 2, 3, 4])  # Monday = 0
    starts_at: Mapped[time | None] = mapped_column(Time)  # bell time, in the school's time zone
    minutes: Mapped[int] = mapped_column(Integer, default=50)
    source_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # roster import: the SIS's id
    # False once a class has left the roster (retired): hidden from rosters, kept with its records.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The class's term from the roster (its academic sessions); NULL: unknown, the SCHOOL_TERMS setting applies.
    # Attendance, fitness results and skill levels are recorded only for days inside it (domain.records.terms).
    term_name: Mapped[str | None] = mapped_column(String(120))
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)


class Student(IdMixin, CreatedMixin, Base):
    __tablename__ = "students"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    student_number: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    grade: Mapped[int] = mapped_column(Integer)  # 0 = kindergarten, -1 pre-K, 13 ungraded / post-secondary
    date_of_birth: Mapped[date | None] = mapped_column(Date)  # NULL when a roster export does not carry it
    sex: Mapped[str] = mapped_column(String(1))  # F | M | X, for fitness-zone bands
    address: Mapped[str | None] = mapped_column(Text)
    directory_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Short, actionable flags a supervising adult needs (e.g. "asthma: inhaler in PE office"). Restricted field.
    medical_flags: Mapped[list[str]] = mapped_column(JSONB, default=list)
    adaptations: Mapped[list[str]] = mapped_column(JSONB, default=list)
    source_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # roster import: the SIS's id
    # False once the student has left (roster sync): hidden from rosters and look-ups, kept for records and audit.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="student", cascade="all, delete-orphan", lazy="raise", order_by="Guardian.priority"
    )

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class Guardian(IdMixin, Base):
    __tablename__ = "guardians"
    __table_args__ = (
        Index(
            "uq_guardians_one_emergency_contact",
            "student_id",
            unique=True,
            postgresql_where=text("is_emergency_contact"),
        ),
        UniqueConstraint("student_id", "source_id", name="uq_guardians_student_source"),
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    relationship_to_student: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    is_emergency_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    source_id: Mapped[str | None] = mapped_column(String(255))  # roster import: the guardian's id in the SIS

    student: Mapped[Student] = relationship(back_populates="guardians", lazy="raise")


class Enrollment(Base):
    __tablename__ = "enrollments"
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    keep_apart_from: Mapped[list[int]] = mapped_column(JSONB, default=list)  # student ids not to team with
