"""What the office enters for the village assessment and the helpers' quarterly on-site assessment:
the village's year-end assessment (001 六(一)3), a helper's quarter on-site result
(004 第六条(二)) with the household's satisfaction (000, 002)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User, Village
from .types import UTCDateTime, utcnow

ONSITE_RESULTS = ("优秀", "合格", "不合格")


class VillageYearEnd(db.Model):
    __table_args__ = (UniqueConstraint("village_id", "year", name="uq_village_year_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    year: Mapped[int]
    score: Mapped[float]
    note: Mapped[Optional[str]] = mapped_column(Text)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    village: Mapped[Village] = relationship()


class OnsiteAssessment(db.Model):
    """The office's quarterly on-site assessment of one helper (实地查看、查阅资料、与帮扶对象见面谈话)."""

    __table_args__ = (UniqueConstraint("helper_id", "quarter", name="uq_onsite_helper_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-Qn
    result: Mapped[str] = mapped_column(String(8))
    note: Mapped[Optional[str]] = mapped_column(Text)
    satisfaction: Mapped[Optional[str]] = mapped_column(String(8))
    satisfaction_note: Mapped[Optional[str]] = mapped_column(Text)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
