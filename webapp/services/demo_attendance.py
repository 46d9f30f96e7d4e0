"""Demo attendance for seed-demo: two months of work-team check-ins and leave, one member who
falls behind the 50-day pace, and a few of the first secretary's review marks on helpers' visits.

Rows are written directly (the API refuses check-ins older than the offline window), with the
distance, geofence and content hash computed by the same code as real check-ins.
"""
from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import TEAM_ROLES, Checkin, Household, Leave, LeaveStatus, ReviewStatus, Role, User, Village, Visit
from . import attendance
from .calendar import local_today, tz

# (probability of a day in the village on a working day, on a weekend or holiday)
DILIGENT = (0.95, 0.45)
BEHIND = (0.3, 0.05)
REVIEW_COMMENTS = ("记录详实，继续保持。", "措施落实到位。", "下次请拍一张户主在场的照片。", "")
RETURN_COMMENTS = ("定位距离这户较远，请说明情况或补充照片。", "走访内容过于简单，请补充家庭收支情况。")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _spot(rng: random.Random, lat: float, lng: float, max_m: float) -> tuple[float, float]:
    r = max_m * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    dlat = r * math.cos(a) / 111_320
    dlng = r * math.sin(a) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def _checkin(rng: random.Random, rules: attendance.AttendanceRules, user: User, village: Village, day: date, hour: float,
             far: bool = False) -> Checkin:
    zone = tz()
    local = datetime.combine(day, time(int(hour), int(hour % 1 * 60), rng.randrange(60)), zone)
    at = local.astimezone(timezone.utc)
    if far:  # in the county town, ~9 km away
        lat, lng = _spot(rng, village.latitude + 0.08, village.longitude + 0.02, 500)
    else:
        lat, lng = _spot(rng, village.latitude, village.longitude, 900)
    sent = attendance.CheckinIn(client_uuid=_uuid(rng), checked_in_at=at, latitude=round(lat, 6),
                                longitude=round(lng, 6), accuracy_m=float(rng.choice((5, 8, 10, 12, 15, 20, 30, 45))))
    distance, within = attendance.locate(rules, village, sent.latitude, sent.longitude)
    offline = rng.random() < 0.1  # sent later from the outbox
    return Checkin(
        client_uuid=sent.client_uuid, user_id=user.id, village_id=village.id, checked_in_at=at,
        received_at=at + (timedelta(hours=rng.randrange(2, 30)) if offline else timedelta(seconds=rng.randrange(1, 9))),
        latitude=sent.latitude, longitude=sent.longitude, accuracy_m=sent.accuracy_m,
        distance_m=distance, within_geofence=within, content_hash=attendance.content_hash(user.id, sent),
    )


def _leave(user: User, start: date, end: date, kind: str, reason: str, status: str, approver: User | None,
           comment: str | None = None, **kw) -> Leave:
    decided = datetime.combine(start - timedelta(days=2), time(18), tz()).astimezone(timezone.utc)
    lv = Leave(user_id=user.id, start_date=start, end_date=end, kind=kind, reason=reason, status=status,
               approver_id=approver.id if approver and status != LeaveStatus.PENDING else None,
               decided_at=decided if status in (LeaveStatus.APPROVED, LeaveStatus.REJECTED) else None, comment=comment, **kw)
    lv.created_at = decided - timedelta(days=1)
    db.session.add(lv)
    return lv


def _working_after(cal: attendance.WorkCalendar, d: date, n: int = 0) -> date:
    """The n-th working day on or after d."""
    while not cal.is_working(d):
        d += timedelta(days=1)
    for _ in range(n):
        d += timedelta(days=1)
        while not cal.is_working(d):
            d += timedelta(days=1)
    return d


def seed(rng: random.Random, rules: attendance.AttendanceRules) -> None:
    today = local_today()
    first = date(today.year - (1 if today.month == 1 else 0), 12 if today.month == 1 else today.month - 1, 1)
    cal = attendance.WorkCalendar.of(rules)
    admin = db.session.scalar(select(User).where(User.role == Role.OFFICE_ADMIN).order_by(User.id))
    villages = db.session.scalars(select(Village).order_by(Village.id)).all()
    posted = datetime.combine(first - timedelta(days=120), time(9), tz()).astimezone(timezone.utc)
    # the last member of the first village's team (team12 in the demo) falls behind the pace
    behind = db.session.scalar(select(User.id).where(User.role == Role.TEAM_MEMBER, User.village_id.in_(
        [v.id for v in villages[:1]])).order_by(User.id.desc()).limit(1))
    for village in villages:
        if village.latitude is None or village.longitude is None:
            continue
        team = db.session.scalars(select(User).where(User.village_id == village.id, User.role.in_(TEAM_ROLES))
                                  .order_by(User.id)).all()
        secretary = next((u for u in team if u.role == Role.FIRST_SECRETARY), None)
        leaves = _village_leave(village, team, secretary, admin, cal, today)
        for user in team:
            user.created_at = posted  # posted long before the demo months: absences count from then
            # an approved sick leave last month (two working days)
            sick = _working_after(cal, first + timedelta(days=rng.randrange(5, 12)))
            approver = admin if user.role == Role.FIRST_SECRETARY else secretary
            leaves.append(_leave(user, sick, _working_after(cal, sick, 1), "病假", "感冒发烧，在乡卫生院输液。",
                                 LeaveStatus.APPROVED, approver, "注意休息。"))
            away = {d for lv in leaves if lv.user_id == user.id and lv.status == LeaveStatus.APPROVED
                    for d, part in attendance.leave_by_day(lv).items() if part >= 1}
            profile = BEHIND if user.id == behind else DILIGENT
            rows = []
            day = first
            while day < today:
                if day not in away:
                    p = profile[0] if cal.is_working(day) else profile[1]
                    if rng.random() < p:
                        rows.append(_checkin(rng, rules, user, village, day, rng.uniform(7.8, 9.5)))
                        if rng.random() < 0.45:
                            rows.append(_checkin(rng, rules, user, village, day, rng.uniform(14, 17.5)))
                    elif cal.is_working(day) and rng.random() < (0.25 if profile is BEHIND else 0.04):
                        rows.append(_checkin(rng, rules, user, village, day, rng.uniform(8, 10), far=True))
                day += timedelta(days=1)
            db.session.add_all(rows)
    db.session.flush()
    _reviews(rng, today)
    db.session.flush()


def _village_leave(village: Village, team: list[User], secretary: User | None, admin: User | None,
                   cal: attendance.WorkCalendar, today: date) -> list[Leave]:
    """A pending request for the first secretary (and one of theirs for the office), a rejected
    one with a comment, a half day of 公假, and a leave ended early by 销假."""
    members = [u for u in team if u.role == Role.TEAM_MEMBER]
    if not members or secretary is None:
        return []
    nxt = _working_after(cal, today + timedelta(days=3))
    past = _working_after(cal, today - timedelta(days=20))
    earlier = _working_after(cal, today - timedelta(days=34))
    back = _working_after(cal, today - timedelta(days=12))
    out = [
        _leave(members[0], nxt, _working_after(cal, nxt, 1), "事假", "孩子学校开家长会，回县城两天。", LeaveStatus.PENDING, None),
        _leave(members[-1], past, past, "公假", "到乡政府参加产业政策培训（上午）。", LeaveStatus.APPROVED, secretary,
               end_half=True),
        _leave(members[0], earlier, earlier, "事假", "回家办理私事。", LeaveStatus.REJECTED, secretary,
               "当天有防返贫监测入户核查，请改期。"),
        _leave(secretary, back, _working_after(cal, back, 3), "病假", "腰伤复查。", LeaveStatus.APPROVED, admin,
               returned_at=datetime.combine(_working_after(cal, back, 2), time(8, 30), tz()).astimezone(timezone.utc)),
    ]
    if village.id % 2 == 1:
        meeting = _working_after(cal, today + timedelta(days=6))
        out.append(_leave(secretary, meeting, meeting, "公假", "参加县委组织部第一书记轮训。", LeaveStatus.PENDING, None))
    return out


def _reviews(rng: random.Random, today: date) -> None:
    """The first secretaries have looked at some of this month's visits: most 已阅, one sent back."""
    secretaries = {u.village_id: u for u in db.session.scalars(select(User).where(User.role == Role.FIRST_SECRETARY))}
    visits = db.session.scalars(select(Visit).join(Household, Household.id == Visit.household_id)
                                .order_by(Visit.checked_in_at)).all()
    returned: set[int] = set()
    for v in visits:
        sec = secretaries.get(v.household.village_id)
        if sec is None or v.checked_in_at.astimezone(tz()).date() >= today - timedelta(days=3):
            continue
        if v.review_status != ReviewStatus.PENDING or v.verified_at is not None:  # the examples of demo_visits
            continue
        if v.flags and v.household.village_id not in returned:
            v.review_status, v.review_comment = ReviewStatus.RETURNED, rng.choice(RETURN_COMMENTS)
            returned.add(v.household.village_id)
        elif rng.random() < 0.5:
            v.review_status, v.review_comment = ReviewStatus.REVIEWED, rng.choice(REVIEW_COMMENTS) or None
        else:
            continue
        v.reviewed_by_id = sec.id
        v.reviewed_at = v.checked_in_at + timedelta(days=rng.randrange(1, 3))
