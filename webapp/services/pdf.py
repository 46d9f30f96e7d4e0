"""The printed documents: a helper's monthly diary (帮扶日志) and a village team's attendance
sheet (考勤表), from the records to PDF bytes.

    diary_pdf(helper, "2026-03")        → bytes   (A4 portrait, templates/pdf/diary.html)
    attendance_pdf(rules, village, "2026-03")  → bytes   (A4 landscape, templates/pdf/attendance.html)

Callers check access first (services/access: diary_helper, attendance_village).
Each document is built in two steps so batch jobs can move the second one to worker processes:
`diary_document()` queries and renders the HTML (needs the app), `pdf_render.render_pdf()` lays it
out with WeasyPrint behind the restrictive URL fetcher (needs neither).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import database
from ..extensions import db
from ..models import Household, MonthClosure, MonthResult, Pairing, Photo, SubsidyAnswer, Unit, User, Village, Visit
from . import access, attendance, pdf_pool, pdf_render, redact, storage
from .attendance.days import DayStatus
from .calendar import month_days, month_label, month_period, month_utc_range, now_utc, parse_month, tz
from .pdf_render import STATIC_PREFIX, THUMB_PREFIX, AppURLFetcher, FetchRefused, render_pdf  # noqa: F401

WEEKDAYS = "一二三四五六日"
# the 两不愁三保障 items and drinking water; services/visits.CHECKLIST is preferred when present
CHECKLIST_LABELS = {"food": "不愁吃", "clothing": "不愁穿", "education": "义务教育有保障", "medical": "基本医疗有保障",
                    "housing": "住房安全有保障", "water": "饮水安全有保障"}


# --- thumbnails -----------------------------------------------------------------------------

def read_thumb(key: str) -> bytes | None:
    """A photo thumbnail's bytes from photo storage (services/storage.py), None if missing."""
    try:
        with storage.get().open(key) as f:
            return f.read()
    except (OSError, ValueError):
        return None


def pdf_thumb(key: str) -> str:
    return THUMB_PREFIX + quote(key)


def pdf_static(path: str) -> str:
    return STATIC_PREFIX + quote(path)


# --- the diary ------------------------------------------------------------------------------

@dataclass
class VisitEntry:
    visit: Visit
    when: str
    distance: str | None
    checklist: list[tuple[str, str]]
    thumbs: list[str]
    more_photos: int


@dataclass
class HouseholdRow:
    household: Household
    dates: list[date] = field(default_factory=list)


@dataclass
class Diary:
    helper: User
    unit: Unit
    month: str
    month_label: str
    printed_at: str
    households: list[HouseholdRow]
    visits: list[VisitEntry]
    score: ScoreSummary | None

    @property
    def thumb_keys(self) -> list[str]:
        return [k for e in self.visits for k in e.thumbs] + [  # and the households' signatures
            e.visit.signature.thumb_key for e in self.visits if e.visit.signature and e.visit.signature.thumb_key]


@dataclass
class Document:
    """Rendered HTML plus what the fetcher will be asked for."""

    html: str
    title: str
    filename: str  # readable (Chinese) download name
    ascii_filename: str
    thumb_keys: list[str] = field(default_factory=list)


def _when(value: datetime) -> str:
    local = value.astimezone(tz())
    return f"{local.month}月{local.day}日 星期{WEEKDAYS[local.weekday()]} {local:%H:%M}"


def _distance(metres: float | None) -> str | None:
    if metres is None:
        return None
    if metres < 1000:
        return f"{metres:.0f} 米"
    return f"{metres / 1000:.1f} 公里"


def _answer(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None or value == "":
        return "未填"
    if isinstance(value, dict):
        ok = value.get("ok", value.get("value", value.get("answer")))
        note = value.get("note") or value.get("comment") or ""
        return _answer(ok) + (f"（{note}）" if note else "")
    if isinstance(value, (list, tuple)):
        return "、".join(_answer(v) for v in value)
    return str(value)


def _checklist_labels() -> dict[str, str]:
    try:
        from .visits import CHECKLIST
    except ImportError:  # pragma: no cover — visits service absent
        return CHECKLIST_LABELS
    return dict(CHECKLIST)


def checklist_rows(checklist: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, answer) in the checklist's own order of items, known items first."""
    labels = _checklist_labels()
    items = dict(checklist or {})
    ordered = [k for k in labels if k in items] + [k for k in items if k not in labels]
    return [(labels.get(k, str(k)), _answer(items[k])) for k in ordered]


@dataclass
class ScoreSummary:
    """A closed month's result (services/performance snapshot in MonthResult.data)."""

    score: float
    rating: str
    rules: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    veto: str | None


def _score(result: MonthResult | None) -> ScoreSummary | None:
    if result is None:
        return None
    data = result.data or {}
    rules = [r for r in data.get("rules") or [] if isinstance(r, dict) and r.get("label")]
    flags = [f for f in data.get("flags") or [] if isinstance(f, dict)]
    return ScoreSummary(result.score, result.rating, rules, flags, data.get("veto"))


def diary_data(helper: User, month: str, viewer: User | None = None) -> Diary:
    """Everything the diary prints, in a fixed number of queries.

    viewer: who prints it. Anyone but the helper sees only the visits and households they may see
    anyway (services/access.helper_visits), photo thumbnails only where the photo routes would let
    them open the photo, and the score's explanations without other villages' household names.
    """
    year, mon = parse_month(month)
    start, end = month_utc_range(year, mon)
    first, last = month_days(year, mon)
    base = select(Visit).where(Visit.helper_id == helper.id) if viewer is None else access.helper_visits(viewer, helper)
    seen = None if viewer is None else access.helper_households(viewer, helper)
    visits = db.session.scalars(
        base
        .where(Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .order_by(Visit.checked_in_at, Visit.id)
        .options(joinedload(Visit.household).joinedload(Household.village), joinedload(Visit.reviewed_by),
                 selectinload(Visit.photos), selectinload(Visit.measures_done), selectinload(Visit.signature),
                 selectinload(Visit.subsidy_answers).joinedload(SubsidyAnswer.member))
    ).unique().all()
    paired = db.session.scalars(
        select(Household)
        .join(Pairing, Pairing.household_id == Household.id)
        .where(Pairing.helper_id == helper.id, Pairing.start_date <= last,
               or_(Pairing.end_date.is_(None), Pairing.end_date >= first))
        .where(*([] if seen is None else [Household.id.in_(seen)]))
        .options(joinedload(Household.village))
    ).unique().all()
    rows: dict[int, HouseholdRow] = {hh.id: HouseholdRow(hh) for hh in paired}
    # thumbnails pass the photo routes' own check (access.photos), not only the visit's
    openable = None if viewer is None else set(db.session.scalars(
        access.photos(viewer).where(Photo.visit_id.in_([v.id for v in visits])).with_only_columns(Photo.id)))
    entries = []
    for v in visits:
        rows.setdefault(v.household_id, HouseholdRow(v.household)).dates.append(v.checked_in_at.astimezone(tz()).date())
        thumbs = [p.thumb_key for p in v.photos
                  if p.thumb_key and (openable is None or p.id in openable)][:pdf_render.PHOTOS_PRINTED_PER_VISIT]
        entries.append(VisitEntry(v, _when(v.checked_in_at), _distance(v.distance_m), checklist_rows(v.checklist),
                                  thumbs, max(0, len(v.photos) - len(thumbs))))
    for row in rows.values():
        row.dates = sorted(set(row.dates))
    households = sorted(rows.values(), key=lambda r: (r.household.village_id, r.household.head_name, r.household.id))
    score = db.session.scalar(
        select(MonthResult)
        .join(MonthClosure, MonthClosure.id == MonthResult.closure_id)
        .where(MonthClosure.unit_id == helper.unit_id, MonthClosure.month == month, MonthClosure.closed.is_(True),
               MonthResult.helper_id == helper.id)
    )
    summary = _score(score)
    if summary is not None and viewer is not None:
        hidden = redact.hidden_names(viewer, [helper.id], first, last).get(helper.id)
        if hidden:
            summary.rules = [redact.rule_dict(r, hidden) for r in summary.rules]
            summary.flags = [redact.flag_dict(f, hidden) for f in summary.flags]
    printed = now_utc().astimezone(tz())
    return Diary(helper=helper, unit=helper.unit, month=month, month_label=month_label(month),
                 printed_at=f"{printed:%Y-%m-%d %H:%M}", households=households, visits=entries,
                 score=summary)


def diary_document(helper: User, month: str, viewer: User | None = None) -> Document:
    d = diary_data(helper, month, viewer)
    html = render_template("pdf/diary.html", diary=d, pdf_thumb=pdf_thumb, pdf_static=pdf_static)
    return Document(
        html=html,
        title=f"{helper.display_name} {d.month_label}",
        filename=f"帮扶日志-{helper.display_name}-{month}.pdf",
        ascii_filename=f"diary-{helper.id}-{month}.pdf",
        thumb_keys=d.thumb_keys,
    )


def diary_pdf(helper: User, month: str, viewer: User | None = None) -> tuple[Document, bytes]:
    doc = diary_document(helper, month, viewer)
    return doc, render_pdf(doc.html, AppURLFetcher(allowed_thumbs(doc)))


def allowed_thumbs(doc: Document):
    """A thumbnail reader for the fetcher that serves only the document's own (checked) thumbnails."""
    allowed = set(doc.thumb_keys)
    return lambda key: read_thumb(key) if key in allowed else None


# --- the attendance sheet -------------------------------------------------------------------
# Day counting is services/attendance's (the same numbers as the attendance pages).

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
    html = render_template("pdf/attendance.html", sheet=s, pdf_static=pdf_static)
    return Document(
        html=html,
        title=f"{village.name} {s.month_label}",
        filename=f"考勤表-{village.name}-{month}.pdf",
        ascii_filename=f"attendance-{village.id}-{month}.pdf",
    )


def attendance_pdf(rules: attendance.AttendanceRules, village: Village, month: str) -> tuple[Document, bytes]:
    doc = attendance_document(rules, village, month)
    return doc, render_pdf(doc.html, AppURLFetcher())


# --- one document for a web request (issue 11) --------------------------------------------------

def bounded(requester_id: int, limits: pdf_pool.Limits, make: Callable[[], Document]) -> tuple[Document, bytes]:
    """Make a document for a request without occupying the request worker: under the requester's
    lock and a server-wide slot (pdf_pool.reserved: 429 / 503 when taken), `make()` builds the
    HTML here, the read transaction ends, and a separate process lays it out within the time and
    page limits."""
    with pdf_pool.reserved(limits, requester_id):
        doc = make()
        thumbs = {k: b for k in doc.thumb_keys if (b := read_thumb(k)) is not None}
        database.end_read_transaction()
        return doc, pdf_pool.render(limits, doc.html, thumbs)

