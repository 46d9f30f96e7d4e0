"""Work-team check-ins in the village and leave requests."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User, Village
from .types import UTCDateTime, utcnow
from .vocab import LeaveStatus, check_in

LEAVE_KINDS = ("事假", "病假", "公假")


class Checkin(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    latitude: Mapped[float]
    longitude: Mapped[float]
    accuracy_m: Mapped[float]
    distance_m: Mapped[Optional[float]]
    within_geofence: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    photo_key: Mapped[Optional[str]] = mapped_column(String(80))

    user: Mapped[User] = relationship()
    village: Mapped[Village] = relationship()


class Leave(db.Model):
    __table_args__ = (check_in("status", LeaveStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    # half days: the first day may start in the afternoon, the last may end at noon
    start_half: Mapped[bool] = mapped_column(default=False)
    end_half: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=LeaveStatus.PENDING)
    approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    returned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    approver: Mapped[Optional[User]] = relationship(foreign_keys=[approver_id])
