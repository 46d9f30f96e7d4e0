"""The local calendar (Asia/Shanghai by default): today, months and quarters, and the one Period.

Months are "YYYY-MM" and quarters "YYYY-Qn" (ASCII digits only, years MIN_YEAR–MAX_YEAR). A Period
is a month or a quarter: its local days `start`–`end` (inclusive) and, for queries over UTC
timestamps, `utc_start`–`utc_end` (half-open). A period can carry a deadline `grace_days` after
its end (the diary deadline of a scored month) and the instant `now` it is looked at from.

The zone is the configured TIMEZONE, set once at start-up (`set_zone`, from webapp/web/rules.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .errors import ValidationFailed

# ASCII digits only: `\d` would also match full-width "２０２６" and other scripts' digits
MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
QUARTER_RE = re.compile(r"([0-9]{4})-Q([1-4])")
# months and quarters people may ask for: beyond these, date arithmetic (next month, UTC ranges)
# overflows Python's date, and no record of the programme can be there anyway
MIN_YEAR, MAX_YEAR = 2000, 2099
YEAR_RANGE_MSG = f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间。"


# --------------------------------------------------------------------------- the zone and today

_zone = ZoneInfo("Asia/Shanghai")


def set_zone(name: str) -> None:
    """The local zone of every date in the app (config TIMEZONE)."""
    global _zone
    _zone = ZoneInfo(name)


def tz() -> ZoneInfo:
    return _zone


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def local_today() -> date:
    return datetime.now(tz()).date()


def local_date(value: datetime) -> date:
    return value.astimezone(tz()).date()


def local_midnight(d: date) -> datetime:
    """The UTC instant the local day d begins."""
    return datetime.combine(d, time.min, tz()).astimezone(timezone.utc)


# --------------------------------------------------------------------------- months and quarters

def parse_month(text: str) -> tuple[int, int]:
    m = MONTH_RE.fullmatch(text or "")
    if not m:
        raise ValueError("月份格式应为 YYYY-MM")
    if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise ValueError(YEAR_RANGE_MSG)
    return int(m.group(1)), int(m.group(2))


def parse_quarter(text: str) -> tuple[int, int]:
    m = QUARTER_RE.fullmatch(text or "")
    if not m:
        raise ValueError("季度格式应为 YYYY-Qn")
    if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise ValueError(YEAR_RANGE_MSG)
    return int(m.group(1)), int(m.group(2))


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_label(month: str) -> str:
    """"2026-03" → "2026年3月"."""
    year, mon = parse_month(month)
    return f"{year}年{mon}月"


def month_days(year: int, month: int) -> tuple[date, date]:
    """First and last day of the month."""
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def month_utc_range(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of the local month as UTC instants."""
    return month_period(year, month).utc_range()


def quarter_months(year: int, q: int) -> list[tuple[int, int]]:
    return [(year, 3 * (q - 1) + i) for i in (1, 2, 3)]


def quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


# --------------------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    key: str  # "2026-05" | "2026-Q2"
    start: date
    end: date  # inclusive
    grace_days: int = 0  # the deadline is the end of the day this many days after `end`
    now: datetime = field(default_factory=now_utc, compare=False)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.end + timedelta(days=1))

    def quarter(self) -> Period:
        return period_containing("quarter", self.start)

    @property
    def utc_start(self) -> datetime:
        """The UTC instant of the period's first local midnight."""
        return local_midnight(self.start)

    @property
    def utc_end(self) -> datetime:
        """The UTC instant after the period's last local day."""
        return local_midnight(self.end + timedelta(days=1))

    def utc_range(self) -> tuple[datetime, datetime]:
        """[start, end) of the period as UTC instants."""
        return self.utc_start, self.utc_end

    @property
    def deadline(self) -> datetime:
        """The UTC instant after the last day of grace (entries received before it count)."""
        return local_midnight(self.end + timedelta(days=self.grace_days + 1))

    @property
    def deadline_label(self) -> str:
        last = self.end + timedelta(days=self.grace_days)
        return f"{last.month}月{last.day}日"

    @property
    def ended(self) -> bool:
        return self.now >= self.utc_end

    @property
    def deadline_passed(self) -> bool:
        return self.now >= self.deadline


def month_period(year: int, month: int, now: datetime | None = None, grace_days: int = 0) -> Period:
    first, last = month_days(year, month)
    return Period("month", f"{year:04d}-{month:02d}", first, last, grace_days, now or now_utc())


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
