"""Per-student records: attendance, activities, assessments, fitness tests, health notes, drivers-ed progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class Attendance(IdMixin, Base):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("class_id", "student_id", "day", name="uq_attendance_day"),
        CheckConstraint("status IN ('present', 'absent', 'tardy', 'excused', 'sat_out')", name="status"),
        CheckConstraint("(status = 'sat_out' AND reason IN ('injury', 'illness', 'no_kit', 'medical_note')) "
                        "OR (status <> 'sat_out' AND reason IS NULL)", name="reason"),
    )
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))  # present | absent | tardy | excused | sat_out
    reason: Mapped[str | None] = mapped_column(String(20))  # why a student sat out (sat_out only)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Activity(IdMixin, Base):
    """A PE activity session for a class (what was played, minutes of activity)."""

    __tablename__ = "activities"
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int] = mapped_column(Integer)


class ActivityParticipation(Base):
    __tablename__ = "activity_participation"
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True)
    minutes_active: Mapped[int] = mapped_column(Integer)


class SkillAssessment(IdMixin, Base):
    __tablename__ = "skill_assessments"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    skill: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)  # 1 beginning .. 4 exceeding
    assessed_on: Mapped[date] = mapped_column(Date)


class FitnessTest(IdMixin, Base):
    __tablename__ = "fitness_tests"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    test: Mapped[str] = mapped_column(String(40))  # see domain.records.fitness_bands.TESTS
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))  # laps | s | reps | in
    tested_on: Mapped[date] = mapped_column(Date)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class FitnessBand(IdMixin, Base):
    """Healthy Fitness Zone thresholds by test, sex and age, stored as data with the edition they come from
    (shipped: ``domain/records/data/fitnessgram_hfz.csv``; a district may replace them)."""

    __tablename__ = "fitness_bands"
    __table_args__ = (UniqueConstraint("test", "sex", "age", name="uq_fitness_band"),)
    test: Mapped[str] = mapped_column(String(40))
    sex: Mapped[str] = mapped_column(String(1))
    age: Mapped[int] = mapped_column(Integer)  # 18 stands for the tables' "17+"
    healthy_min: Mapped[float | None] = mapped_column(Float)
    healthy_max: Mapped[float | None] = mapped_column(Float)  # e.g. trunk lift: 12 inches at most
    unit: Mapped[str] = mapped_column(String(20), server_default="")
    edition: Mapped[str] = mapped_column(String(200), server_default="")


class RecordSubmission(Base):
    """One row per confirmed record card: its key makes a second press or a Teams re-send write nothing more."""

    __tablename__ = "record_submissions"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # attendance | fitness | skills | equipment
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)


class HealthNote(IdMixin, CreatedMixin, Base):
    """Restricted: nurse/admin only (see domain.authorization)."""

    __tablename__ = "health_notes"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))  # allergy | asthma | medication | injury | other
    note: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[date | None] = mapped_column(Date)


class DriversEdProgress(IdMixin, Base):
    __tablename__ = "drivers_ed_progress"
    __table_args__ = (UniqueConstraint("student_id", name="uq_drivers_ed_student"),)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    classroom_hours: Mapped[float] = mapped_column(Float, default=0)
    behind_wheel_hours: Mapped[float] = mapped_column(Float, default=0)
    units_completed: Mapped[int] = mapped_column(Integer, default=0)
    units_required: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
