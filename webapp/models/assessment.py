"""Closed-month snapshots and spot-check draws."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User
from .types import UTCDateTime, utcnow

SPOT_RESULTS = ("符合", "基本符合", "不符合")
SATISFACTION_LEVELS = ("满意", "基本满意", "不满意")  # 群众满意度 (000, 002)


class MonthClosure(db.Model):
    __table_args__ = (UniqueConstraint("unit_id", "month", name="uq_closure_unit_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    month: Mapped[str] = mapped_column(String(7))
    closed: Mapped[bool] = mapped_column(default=True)
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonthResult(db.Model):
    __table_args__ = (UniqueConstraint("closure_id", "helper_id", name="uq_result_closure_helper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int] = mapped_column(ForeignKey("month_closure.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    score: Mapped[float]
    rating: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    helper: Mapped[User] = relationship()


class SpotCheckDraw(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    ratio: Mapped[float]
    drawn_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded: Mapped[bool] = mapped_column(default=False)

    items: Mapped[list["SpotCheckItem"]] = relationship(back_populates="draw", order_by="SpotCheckItem.id")
    drawn_by: Mapped[Optional[User]] = relationship()


class SpotCheckItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draw.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    result: Mapped[Optional[str]] = mapped_column(String(8))
    note: Mapped[Optional[str]] = mapped_column(Text)
    checked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    checked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # the household's satisfaction found on the spot check (满意 / 基本满意 / 不满意), with a note
    satisfaction: Mapped[Optional[str]] = mapped_column(String(8))
    satisfaction_note: Mapped[Optional[str]] = mapped_column(Text)
    # the spot check found 弄虚作假 (fake visits or records): 004 第九条(四)2 for the helper
    fake: Mapped[bool] = mapped_column(default=False)

    draw: Mapped[SpotCheckDraw] = relationship(back_populates="items")
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
