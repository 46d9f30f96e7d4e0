"""Local calendar (Asia/Shanghai by default) and month/quarter arithmetic."""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

# ASCII digits only: `\d` would also match full-width "２０２６" and other scripts' digits
MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
QUARTER_RE = re.compile(r"([0-9]{4})-Q([1-4])")
# months and quarters people may ask for: beyond these, date arithmetic (next month, UTC ranges)
# overflows Python's date, and no record of the programme can be there anyway
MIN_YEAR, MAX_YEAR = 2000, 2099
YEAR_RANGE_MSG = f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间。"


def tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def local_today() -> date:
    return datetime.now(tz()).date()


def local_date(value: datetime) -> date:
    return value.astimezone(tz()).date()


def parse_month(text: str) -> tuple[int, int]:
    m = MONTH_RE.fullmatch(text or "")
    if not m:
        raise ValueError("月份格式应为 YYYY-MM")
    if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise ValueError(YEAR_RANGE_MSG)
    return int(m.group(1)), int(m.group(2))


def month_days(year: int, month: int) -> tuple[date, date]:
    """First and last day of the month."""
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def month_utc_range(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of the local month as UTC instants."""
    first, last = month_days(year, month)
    start = datetime.combine(first, datetime.min.time(), tz())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz())
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def parse_quarter(text: str) -> tuple[int, int]:
    m = QUARTER_RE.fullmatch(text or "")
    if not m:
        raise ValueError("季度格式应为 YYYY-Qn")
    if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise ValueError(YEAR_RANGE_MSG)
    return int(m.group(1)), int(m.group(2))


def quarter_months(year: int, q: int) -> list[tuple[int, int]]:
    return [(year, 3 * (q - 1) + i) for i in (1, 2, 3)]


def quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1
