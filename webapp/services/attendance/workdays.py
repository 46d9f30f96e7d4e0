"""Working days (Monday to Friday, minus HOLIDAYS, plus MAKEUP_WORKDAYS: rules.WorkCalendar) and a member's
posting start."""
from __future__ import annotations

from datetime import date, timedelta

from ...models import User
from ..calendar import local_date
from .rules import AttendanceRules, WorkCalendar


def is_working_day(rules: AttendanceRules, d: date) -> bool:
    return WorkCalendar.of(rules).is_working(d)


def working_days(rules: AttendanceRules, start: date, end: date) -> list[date]:
    cal = WorkCalendar.of(rules)
    return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1)) if cal.is_working(d)]


def posting_start(user: User) -> date:
    """The first day the member is expected in the village: the day the account was created."""
    return local_date(user.created_at) if user.created_at else date.min
