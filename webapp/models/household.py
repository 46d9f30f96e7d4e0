"""Registered poor households (建档立卡户), their members and pairings."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User, Village
from .types import UTCDateTime, utcnow
from .vocab import HouseholdStatus, check_in

POVERTY_CAUSES = ("因病", "因残", "因学", "因灾", "缺技术", "缺劳力", "缺资金", "缺土地", "缺水", "交通条件落后",
                  "自身发展动力不足", "其他")
EDUCATION_STAGES = ("学前教育", "小学", "初中", "高中", "中职", "高职", "本科", "硕士", "博士")


def mask_citizen_id(cid: str) -> str:
    if not cid or len(cid) < 8:
        return "****"
    return cid[:4] + "*" * (len(cid) - 8) + cid[-4:]


class Household(db.Model):
    __table_args__ = (check_in("status", HouseholdStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[str] = mapped_column(String(18), unique=True)
    size: Mapped[int] = mapped_column(default=1)
    poverty_cause: Mapped[str] = mapped_column(String(32), default="其他")
    status: Mapped[str] = mapped_column(String(8), default=HouseholdStatus.NOT_LIFTED)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    latitude: Mapped[Optional[float]]
    longitude: Mapped[Optional[float]]
    # where the coordinates came from: roster (WGS-84 as typed), gcj02 (converted), visit (first check-in)
    location_source: Mapped[Optional[str]] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    village: Mapped[Village] = relationship()
    members: Mapped[list["Member"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Member.id"
    )
    pairings: Mapped[list["Pairing"]] = relationship(
        back_populates="household", order_by="Pairing.id.desc()", foreign_keys="Pairing.household_id"
    )

    @property
    def masked_id(self) -> str:
        return mask_citizen_id(self.citizen_id)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __repr__(self) -> str:
        return f"<Household {self.head_name}>"


class Member(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(16), default="")
    birth_date: Mapped[Optional[date]]
    education_stage: Mapped[Optional[str]] = mapped_column(String(16))
    school: Mapped[Optional[str]] = mapped_column(String(100))

    household: Mapped[Household] = relationship(back_populates="members")

    @property
    def is_student(self) -> bool:
        return bool(self.education_stage)


class Pairing(db.Model):
    """One helper paired with one household for a span of days; history is never overwritten."""

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[Optional[date]] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    end_reason: Mapped[Optional[str]] = mapped_column(Text)
    ended_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
    household: Mapped[Household] = relationship(back_populates="pairings", foreign_keys=[household_id])
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    ended_by: Mapped[Optional[User]] = relationship(foreign_keys=[ended_by_id])

    @property
    def is_current(self) -> bool:
        return self.end_date is None
