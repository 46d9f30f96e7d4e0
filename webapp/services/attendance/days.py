"""Day counting: each local day of a member is in the village, on leave, absent, a rest day, …,
from one grouped query over (member, local day) and the approved leave of the range."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Iterable

from sqlalchemy import Date, case, cast, func, select, type_coerce

from ...extensions import db
from ...models import Checkin, User
from .. import checkin_count
from ..calendar import local_date, local_midnight, tz
from .rules import AttendanceRules, WorkCalendar
from .workdays import posting_start


class DayStatus(StrEnum):
    """A member's day, computed (not stored)."""
    IN = "in"  # checked in inside the village
    LEAVE = "leave"
    HALF = "half"  # half a day of leave
    ABSENT = "absent"
    REST = "rest"  # weekend or holiday
    TODAY = "today"
    FUTURE = "future"
    OFF = "off"  # before the member was posted


DAY_STATUS_LABELS = {
    DayStatus.IN: "在村", DayStatus.LEAVE: "请假", DayStatus.HALF: "半天假", DayStatus.ABSENT: "缺勤",
    DayStatus.REST: "休息日", DayStatus.TODAY: "今天", DayStatus.FUTURE: "", DayStatus.OFF: "未到岗",
}


@dataclass
class Day:
    date: date
    status: DayStatus
    working: bool
    checkins: int = 0
    inside: int = 0
    leave: float = 0.0
    leave_kind: str | None = None
    absent: float = 0.0
    counted: int = 0  # check-ins of the day that count towards the quarter's target (services.checkin_count)

    @property
    def label(self) -> str:
        return DAY_STATUS_LABELS[self.status]


def _fixed_offset(start: date, end: date) -> timedelta | None:
    """The zone's UTC offset if it is the same on every day of the range (true for Asia/Shanghai)."""
    zone = tz()
    offsets = {zone.utcoffset(datetime.combine(start + timedelta(days=i), time(12)))
               for i in range((end - start).days + 2)}
    offsets.add(zone.utcoffset(datetime.combine(start, time.min)))
    return offsets.pop() if len(offsets) == 1 else None


def day_counts(user_ids: list[int], start: date, end: date) -> dict[int, dict[date, tuple[int, int]]]:
    """{user_id: {local day: (check-ins, check-ins inside the geofence)}} in one grouped query."""
    out: dict[int, dict[date, tuple[int, int]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    lo, hi = local_midnight(start), local_midnight(end + timedelta(days=1))
    where = (Checkin.user_id.in_(user_ids), Checkin.checked_in_at >= lo, Checkin.checked_in_at < hi)
    dialect = db.session.get_bind().dialect.name
    day = None
    if dialect == "postgresql":
        day = cast(func.timezone(tz().key, Checkin.checked_in_at), Date)
    elif dialect == "sqlite":
        offset = _fixed_offset(start, end)
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC; cut the microseconds (SQLite rounds them)
            day = type_coerce(func.date(func.substr(Checkin.checked_in_at, 1, 19), f"{minutes:+d} minutes"), Date)
    if day is None:  # a zone with changing offsets on SQLite: group in Python (still one query)
        for uid, at, inside in db.session.execute(
                select(Checkin.user_id, Checkin.checked_in_at, Checkin.within_geofence).where(*where)):
            d = local_date(at)
            n, k = out[uid].get(d, (0, 0))
            out[uid][d] = (n + 1, k + (1 if inside else 0))
        return out
    rows = select(Checkin.user_id.label("uid"), day.label("day"),
                  case((Checkin.within_geofence.is_(True), 1), else_=0).label("inside")).where(*where).subquery()
    q = select(rows.c.uid, rows.c.day, func.count(), func.sum(rows.c.inside)).group_by(rows.c.uid, rows.c.day)
    for uid, d, n, inside in db.session.execute(q):
        if isinstance(d, str):
            d = date.fromisoformat(d)
        out[uid][d] = (int(n), int(inside or 0))
    return out


def build_days(rules: AttendanceRules, user: User, dates: Iterable[date], counts: dict[date, tuple[int, int]],
               leave: dict[date, tuple[float, str]], today: date) -> list[Day]:
    cal = WorkCalendar.of(rules)
    posted = posting_start(user)
    out = []
    for d in dates:
        n, inside = counts.get(d, (0, 0))
        frac, kind = leave.get(d, (0.0, None))
        working = cal.is_working(d)
        day = Day(d, DayStatus.FUTURE, working, n, inside, frac if working else 0.0, kind if working else None,
                  counted=checkin_count.counted(n, inside, rules))
        if inside:
            day.status = DayStatus.IN
        elif d < posted:
            day.status = DayStatus.OFF
        elif not working:
            day.status = DayStatus.REST
        elif frac >= 1:
            day.status = DayStatus.LEAVE
        elif d >= today:  # not over yet: never an absence
            day.status = DayStatus.HALF if frac else (DayStatus.TODAY if d == today else DayStatus.FUTURE)
        else:
            day.status = DayStatus.HALF if frac else DayStatus.ABSENT
            day.absent = 1.0 - frac
        if d < posted:
            day.leave, day.leave_kind = 0.0, None
        out.append(day)
    return out
