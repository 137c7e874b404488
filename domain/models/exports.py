"""Files made for a member of staff (a widget's table or card, an incident report, a class's fitness results): kept
until their link expires, then deleted. The bytes are exactly the file that was audited when it was made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, CreatedMixin, IdMixin


class ExportFile(IdMixin, CreatedMixin, Base):
    __tablename__ = "export_files"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)  # who asked
    kind: Mapped[str] = mapped_column(String(40))  # widget:attendance | incident_report | fitness_results
    file_name: Mapped[str] = mapped_column(String(160))
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    student_count: Mapped[int] = mapped_column(Integer)
    audit_id: Mapped[int] = mapped_column(BigInteger)  # the export.create audit row: the file's audit reference
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
