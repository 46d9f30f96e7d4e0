"""Per member and per village team: the days of a period and the quarter's progress to the targets."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, select

from ...extensions import db
from ...models import TEAM_ROLES, Role, User, Village
from ..calendar import Period, local_today
from .days import Day, build_days, day_counts
from .leave import approved_leave
from .rules import AttendanceRules
from .workdays import posting_start

PACE_LABELS = {
    "reached": "已达标", "on_track": "可达标", "behind": "进度落后", "unreachable": "本季度已无法达标",
    "missed": "未达标", "not_started": "未开始",
}


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


def progress(rules: AttendanceRules, user: User, quarter: Period, days: list[Day], today: date) -> Progress:
    """Days in the village and check-ins this quarter against the targets; the pace is the rate so
    far (since the quarter start or the posting start) carried to the quarter's end."""
    days_target, checkins_target = rules.quarter_days_target, rules.quarter_checkins_target
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
        .order_by(case((User.role == Role.FIRST_SECRETARY, 0), else_=1), User.id)
    ))


def summarize(rules: AttendanceRules, users: list[User], period: Period, today: date | None = None) -> list[MemberSummary]:
    """Per person: the days of the period and the progress of the quarter the period starts in."""
    today = today or local_today()
    quarter = period.quarter()
    lo, hi = min(period.start, quarter.start), max(period.end, quarter.end)
    ids = [u.id for u in users]
    counts = day_counts(ids, lo, hi)
    leave = approved_leave(ids, lo, hi)
    span = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    out = []
    for u in users:
        all_days = build_days(rules, u, span, counts[u.id], leave[u.id], today)
        days = [d for d in all_days if period.start <= d.date <= period.end]
        out.append(MemberSummary(u, period, days, progress(rules, u, quarter, all_days, today)))
    return out


def team_summary(rules: AttendanceRules, village: Village, period: Period, today: date | None = None) -> TeamSummary:
    today = today or local_today()
    return TeamSummary(village, period, today, summarize(rules, team(village), period, today))


def member_summary(rules: AttendanceRules, user: User, period: Period, today: date | None = None) -> MemberSummary:
    return summarize(rules, [user], period, today)[0]


def calendar_weeks(days: list[Day]) -> list[list[Day | None]]:
    """The days laid out Monday to Sunday, padded with None, for a month calendar."""
    if not days:
        return []
    cells: list[Day | None] = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]
