"""Work-team attendance: check-ins in the village, days in the village, leave, absences.

Rules:
- A day (a calendar day in the configured time zone, Asia/Shanghai) is a day in the village when
  it has at least one check-in inside the village geofence. Every check-in counts as a check-in.
- Working days are Monday to Friday, minus config HOLIDAYS, plus config MAKEUP_WORKDAYS.
- Leave is counted in half days; approved leave days are not absences.
- An absent day is a past working day (from the member's posting start, i.e. the account's creation)
  with no day in the village and no approved leave; a half-day leave leaves half a day absent.

Summaries are computed from one grouped query over (member, local day) plus one query for the
leave of the period: never a query per member or per day.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import Date, case, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import LEAVE_KINDS, TEAM_ROLES, Checkin, Leave, User, Village
from ..schemas.attendance import CheckinSchema
from . import audit, checkin_count
from .errors import Conflict, Forbidden, ValidationFailed
from .geo import haversine_m
from .timeutil import local_date, local_today, month_days, now_utc, quarter_of, tz

LEAVE_KIND_LABELS = {"事假": "事假", "病假": "病假", "公假": "公假（会议、培训）"}
LEAVE_STATUS_LABELS = {"pending": "待审批", "approved": "已批准", "rejected": "未批准", "cancelled": "已撤销"}
DAY_STATUS_LABELS = {
    "in": "在村", "leave": "请假", "half": "半天假", "absent": "缺勤", "rest": "休息日",
    "today": "今天", "future": "", "off": "未到岗",
}
PACE_LABELS = {
    "reached": "已达标", "on_track": "可达标", "behind": "进度落后", "unreachable": "本季度已无法达标",
    "missed": "未达标", "not_started": "未开始",
}


# --------------------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    key: str  # "2026-05" | "2026-Q2"
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def previous(self) -> "Period":
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        return period_containing(self.kind, self.end + timedelta(days=1))

    def quarter(self) -> "Period":
        return period_containing("quarter", self.start)

    def utc_range(self) -> tuple[datetime, datetime]:
        """[start, end) of the period as UTC instants."""
        zone = tz()
        start = datetime.combine(self.start, time.min, zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def month_period(year: int, month: int) -> Period:
    first, last = month_days(year, month)
    return Period("month", f"{year:04d}-{month:02d}", first, last)


def quarter_period(year: int, q: int) -> Period:
    first = date(year, 3 * (q - 1) + 1, 1)
    _, last = month_days(year, 3 * q)
    return Period("quarter", f"{year:04d}-Q{q}", first, last)


def period_containing(kind: str, d: date) -> Period:
    if kind == "quarter":
        return quarter_period(*quarter_of(d))
    return month_period(d.year, d.month)


def parse_period(month: str | None = None, quarter: str | None = None, today: date | None = None) -> Period:
    """`month=YYYY-MM` or `quarter=YYYY-Qn` (not both); neither means the current month."""
    from .timeutil import parse_month, parse_quarter

    month, quarter = (month or "").strip() or None, (quarter or "").strip() or None
    if month and quarter:
        raise ValidationFailed("请只给出月份或季度之一。", field="month")
    try:
        if quarter:
            return quarter_period(*parse_quarter(quarter))
        if month:
            return month_period(*parse_month(month))
    except ValueError as err:
        raise ValidationFailed(str(err), field="quarter" if quarter else "month") from None
    today = today or local_today()
    return month_period(today.year, today.month)


# --------------------------------------------------------------------------- working days

def _date_list(key: str) -> set[date]:
    out = set()
    for text in current_app.config.get(key) or ():
        out.add(text if isinstance(text, date) else date.fromisoformat(str(text)))
    return out


class WorkCalendar:
    """Monday to Friday, minus the public holidays, plus the make-up working days (config)."""

    def __init__(self) -> None:
        self.holidays = _date_list("HOLIDAYS")
        self.makeup = _date_list("MAKEUP_WORKDAYS")

    def is_working(self, d: date) -> bool:
        if d in self.makeup:
            return True
        return d.weekday() < 5 and d not in self.holidays


def is_working_day(d: date) -> bool:
    return WorkCalendar().is_working(d)


def working_days(start: date, end: date) -> list[date]:
    cal = WorkCalendar()
    return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1)) if cal.is_working(d)]


def posting_start(user: User) -> date:
    """The first day the member is expected in the village: the day the account was created."""
    return local_date(user.created_at) if user.created_at else date.min


# --------------------------------------------------------------------------- check-ins

def geofence_m(village: Village) -> int:
    return village.geofence_m or int(current_app.config["VILLAGE_GEOFENCE_M"])


def locate(village: Village, latitude: float, longitude: float) -> tuple[float | None, bool]:
    """Distance to the village centre and whether it is inside the village geofence.

    A village without a centre cannot be checked against: the check-in is kept, outside."""
    if village.latitude is None or village.longitude is None:
        return None, False
    distance = haversine_m(latitude, longitude, village.latitude, village.longitude)
    return round(distance, 1), distance <= geofence_m(village)


def content_hash(user_id: int, values: dict[str, Any]) -> str:
    """sha256 of the canonical check-in: a replay with other content (or by someone else) is a conflict."""
    canonical = {
        "user_id": user_id,
        "client_uuid": str(values["client_uuid"]),
        "checked_in_at": values["checked_in_at"].astimezone(timezone.utc).isoformat(),
        "latitude": float(values["latitude"]),
        "longitude": float(values["longitude"]),
        "accuracy_m": float(values["accuracy_m"]),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _check_time(at: datetime) -> None:
    now = now_utc()
    skew = int(current_app.config["FUTURE_SKEW_MINUTES"])
    window = int(current_app.config["OFFLINE_WINDOW_DAYS"])
    if at > now + timedelta(minutes=skew):
        raise ValidationFailed("签到时间晚于服务器时间，请检查手机时间。", field="checked_in_at")
    if at < now - timedelta(days=window):
        raise ValidationFailed(f"签到时间早于 {window} 天前，已超出离线补传期限。", field="checked_in_at")


def _insert(values: dict[str, Any]):
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(Checkin).values(**values).on_conflict_do_nothing(index_elements=["client_uuid"])


def _replay(existing: Checkin, content_hash: str) -> tuple[Checkin, bool]:
    if existing.content_hash != content_hash:
        raise Conflict("这个 client_uuid 已用于另一条内容不同的签到。", field="client_uuid")
    return existing, False


def record_checkin(user: User, data: dict[str, Any], photo_key: str | None = None) -> tuple[Checkin, bool]:
    """Store a check-in idempotently: (checkin, created).

    The same client_uuid with the same content returns the stored row (created False); with other
    content it is a Conflict. Nothing is stored when validation fails."""
    if user.role not in TEAM_ROLES or user.village_id is None:
        raise Forbidden("只有驻村工作队员和第一书记可以驻村签到。")
    if not isinstance(data, dict):
        raise ValidationFailed("请求应为 JSON 对象。")
    try:
        values = CheckinSchema().load(data)
    except ValidationError as err:
        raise ValidationFailed("签到数据有误。", errors=err.messages) from None
    client_uuid = str(values["client_uuid"])
    digest = content_hash(user.id, values)
    existing = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid))
    if existing is not None:
        return _replay(existing, digest)
    _check_time(values["checked_in_at"])
    village = db.session.get(Village, user.village_id)
    distance, within = locate(village, values["latitude"], values["longitude"])
    result = db.session.execute(_insert({
        "client_uuid": client_uuid, "user_id": user.id, "village_id": village.id,
        "checked_in_at": values["checked_in_at"].astimezone(timezone.utc), "received_at": now_utc(),
        "latitude": values["latitude"], "longitude": values["longitude"], "accuracy_m": values["accuracy_m"],
        "distance_m": distance, "within_geofence": within, "content_hash": digest, "photo_key": photo_key,
    }))
    row = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid))
    if not result.rowcount:  # a concurrent request with the same client_uuid won the race
        return _replay(row, digest)
    return row, True


def checkins_on(user: User, day: date) -> list[Checkin]:
    start = datetime.combine(day, time.min, tz()).astimezone(timezone.utc)
    end = start + timedelta(days=1)
    return list(db.session.scalars(
        select(Checkin).where(Checkin.user_id == user.id, Checkin.checked_in_at >= start, Checkin.checked_in_at < end)
        .order_by(Checkin.checked_in_at.desc())
    ))


# --------------------------------------------------------------------------- leave

def _slots(leave: Leave) -> tuple[int, int]:
    """The leave as half-day slots [start, end): slot 2n is the morning of day n, 2n+1 the afternoon.

    Leave stops at the return (销假): the return day is not leave, or only its morning if the
    member came back in the afternoon."""
    start = 2 * leave.start_date.toordinal() + (1 if leave.start_half else 0)
    end = 2 * leave.end_date.toordinal() + (1 if leave.end_half else 2)
    if leave.returned_at is not None:
        back = leave.returned_at.astimezone(tz())
        end = min(end, 2 * back.date().toordinal() + (1 if back.hour >= 12 else 0))
    return start, max(start, end)


def leave_by_day(leave: Leave) -> dict[date, float]:
    """Fraction of each day (0.5 or 1) covered by the leave."""
    start, end = _slots(leave)
    out: dict[date, float] = {}
    for slot in range(start, end):
        d = date.fromordinal(slot // 2)
        out[d] = out.get(d, 0) + 0.5
    return out


def leave_days(leave: Leave, cal: WorkCalendar | None = None) -> float:
    """Working days the leave takes (weekends and holidays inside it are not counted)."""
    cal = cal or WorkCalendar()
    return sum(f for d, f in leave_by_day(leave).items() if cal.is_working(d))


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _parse_date(errors: dict, name: str, value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.setdefault(name, []).append("请填写日期（YYYY-MM-DD）。")
        return None


def request_leave(user: User, data: dict[str, Any]) -> Leave:
    """A leave request (请假): dates with half days, kind, reason. Starts pending."""
    if user.role not in TEAM_ROLES or user.village_id is None:
        raise Forbidden("只有驻村工作队员和第一书记需要请假。")
    errors: dict[str, list[str]] = {}
    start = _parse_date(errors, "start_date", data.get("start_date"))
    end = _parse_date(errors, "end_date", data.get("end_date"))
    start_half, end_half = _flag(data.get("start_half")), _flag(data.get("end_half"))
    kind = str(data.get("kind") or "").strip()
    reason = str(data.get("reason") or "").strip()
    if kind not in LEAVE_KINDS:
        errors["kind"] = ["请选择请假类型：" + "、".join(LEAVE_KINDS) + "。"]
    if len(reason) < 2 or len(reason) > 500:
        errors["reason"] = ["请填写请假事由（2–500 字）。"]
    if start and end:
        if end < start:
            errors["end_date"] = ["结束日期不能早于开始日期。"]
        elif start == end and start_half and end_half:
            errors["end_half"] = ["同一天不能既下午开始又上午结束。"]
        elif (end - start).days > 366:
            errors["end_date"] = ["一次请假不能超过一年。"]
        backdate = int(current_app.config["LEAVE_BACKDATE_DAYS"])
        if start < local_today() - timedelta(days=backdate):
            errors["start_date"] = [f"只能补请 {backdate} 天内的假。"]
    if errors:
        raise ValidationFailed("请假信息有误。", errors=errors)
    leave = Leave(user_id=user.id, start_date=start, end_date=end, start_half=start_half, end_half=end_half,
                  kind=kind, reason=reason, status="pending")
    a_start, a_end = _slots(leave)
    others = db.session.scalars(select(Leave).where(
        Leave.user_id == user.id, Leave.status.in_(("pending", "approved")),
        Leave.start_date <= end, Leave.end_date >= start,
    ))
    for other in others:
        b_start, b_end = _slots(other)
        if a_start < b_end and b_start < a_end:
            raise ValidationFailed("请假信息有误。", errors={"start_date": [
                f"与已有的请假（{other.start_date}–{other.end_date}，{LEAVE_STATUS_LABELS[other.status]}）重叠。"]})
    db.session.add(leave)
    db.session.flush()
    audit.record(user, "leave.request", "leave", leave.id, start=str(start), end=str(end), kind=kind)
    return leave


def _has_first_secretary(village_id: int | None) -> bool:
    if village_id is None:
        return False
    return db.session.scalar(select(User.id).where(
        User.village_id == village_id, User.role == "first_secretary", User.active.is_(True)).limit(1)) is not None


def can_decide(user: User, leave: Leave) -> bool:
    """Who approves: a team member's leave goes to the village's first secretary (to the office
    admin when the village has none); a first secretary's own leave goes to the office admin."""
    requester = leave.user
    if requester.id == user.id:
        return False
    if requester.role == "team_member":
        if user.role == "first_secretary":
            return user.village_id is not None and user.village_id == requester.village_id
        if user.role == "office_admin":
            return user.unit_id == requester.unit_id and not _has_first_secretary(requester.village_id)
        return False
    if requester.role == "first_secretary":
        return user.role == "office_admin" and user.unit_id == requester.unit_id
    return False


def decide(user: User, leave: Leave, approve: bool, comment: str | None) -> Leave:
    """Approve or reject a pending leave, with a comment (required to reject)."""
    if not can_decide(user, leave):
        raise Forbidden("您不能审批这条请假。")
    if leave.status != "pending":
        raise Conflict(f"这条请假已{LEAVE_STATUS_LABELS.get(leave.status, leave.status)}，不能再审批。")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed("请写明不批准的理由。", field="comment")
    if len(comment) > 500:
        raise ValidationFailed("审批意见不超过 500 字。", field="comment")
    leave.status = "approved" if approve else "rejected"
    leave.approver_id = user.id
    leave.decided_at = now_utc()
    leave.comment = comment or None
    db.session.flush()
    audit.record(user, f"leave.{leave.status}", "leave", leave.id, comment=comment)
    return leave


def cancel(user: User, leave: Leave) -> Leave:
    """The requester withdraws a pending leave, or an approved one that has not started."""
    if leave.user_id != user.id:
        raise Forbidden("只能撤销自己的请假。")
    started = leave.start_date <= local_today()
    if leave.status not in ("pending", "approved") or (leave.status == "approved" and started):
        raise Conflict("这条请假不能再撤销（已开始的假请销假）。")
    leave.status = "cancelled"
    db.session.flush()
    audit.record(user, "leave.cancel", "leave", leave.id)
    return leave


def record_return(user: User, leave: Leave, at: datetime | None = None) -> Leave:
    """销假: the member is back. Recorded by the member or by whoever approves their leave."""
    if leave.user_id != user.id and not can_decide(user, leave):
        raise Forbidden("您不能为这条请假销假。")
    if leave.status != "approved":
        raise Conflict("只有已批准的请假可以销假。")
    if leave.returned_at is not None:
        raise Conflict("这条请假已经销假。")
    at = at or now_utc()
    if local_date(at) < leave.start_date:
        raise Conflict("假期还没有开始；不休假请撤销。")
    leave.returned_at = at
    db.session.flush()
    audit.record(user, "leave.return", "leave", leave.id, at=at.isoformat())
    return leave


def can_return(user: User, leave: Leave, today: date | None = None) -> bool:
    today = today or local_today()
    return (leave.status == "approved" and leave.returned_at is None and leave.start_date <= today
            and (leave.user_id == user.id or can_decide(user, leave)))


def can_cancel(user: User, leave: Leave, today: date | None = None) -> bool:
    today = today or local_today()
    return leave.user_id == user.id and (
        leave.status == "pending" or (leave.status == "approved" and leave.start_date > today))


# --------------------------------------------------------------------------- day counting

@dataclass
class Day:
    date: date
    status: str  # in, leave, half, absent, rest, today, future, off
    working: bool
    checkins: int = 0
    inside: int = 0
    leave: float = 0.0
    leave_kind: str | None = None
    absent: float = 0.0

    @property
    def label(self) -> str:
        return DAY_STATUS_LABELS[self.status]

    @property
    def counted(self) -> int:
        """Check-ins of the day that count towards the quarter's target (services.checkin_count)."""
        return checkin_count.counted(self.checkins, self.inside)


@dataclass
class Progress:
    """The quarter's progress to the targets and where the pace leads."""

    quarter: Period
    days: int
    checkins: int
    days_target: int
    checkins_target: int
    days_pace: str
    checkins_pace: str
    projected_days: int
    projected_checkins: int
    checkins_all: int = 0  # every check-in of the quarter; `checkins` are those counted (checkin_count)

    @property
    def days_pace_label(self) -> str:
        return PACE_LABELS[self.days_pace]

    @property
    def checkins_pace_label(self) -> str:
        return PACE_LABELS[self.checkins_pace]

    @property
    def behind(self) -> bool:
        return self.days_pace in ("behind", "unreachable", "missed") or self.checkins_pace in ("behind", "unreachable", "missed")


@dataclass
class MemberSummary:
    user: User
    period: Period
    days: list[Day]
    progress: Progress | None = None

    @property
    def days_in_village(self) -> int:
        return sum(1 for d in self.days if d.inside)

    @property
    def checkins(self) -> int:
        return sum(d.checkins for d in self.days)

    @property
    def checkins_counted(self) -> int:
        return sum(d.counted for d in self.days)

    @property
    def checkins_outside(self) -> int:
        return sum(d.checkins - d.inside for d in self.days)

    @property
    def leave_days(self) -> float:
        return sum(d.leave for d in self.days if d.working)

    @property
    def absent_days(self) -> float:
        return sum(d.absent for d in self.days)

    @property
    def working_days(self) -> int:
        return sum(1 for d in self.days if d.working)


@dataclass
class TeamSummary:
    village: Village
    period: Period
    today: date
    members: list[MemberSummary] = field(default_factory=list)

    @property
    def behind(self) -> list[MemberSummary]:
        return [m for m in self.members if m.progress and m.progress.behind]


def _fixed_offset(start: date, end: date) -> timedelta | None:
    """The zone's UTC offset if it is the same on every day of the range (true for Asia/Shanghai)."""
    zone = tz()
    offsets = {zone.utcoffset(datetime.combine(start + timedelta(days=i), time(12)))
               for i in range((end - start).days + 2)}
    offsets.add(zone.utcoffset(datetime.combine(start, time.min)))
    return offsets.pop() if len(offsets) == 1 else None


def _day_counts(user_ids: list[int], start: date, end: date) -> dict[int, dict[date, tuple[int, int]]]:
    """{user_id: {local day: (check-ins, check-ins inside the geofence)}} in one grouped query."""
    out: dict[int, dict[date, tuple[int, int]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    zone = tz()
    lo = datetime.combine(start, time.min, zone).astimezone(timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(timezone.utc)
    where = (Checkin.user_id.in_(user_ids), Checkin.checked_in_at >= lo, Checkin.checked_in_at < hi)
    dialect = db.session.get_bind().dialect.name
    day = None
    if dialect == "postgresql":
        day = cast(func.timezone(current_app.config["TIMEZONE"], Checkin.checked_in_at), Date)
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


def _approved_leave(user_ids: list[int], start: date, end: date) -> dict[int, dict[date, tuple[float, str]]]:
    out: dict[int, dict[date, tuple[float, str]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    leaves = db.session.scalars(select(Leave).where(
        Leave.user_id.in_(user_ids), Leave.status == "approved", Leave.start_date <= end, Leave.end_date >= start))
    for leave in leaves:
        for d, frac in leave_by_day(leave).items():
            if start <= d <= end:
                prev = out[leave.user_id].get(d, (0.0, leave.kind))[0]
                out[leave.user_id][d] = (min(1.0, prev + frac), leave.kind)
    return out


def _build_days(user: User, dates: Iterable[date], counts: dict[date, tuple[int, int]],
                leave: dict[date, tuple[float, str]], today: date, cal: WorkCalendar) -> list[Day]:
    posted = posting_start(user)
    out = []
    for d in dates:
        n, inside = counts.get(d, (0, 0))
        frac, kind = leave.get(d, (0.0, None))
        working = cal.is_working(d)
        day = Day(d, "future", working, n, inside, frac if working else 0.0, kind if working else None)
        if inside:
            day.status = "in"
        elif d < posted:
            day.status = "off"
        elif not working:
            day.status = "rest"
        elif frac >= 1:
            day.status = "leave"
        elif d >= today:  # not over yet: never an absence
            day.status = "half" if frac else ("today" if d == today else "future")
        else:
            day.status = "half" if frac else "absent"
            day.absent = 1.0 - frac
        if d < posted:
            day.leave, day.leave_kind = 0.0, None
        out.append(day)
    return out


def _pace(done: int, target: int, elapsed: int, remaining: int, over: bool, still_possible: int | None) -> tuple[str, int]:
    projected = done if elapsed <= 0 else round(done + done / elapsed * remaining)
    if done >= target:
        return "reached", projected
    if over:
        return "missed", projected
    if elapsed <= 0:
        return "not_started", projected
    if still_possible is not None and done + still_possible < target:
        return "unreachable", projected
    return ("on_track" if projected >= target else "behind"), projected


def progress(user: User, quarter: Period, days: list[Day], today: date) -> Progress:
    """Days in the village and check-ins this quarter against the targets; the pace is the rate so
    far (since the quarter start or the posting start) carried to the quarter's end."""
    cfg = current_app.config
    days_target, checkins_target = int(cfg["QUARTER_DAYS_TARGET"]), int(cfg["QUARTER_CHECKINS_TARGET"])
    in_q = [d for d in days if quarter.start <= d.date <= quarter.end]
    n_days = sum(1 for d in in_q if d.inside)
    n_checkins = sum(d.counted for d in in_q)  # those that count towards the target (checkin_count)
    begin = max(quarter.start, posting_start(user))
    last = min(today, quarter.end)
    elapsed = (last - begin).days + 1 if last >= begin else 0
    remaining = max(0, (quarter.end - max(today, begin - timedelta(days=1))).days)
    over = today > quarter.end
    today_open = begin <= today <= quarter.end and not any(d.inside for d in in_q if d.date == today)
    days_pace, projected_days = _pace(n_days, days_target, elapsed, remaining, over,
                                      remaining + (1 if today_open else 0))
    checkins_pace, projected_checkins = _pace(n_checkins, checkins_target, elapsed, remaining, over, None)
    return Progress(quarter, n_days, n_checkins, days_target, checkins_target, days_pace, checkins_pace,
                    min(projected_days, (quarter.end - begin).days + 1), projected_checkins,
                    sum(d.checkins for d in in_q))


def team(village: Village) -> list[User]:
    """The village work team: the first secretary first, then the members."""
    return list(db.session.scalars(
        select(User).where(User.village_id == village.id, User.role.in_(TEAM_ROLES), User.active.is_(True))
        .order_by(case((User.role == "first_secretary", 0), else_=1), User.id)
    ))


def summarize(users: list[User], period: Period, today: date | None = None) -> list[MemberSummary]:
    """Per person: the days of the period and the progress of the quarter the period starts in."""
    today = today or local_today()
    quarter = period.quarter()
    lo, hi = min(period.start, quarter.start), max(period.end, quarter.end)
    ids = [u.id for u in users]
    counts = _day_counts(ids, lo, hi)
    leave = _approved_leave(ids, lo, hi)
    cal = WorkCalendar()
    span = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    out = []
    for u in users:
        all_days = _build_days(u, span, counts[u.id], leave[u.id], today, cal)
        days = [d for d in all_days if period.start <= d.date <= period.end]
        out.append(MemberSummary(u, period, days, progress(u, quarter, all_days, today)))
    return out


def team_summary(village: Village, period: Period, today: date | None = None) -> TeamSummary:
    today = today or local_today()
    return TeamSummary(village, period, today, summarize(team(village), period, today))


def member_summary(user: User, period: Period, today: date | None = None) -> MemberSummary:
    return summarize([user], period, today)[0]


def calendar_weeks(days: list[Day]) -> list[list[Day | None]]:
    """The days laid out Monday to Sunday, padded with None, for a month calendar."""
    if not days:
        return []
    cells: list[Day | None] = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


# --------------------------------------------------------------------------- check-in photo

def _photo_keys(hex_: str) -> tuple[str, str]:
    from . import storage

    return storage.new_key("checkins", hex_), storage.new_key("checkinthumbs", hex_)


def thumb_key(checkin: Checkin) -> str | None:
    """The thumbnail sits beside the photo under the same UUID."""
    if not checkin.photo_key:
        return None
    return _photo_keys(checkin.photo_key.rsplit("/", 1)[1].split(".")[0])[1]


def attach_photo(user: User, client_uuid: str, data: bytes) -> tuple[Checkin, bool]:
    """One optional photo on the caller's own check-in, checked and re-encoded like visit photos
    (no EXIF kept). The same photo again is a replay (created False); another photo is a Conflict."""
    import uuid

    from .. import database
    from . import photos, storage

    checkin = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid, Checkin.user_id == user.id))
    if checkin is None:
        from .errors import NotFound

        raise NotFound("没有这次签到（请先上传签到），或您无权操作。")
    # decode outside SQLite's write lock; checkin is expired and read again afterwards
    database.end_read_transaction()
    processed = photos.process(data)
    store = storage.get()
    if checkin.photo_key:
        try:
            with store.open(checkin.photo_key) as f:
                same = hashlib.sha256(f.read()).hexdigest() == processed.sha256
        except FileNotFoundError:
            same = False
        if same:
            return checkin, False
        raise Conflict("这次签到已经有一张照片。", field="photo")
    key, thumb = _photo_keys(uuid.uuid4().hex)
    store.put(key, processed.image)
    store.put(thumb, processed.thumb)
    checkin.photo_key = key
    db.session.flush()
    return checkin, True


def discard_photo(checkin: Checkin) -> None:
    """Remove the files again when the row could not be committed."""
    from . import storage

    store = storage.get()
    for key in (checkin.photo_key, thumb_key(checkin)):
        if key:
            store.delete(key)
