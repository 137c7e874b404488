"""initial domain schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 02:42:27.530805
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table('audit_log',
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_tenant_id', sa.String(length=64), nullable=False),
    sa.Column('actor_aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('via', sa.String(length=60), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_actor_staff_id'), 'audit_log', ['actor_staff_id'], unique=False)
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_subject_id'), 'audit_log', ['subject_id'], unique=False)
    op.create_table('districts',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('name', name=op.f('uq_districts_name'))
    )
    op.create_table('fitness_bands',
    sa.Column('test', sa.String(length=40), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('age', sa.Integer(), nullable=False),
    sa.Column('healthy_min', sa.Float(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fitness_bands')),
    sa.UniqueConstraint('test', 'sex', 'age', name='uq_fitness_band')
    )
    op.create_table('knowledge_documents',
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.String(length=40), nullable=False),
    sa.Column('grade_band', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by', sa.String(length=200), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_documents')),
    sa.UniqueConstraint('slug', name=op.f('uq_knowledge_documents_slug'))
    )
    op.create_index(op.f('ix_knowledge_documents_kind'), 'knowledge_documents', ['kind'], unique=False)
    op.create_table('knowledge_chunks',
    sa.Column('id', sa.String(length=300), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=300), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('embedding_model', sa.String(length=100), nullable=False),
    sa.Column('embedding_dim', sa.Integer(), nullable=False),
    sa.Column('embedding', Vector(), nullable=True),
    sa.Column('tsv', postgresql.TSVECTOR(), sa.Computed("to_tsvector('english', content)", persisted=True),
              nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['knowledge_documents.id'],
                            name=op.f('fk_knowledge_chunks_document_id_knowledge_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_chunks'))
    )
    op.create_index(op.f('ix_knowledge_chunks_document_id'), 'knowledge_chunks', ['document_id'], unique=False)
    op.create_index('ix_knowledge_chunks_model', 'knowledge_chunks', ['embedding_model', 'embedding_dim'], unique=False)
    op.create_index('ix_knowledge_chunks_tsv', 'knowledge_chunks', ['tsv'], unique=False, postgresql_using='gin')
    op.create_table('schools',
    sa.Column('district_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('grade_low', sa.Integer(), nullable=False),
    sa.Column('grade_high', sa.Integer(), nullable=False),
    sa.Column('supervision_ratio', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_schools_district_id_districts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('code', name=op.f('uq_schools_code'))
    )
    op.create_index(op.f('ix_schools_district_id'), 'schools', ['district_id'], unique=False)
    op.create_table('alert_rules',
    sa.Column('district_id', sa.BigInteger(), nullable=False),
    sa.Column('school_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('min_severity', sa.Enum('minor', 'moderate', 'serious', 'critical', name='incident_severity'),
              nullable=True),
    sa.Column('incident_types', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('keywords', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_alert_rules_district_id_districts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_alert_rules_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    op.create_index(op.f('ix_alert_rules_district_id'), 'alert_rules', ['district_id'], unique=False)
    op.create_table('equipment',
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=20), nullable=False),
    sa.Column('inspection_interval_days', sa.Integer(), nullable=False),
    sa.Column('units', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_equipment_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment'))
    )
    op.create_index(op.f('ix_equipment_school_id'), 'equipment', ['school_id'], unique=False)
    op.create_table('staff',
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('aad_object_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('teacher', 'coach', 'nurse', 'admin', name='staff_role'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('escalation_rank', sa.Integer(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_staff_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email')),
    sa.UniqueConstraint('tenant_id', 'aad_object_id', name='uq_staff_identity')
    )
    op.create_index(op.f('ix_staff_school_id'), 'staff', ['school_id'], unique=False)
    op.create_table('students',
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('student_number', sa.String(length=20), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('preferred_name', sa.String(length=80), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('directory_opt_out', sa.Boolean(), nullable=False),
    sa.Column('medical_flags', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('adaptations', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_students_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
    sa.UniqueConstraint('student_number', name=op.f('uq_students_student_number'))
    )
    op.create_index(op.f('ix_students_school_id'), 'students', ['school_id'], unique=False)
    op.create_table('classes',
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('teacher_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('current_unit', sa.String(length=120), nullable=True),
    sa.Column('meeting_days', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_classes_school_id_schools'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['teacher_id'], ['staff.id'], name=op.f('fk_classes_teacher_id_staff'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classes'))
    )
    op.create_index(op.f('ix_classes_school_id'), 'classes', ['school_id'], unique=False)
    op.create_index(op.f('ix_classes_teacher_id'), 'classes', ['teacher_id'], unique=False)
    op.create_table('conversation_references',
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('conversation_id', sa.String(length=400), nullable=False),
    sa.Column('conversation_type', sa.String(length=20), nullable=False),
    sa.Column('service_url', sa.String(length=400), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('bot_id', sa.String(length=200), nullable=False),
    sa.Column('reference', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('alerts_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_conversation_references_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_references')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_conversation_references_conversation_id'))
    )
    op.create_index(op.f('ix_conversation_references_staff_id'), 'conversation_references', ['staff_id'], unique=False)
    op.create_table('conversation_turns',
    sa.Column('conversation_id', sa.String(length=400), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('student_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_conversation_turns_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_turns'))
    )
    op.create_index(op.f('ix_conversation_turns_conversation_id'), 'conversation_turns', ['conversation_id'],
                    unique=False)
    op.create_index(op.f('ix_conversation_turns_staff_id'), 'conversation_turns', ['staff_id'], unique=False)
    op.create_table('drivers_ed_progress',
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('classroom_hours', sa.Float(), nullable=False),
    sa.Column('behind_wheel_hours', sa.Float(), nullable=False),
    sa.Column('units_completed', sa.Integer(), nullable=False),
    sa.Column('units_required', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_drivers_ed_progress_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drivers_ed_progress')),
    sa.UniqueConstraint('student_id', name='uq_drivers_ed_student')
    )
    op.create_table('equipment_inspections',
    sa.Column('equipment_id', sa.BigInteger(), nullable=False),
    sa.Column('inspector_id', sa.BigInteger(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'],
                            name=op.f('fk_equipment_inspections_equipment_id_equipment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['staff.id'], name=op.f('fk_equipment_inspections_inspector_id_staff'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_inspections'))
    )
    op.create_index(op.f('ix_equipment_inspections_equipment_id'), 'equipment_inspections', ['equipment_id'],
                    unique=False)
    op.create_table('fitness_tests',
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('test', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('tested_on', sa.Date(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_fitness_tests_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fitness_tests'))
    )
    op.create_index(op.f('ix_fitness_tests_student_id'), 'fitness_tests', ['student_id'], unique=False)
    op.create_table('guardians',
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('relationship_to_student', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('is_emergency_contact', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_guardians_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardians'))
    )
    op.create_index(op.f('ix_guardians_student_id'), 'guardians', ['student_id'], unique=False)
    op.create_index('uq_guardians_one_emergency_contact', 'guardians', ['student_id'], unique=True,
                    postgresql_where=sa.text('is_emergency_contact'))
    op.create_table('health_notes',
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_health_notes_author_id_staff'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_health_notes_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_notes'))
    )
    op.create_index(op.f('ix_health_notes_student_id'), 'health_notes', ['student_id'], unique=False)
    op.create_table('message_feedback',
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('activity_id', sa.String(length=200), nullable=False),
    sa.Column('reaction', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_message_feedback_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_feedback'))
    )
    op.create_table('activities',
    sa.Column('class_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_activities_class_id_classes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_index(op.f('ix_activities_class_id'), 'activities', ['class_id'], unique=False)
    op.create_table('attendance',
    sa.Column('class_id', sa.BigInteger(), nullable=False),
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_attendance_class_id_classes'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_attendance_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('class_id', 'student_id', 'day', name='uq_attendance_day')
    )
    op.create_index(op.f('ix_attendance_class_id'), 'attendance', ['class_id'], unique=False)
    op.create_index(op.f('ix_attendance_day'), 'attendance', ['day'], unique=False)
    op.create_index(op.f('ix_attendance_student_id'), 'attendance', ['student_id'], unique=False)
    op.create_table('calendar_events',
    sa.Column('organizer_id', sa.BigInteger(), nullable=False),
    sa.Column('class_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('attendees', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('graph_event_id', sa.String(length=300), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_calendar_events_class_id_classes'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organizer_id'], ['staff.id'], name=op.f('fk_calendar_events_organizer_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_events')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_calendar_events_idempotency_key'))
    )
    op.create_index(op.f('ix_calendar_events_organizer_id'), 'calendar_events', ['organizer_id'], unique=False)
    op.create_index(op.f('ix_calendar_events_starts_at'), 'calendar_events', ['starts_at'], unique=False)
    op.create_table('enrollments',
    sa.Column('class_id', sa.BigInteger(), nullable=False),
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('keep_apart_from', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_enrollments_class_id_classes'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_enrollments_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('class_id', 'student_id', name=op.f('pk_enrollments'))
    )
    op.create_index(op.f('ix_enrollments_student_id'), 'enrollments', ['student_id'], unique=False)
    op.create_table('incidents',
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('student_id', sa.BigInteger(), nullable=True),
    sa.Column('reporter_id', sa.BigInteger(), nullable=True),
    sa.Column('class_id', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('activity', sa.String(length=120), nullable=False),
    sa.Column('incident_type', sa.String(length=60), nullable=False),
    sa.Column('severity', sa.Enum('minor', 'moderate', 'serious', 'critical', name='incident_severity'),
              nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('injuries', sa.Text(), nullable=True),
    sa.Column('action_taken', sa.Text(), nullable=True),
    sa.Column('witnesses', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_incidents_class_id_classes'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['staff.id'], name=op.f('fk_incidents_reporter_id_staff'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_incidents_school_id_schools'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_incidents_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_incidents_idempotency_key'))
    )
    op.create_index(op.f('ix_incidents_occurred_at'), 'incidents', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_incidents_reporter_id'), 'incidents', ['reporter_id'], unique=False)
    op.create_index(op.f('ix_incidents_school_id'), 'incidents', ['school_id'], unique=False)
    op.create_index(op.f('ix_incidents_student_id'), 'incidents', ['student_id'], unique=False)
    op.create_table('lesson_plans',
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('class_id', sa.BigInteger(), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_lesson_plans_author_id_staff'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_lesson_plans_class_id_classes'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_plans')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_lesson_plans_idempotency_key'))
    )
    op.create_index(op.f('ix_lesson_plans_author_id'), 'lesson_plans', ['author_id'], unique=False)
    op.create_table('skill_assessments',
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('class_id', sa.BigInteger(), nullable=False),
    sa.Column('assessor_id', sa.BigInteger(), nullable=True),
    sa.Column('skill', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['assessor_id'], ['staff.id'], name=op.f('fk_skill_assessments_assessor_id_staff'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_skill_assessments_class_id_classes'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_skill_assessments_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_assessments'))
    )
    op.create_index(op.f('ix_skill_assessments_class_id'), 'skill_assessments', ['class_id'], unique=False)
    op.create_index(op.f('ix_skill_assessments_student_id'), 'skill_assessments', ['student_id'], unique=False)
    op.create_table('activity_participation',
    sa.Column('activity_id', sa.BigInteger(), nullable=False),
    sa.Column('student_id', sa.BigInteger(), nullable=False),
    sa.Column('minutes_active', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'],
                            name=op.f('fk_activity_participation_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_activity_participation_student_id_students'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'student_id', name=op.f('pk_activity_participation'))
    )
    op.create_index(op.f('ix_activity_participation_student_id'), 'activity_participation', ['student_id'],
                    unique=False)
    op.create_table('alerts',
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('school_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('acknowledged_by', sa.BigInteger(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalate_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['staff.id'], name=op.f('fk_alerts_acknowledged_by_staff'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_alerts_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_alerts_incident_id'))
    )
    op.create_index(op.f('ix_alerts_escalate_after'), 'alerts', ['escalate_after'], unique=False)
    op.create_index(op.f('ix_alerts_school_id'), 'alerts', ['school_id'], unique=False)
    op.create_table('alert_deliveries',
    sa.Column('alert_id', sa.BigInteger(), nullable=False),
    sa.Column('recipient_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_activity_id', sa.String(length=200), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_deliveries_alert_id_alerts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['staff.id'], name=op.f('fk_alert_deliveries_recipient_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    sa.UniqueConstraint('alert_id', 'recipient_id', name='uq_alert_delivery_recipient')
    )
    op.create_index(op.f('ix_alert_deliveries_alert_id'), 'alert_deliveries', ['alert_id'], unique=False)
    op.create_index(op.f('ix_alert_deliveries_status'), 'alert_deliveries', ['status'], unique=False)

    # The audit log is append-only: updates and deletes are refused by the database itself.
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index(op.f('ix_alert_deliveries_status'), table_name='alert_deliveries')
    op.drop_index(op.f('ix_alert_deliveries_alert_id'), table_name='alert_deliveries')
    op.drop_table('alert_deliveries')
    op.drop_index(op.f('ix_alerts_school_id'), table_name='alerts')
    op.drop_index(op.f('ix_alerts_escalate_after'), table_name='alerts')
    op.drop_table('alerts')
    op.drop_index(op.f('ix_activity_participation_student_id'), table_name='activity_participation')
    op.drop_table('activity_participation')
    op.drop_index(op.f('ix_skill_assessments_student_id'), table_name='skill_assessments')
    op.drop_index(op.f('ix_skill_assessments_class_id'), table_name='skill_assessments')
    op.drop_table('skill_assessments')
    op.drop_index(op.f('ix_lesson_plans_author_id'), table_name='lesson_plans')
    op.drop_table('lesson_plans')
    op.drop_index(op.f('ix_incidents_student_id'), table_name='incidents')
    op.drop_index(op.f('ix_incidents_school_id'), table_name='incidents')
    op.drop_index(op.f('ix_incidents_reporter_id'), table_name='incidents')
    op.drop_index(op.f('ix_incidents_occurred_at'), table_name='incidents')
    op.drop_table('incidents')
    op.drop_index(op.f('ix_enrollments_student_id'), table_name='enrollments')
    op.drop_table('enrollments')
    op.drop_index(op.f('ix_calendar_events_starts_at'), table_name='calendar_events')
    op.drop_index(op.f('ix_calendar_events_organizer_id'), table_name='calendar_events')
    op.drop_table('calendar_events')
    op.drop_index(op.f('ix_attendance_student_id'), table_name='attendance')
    op.drop_index(op.f('ix_attendance_day'), table_name='attendance')
    op.drop_index(op.f('ix_attendance_class_id'), table_name='attendance')
    op.drop_table('attendance')
    op.drop_index(op.f('ix_activities_class_id'), table_name='activities')
    op.drop_table('activities')
    op.drop_table('message_feedback')
    op.drop_index(op.f('ix_health_notes_student_id'), table_name='health_notes')
    op.drop_table('health_notes')
    op.drop_index('uq_guardians_one_emergency_contact', table_name='guardians',
                  postgresql_where=sa.text('is_emergency_contact'))
    op.drop_index(op.f('ix_guardians_student_id'), table_name='guardians')
    op.drop_table('guardians')
    op.drop_index(op.f('ix_fitness_tests_student_id'), table_name='fitness_tests')
    op.drop_table('fitness_tests')
    op.drop_index(op.f('ix_equipment_inspections_equipment_id'), table_name='equipment_inspections')
    op.drop_table('equipment_inspections')
    op.drop_table('drivers_ed_progress')
    op.drop_index(op.f('ix_conversation_turns_staff_id'), table_name='conversation_turns')
    op.drop_index(op.f('ix_conversation_turns_conversation_id'), table_name='conversation_turns')
    op.drop_table('conversation_turns')
    op.drop_index(op.f('ix_conversation_references_staff_id'), table_name='conversation_references')
    op.drop_table('conversation_references')
    op.drop_index(op.f('ix_classes_teacher_id'), table_name='classes')
    op.drop_index(op.f('ix_classes_school_id'), table_name='classes')
    op.drop_table('classes')
    op.drop_index(op.f('ix_students_school_id'), table_name='students')
    op.drop_table('students')
    op.drop_index(op.f('ix_staff_school_id'), table_name='staff')
    op.drop_table('staff')
    op.drop_index(op.f('ix_equipment_school_id'), table_name='equipment')
    op.drop_table('equipment')
    op.drop_index(op.f('ix_alert_rules_district_id'), table_name='alert_rules')
    op.drop_table('alert_rules')
    op.drop_index(op.f('ix_schools_district_id'), table_name='schools')
    op.drop_table('schools')
    op.drop_index('ix_knowledge_chunks_tsv', table_name='knowledge_chunks', postgresql_using='gin')
    op.drop_index('ix_knowledge_chunks_model', table_name='knowledge_chunks')
    op.drop_index(op.f('ix_knowledge_chunks_document_id'), table_name='knowledge_chunks')
    op.drop_table('knowledge_chunks')
    op.drop_index(op.f('ix_knowledge_documents_kind'), table_name='knowledge_documents')
    op.drop_table('knowledge_documents')
    op.drop_table('fitness_bands')
    op.drop_table('districts')
    op.drop_index(op.f('ix_audit_log_subject_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_actor_staff_id'), table_name='audit_log')
    op.drop_table('audit_log')
    sa.Enum(name="incident_severity").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="staff_role").drop(op.get_bind(), checkfirst=True)
