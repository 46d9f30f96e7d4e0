"""The numbers of the attendance rules, read from the configuration once at start-up (webapp/web/rules.py)
and passed to every function that counts days or takes a check-in or a leave request; part of the
`Rules` bundle of services/rules.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class AttendanceRules:
    village_geofence_m: int = 2000  # VILLAGE_GEOFENCE_M, for a village without its own
    quarter_days_target: int = 50  # QUARTER_DAYS_TARGET
    quarter_checkins_target: int = 50  # QUARTER_CHECKINS_TARGET
    count_inside_only: bool = True  # CHECKINS_COUNT_INSIDE_ONLY (services.checkin_count)
    counted_per_day: int = 1  # CHECKINS_COUNTED_PER_DAY; 0 = no daily cap
    holidays: tuple[str, ...] = ()  # HOLIDAYS
    makeup_workdays: tuple[str, ...] = ()  # MAKEUP_WORKDAYS
    leave_backdate_days: int = 31  # LEAVE_BACKDATE_DAYS: leave may be asked for afterwards
    future_skew_minutes: int = 5  # FUTURE_SKEW_MINUTES: a check-in may be this much ahead of the server
    offline_window_days: int = 7  # OFFLINE_WINDOW_DAYS: how late a check-in may still be uploaded
    timezone: str = "Asia/Shanghai"  # TIMEZONE (services.calendar keeps the zone)


def attendance_rules(config: Mapping[str, Any]) -> AttendanceRules:
    return AttendanceRules(
        village_geofence_m=int(config["VILLAGE_GEOFENCE_M"]),
        quarter_days_target=int(config["QUARTER_DAYS_TARGET"]),
        quarter_checkins_target=int(config["QUARTER_CHECKINS_TARGET"]),
        count_inside_only=bool(config.get("CHECKINS_COUNT_INSIDE_ONLY", True)),
        counted_per_day=int(config.get("CHECKINS_COUNTED_PER_DAY", 1) or 0),
        holidays=tuple(config.get("HOLIDAYS") or ()),
        makeup_workdays=tuple(config.get("MAKEUP_WORKDAYS") or ()),
        leave_backdate_days=int(config["LEAVE_BACKDATE_DAYS"]),
        future_skew_minutes=int(config["FUTURE_SKEW_MINUTES"]),
        offline_window_days=int(config["OFFLINE_WINDOW_DAYS"]),
        timezone=str(config["TIMEZONE"]),
    )


def _dates(values: Iterable[Any]) -> frozenset[date]:
    return frozenset(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values)


@dataclass(frozen=True)
class WorkCalendar:
    """Monday to Friday, minus the public holidays, plus the make-up working days (the rules')."""

    holidays: frozenset[date] = frozenset()
    makeup: frozenset[date] = frozenset()

    @classmethod
    def of(cls, rules: AttendanceRules) -> WorkCalendar:
        return _calendar(rules.holidays, rules.makeup_workdays)

    def is_working(self, d: date) -> bool:
        if d in self.makeup:
            return True
        return d.weekday() < 5 and d not in self.holidays


@lru_cache(maxsize=8)
def _calendar(holidays: tuple[str, ...], makeup: tuple[str, ...]) -> WorkCalendar:
    return WorkCalendar(_dates(holidays), _dates(makeup))
