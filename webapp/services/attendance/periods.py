"""The month or quarter an attendance page or sheet shows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from ..errors import ValidationFailed
from ..timeutil import local_today, month_days, parse_month, parse_quarter, quarter_of, tz


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
