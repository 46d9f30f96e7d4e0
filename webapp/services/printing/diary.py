"""A helper's monthly diary (帮扶日志): the month's households and visits, with photos, checklist,
flags and the closed month's score, as HTML (templates/pdf/diary.html) and PDF bytes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Household, MonthClosure, MonthResult, Pairing, Photo, SubsidyAnswer, Unit, User, Visit
from ...models.vocab import CHECKLIST
from .. import access, redact, subsidies, visit_flags
from ..calendar import month_days, month_label, month_utc_range, now_utc, parse_month, tz
from . import render
from .documents import WEEKDAYS, Document, allowed_thumbs, pdf_thumb, render_html
from .render import AppURLFetcher, render_pdf


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


def checklist_rows(checklist: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, answer) in the checklist's own order of items, known items first."""
    labels = dict(CHECKLIST)
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
                  if p.thumb_key and (openable is None or p.id in openable)][:render.PHOTOS_PRINTED_PER_VISIT]
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
    html = render_html("pdf/diary.html", diary=d, pdf_thumb=pdf_thumb, visit_flag_texts=visit_flags.details,
                       subsidy_label=subsidies.label)  # the same words as the visit page
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
