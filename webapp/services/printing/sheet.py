"""A village team's monthly attendance sheet (考勤表), as HTML (templates/pdf/attendance.html) and
PDF bytes. Day counting is services/attendance.py's (the same numbers as the attendance pages)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ...models import Unit, User, Village
from .. import attendance
from ..attendance.days import DayStatus
from ..calendar import month_label, month_period, now_utc, parse_month, tz
from .documents import WEEKDAYS, Document, render_html
from .render import AppURLFetcher, render_pdf

DAY_MARKS = {DayStatus.IN: "√", DayStatus.LEAVE: "假", DayStatus.HALF: "半", DayStatus.ABSENT: "×", DayStatus.OFF: "－"}


@dataclass
class SheetRow:
    summary: Any  # attendance.MemberSummary
    cells: list[str]

    @property
    def person(self) -> User:
        return self.summary.user


@dataclass
class Sheet:
    village: Village
    unit: Unit
    month: str
    month_label: str
    printed_at: str
    days: list[date]
    off: list[bool]  # not a working day (weekend, holiday)
    weekday_labels: list[str]
    rows: list[SheetRow]
    working_days: int
    present_per_day: list[int]

    def total(self, name: str) -> str:
        return _num(sum(getattr(r.summary, name) for r in self.rows))


def _num(x: float) -> str:
    return f"{x:g}"


def attendance_data(rules: attendance.AttendanceRules, village: Village, month: str) -> Sheet:
    year, mon = parse_month(month)
    period = month_period(year, mon)
    team = attendance.team_summary(rules, village, period)
    days = period.dates()
    cal = attendance.WorkCalendar.of(rules)
    off = [not cal.is_working(d) for d in days]
    rows = [SheetRow(m, [DAY_MARKS.get(day.status, "") for day in m.days]) for m in team.members]
    per_day = [sum(1 for r in rows if r.summary.days[i].inside) for i in range(len(days))]
    printed = now_utc().astimezone(tz())
    return Sheet(village=village, unit=village.unit, month=month, month_label=month_label(month),
                 printed_at=f"{printed:%Y-%m-%d %H:%M}", days=days, off=off,
                 weekday_labels=[WEEKDAYS[d.weekday()] for d in days], rows=rows,
                 working_days=sum(1 for o in off if not o), present_per_day=per_day)


def attendance_document(rules: attendance.AttendanceRules, village: Village, month: str) -> Document:
    s = attendance_data(rules, village, month)
    html = render_html("pdf/attendance.html", sheet=s)
    return Document(
        html=html,
        title=f"{village.name} {s.month_label}",
        filename=f"考勤表-{village.name}-{month}.pdf",
        ascii_filename=f"attendance-{village.id}-{month}.pdf",
    )


def attendance_pdf(rules: attendance.AttendanceRules, village: Village,
                   month: str) -> tuple[Document, bytes]:
    doc = attendance_document(rules, village, month)
    return doc, render_pdf(doc.html, AppURLFetcher())


