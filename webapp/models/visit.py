"""Household visits, their photos, the help measures and education-subsidy answers."""
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .household import Household, Member
from .org import User
from .types import UTCDateTime, utcnow
from .vocab import MeasureStatus, ReviewStatus, check_in

MEASURE_CATEGORIES = ("产业", "就业", "教育", "健康", "兜底", "住房/搬迁")

# 待核实 (flagged, not verified yet), exactly as the review queue's condition compiles on each
# database (services.review_queue.conditions): a partial index is used only for the same expression
UNVERIFIED_WHERE = {
    "postgresql": "(coalesce(json_array_length(CASE WHEN json_typeof(flags) = 'array' THEN flags END), 0) > 0) "
                  "AND verified_at IS NULL",
    "sqlite": "(coalesce(json_array_length(flags), 0) > 0) = 1 AND verified_at IS NULL",
}


class Visit(db.Model):
    # a helper's visits of one month (the month's performance, the township's fake visits) are read
    # by (helper, check-in time): without it each helper's whole year was fetched and filtered;
    # the few visits confirmed fake (the township's sanctions) by the same, without the others.
    # The office home counts a township's households visited this month and its visits 待审阅 from
    # (household, check-in time, review status) without reading the visits, and those 待核实 from
    # the partial index of the flagged visits not verified yet
    __table_args__ = (check_in("review_status", ReviewStatus),
                      Index("ix_visit_helper_id_checked_in_at", "helper_id", "checked_in_at"),
                      Index("ix_visit_fake_confirmed", "helper_id", "checked_in_at",
                            postgresql_where=text("fake_confirmed_at IS NOT NULL"),
                            sqlite_where=text("fake_confirmed_at IS NOT NULL")),
                      Index("ix_visit_household_month", "household_id", "checked_in_at", "review_status"),
                      Index("ix_visit_unverified", "household_id",
                            postgresql_where=text(UNVERIFIED_WHERE["postgresql"]),
                            sqlite_where=text(UNVERIFIED_WHERE["sqlite"])))

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    latitude: Mapped[float]
    longitude: Mapped[float]
    accuracy_m: Mapped[float]
    distance_m: Mapped[Optional[float]]
    within_geofence: Mapped[Optional[bool]]
    notes: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the helper's 原因说明 for a check-in outside the geofence or with a poor fix
    reason: Mapped[Optional[str]] = mapped_column(String(500))
    # sha256 of the canonical request body: a replay with other content is a conflict
    content_hash: Mapped[str] = mapped_column(String(64))
    review_status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.PENDING)
    review_comment: Mapped[Optional[str]] = mapped_column(Text)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # the evidence behind each flag (code → numbers), stored when the flags are computed;
    # a flagged visit counts once accepted (已核实, with a note) by the first secretary or office
    flag_details: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON, default=dict)
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    verify_note: Mapped[Optional[str]] = mapped_column(Text)
    # 弄虚作假 confirmed by a reviewer (004 第九条(四)2 for the helper)
    fake_confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    fake_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    fake_note: Mapped[Optional[str]] = mapped_column(Text)

    household: Mapped[Household] = relationship()
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
    reviewed_by: Mapped[Optional[User]] = relationship(foreign_keys=[reviewed_by_id])
    verified_by: Mapped[Optional[User]] = relationship(foreign_keys=[verified_by_id])
    fake_confirmed_by: Mapped[Optional[User]] = relationship(foreign_keys=[fake_confirmed_by_id])
    photos: Mapped[list["Photo"]] = relationship(back_populates="visit", order_by="Photo.id")
    subsidy_answers: Mapped[list["SubsidyAnswer"]] = relationship(back_populates="visit")
    measures_done: Mapped[list["Measure"]] = relationship(back_populates="done_visit",
                                                           foreign_keys="Measure.done_visit_id")
    amendments: Mapped[list["VisitAmendment"]] = relationship(back_populates="visit",  # noqa: F821
                                                              order_by="VisitAmendment.id")


class Photo(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    captured_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    phash: Mapped[Optional[str]] = mapped_column(String(16))  # whole-frame pHash, hex

    visit: Mapped[Visit] = relationship(back_populates="photos")


class Measure(db.Model):
    """A help measure (帮扶措施) on the household's plan."""

    # the few policy problems of a township's households (its ranking, its list of open problems)
    # without reading every measure of them
    __table_args__ = (Index("ix_measure_policy", "household_id", postgresql_where=text("source = 'policy'"),
                            sqlite_where=text("source = 'policy'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[Optional[date]]
    status: Mapped[str] = mapped_column(String(10), default=MeasureStatus.PLANNED)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visit.id"), index=True)
    done_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # a problem opened from a policy answer: source "policy", source_ref what it rests on
    # ("subsidy:<member id>:<item>" or "checklist:<code>"), the visit that found it
    source: Mapped[Optional[str]] = mapped_column(String(16))
    source_ref: Mapped[Optional[str]] = mapped_column(String(80))
    source_visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visit.id"))

    household: Mapped[Household] = relationship()
    done_visit: Mapped[Optional[Visit]] = relationship(back_populates="measures_done", foreign_keys=[done_visit_id])


class SubsidyAnswer(db.Model):
    """An education-subsidy item confirmed for one student on one visit."""

    __table_args__ = (UniqueConstraint("visit_id", "member_id", "item", name="uq_subsidy_visit_member_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(8))

    visit: Mapped[Visit] = relationship(back_populates="subsidy_answers")
    member: Mapped[Member] = relationship()
