"""The caller of every service: a staff member resolved server-side from (tenant id, AAD object id)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.models import Role


@dataclass(frozen=True, slots=True)
class Actor:
    staff_id: int
    school_id: int
    role: Role
    tenant_id: str
    aad_object_id: str
    display_name: str
    email: str
    school_name: str
    time_zone: str
    # Where the request came from: personal (the caller's 1:1 chat with Faraday), groupChat or channel. Set by the
    # bot from the activity; written on every audit row, so an admin sees where a student's record was opened.
    conversation_type: str = "personal"

    @property
    def is_school_wide(self) -> bool:
        """Nurses and admins read their whole school; teachers and coaches only their own classes."""
        return self.role in (Role.nurse, Role.admin)
