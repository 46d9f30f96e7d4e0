"""Working days (Monday to Friday, minus HOLIDAYS, plus MAKEUP_WORKDAYS) and a member's posting start."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from ...models import User
from ..calendar import local_date


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
