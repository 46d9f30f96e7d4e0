"""What a user sees: closed months read from their stored snapshot (MonthResult), the others
computed live, ranked and redacted; quarters and a helper's year."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

from sqlalchemy import ColumnElement, Select, any_, literal, select

from ...extensions import db
from ...models import MonthClosure, MonthResult, User
from ...models.types import IdArray
from .. import access, permissions, redact
from ..assessment import after_month
from ..calendar import parse_quarter, quarter_months, tz
from ..errors import ValidationFailed
from .closing import is_closed
from .month import HelperMonth, HelperPeriod, Period, _Context, period, pts
from .rules import ScoringRules, rating
from .scoring import combine_months, compute_month, one_unit, rank_months, tune_month_queries, year_score
from .spot_checks import spot_check_items

RESOLVE_MAX = 5000  # a township's helpers, a village's: looked up once (see _resolved)


def _resolved(allowed: Select, live: ColumnElement[bool]) -> tuple[Select, Select, list[int] | None]:
    """The scope (the helper ids allowed) and its live part (allowed where `live`: units whose month
    is not closed), and the live ids when looked up.

    On PostgreSQL, the ids are looked up once, in one statement, when they are few (a township, a
    village), and passed to each of the page's statements as one array (`id = ANY(…)`, which the
    planner estimates well) instead of deriving the scope again in each (at province size the
    planner scanned the whole user table for it every time). A larger scope stays as it is."""
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(allowed.add_columns(live).limit(RESOLVE_MAX + 1)).all()
        if len(rows) <= RESOLVE_MAX:
            tune_month_queries(probe=True)
            ids = [i for i, _ in rows]
            live_ids = [i for i, is_live in rows if is_live is True]  # NULL (not known to be live) as WHERE reads it
            return _ids(ids), _ids(live_ids), live_ids
    return allowed, allowed.where(live), None


def _ids(ids: list[int]) -> Select:
    return select(User.id).where(User.id == any_(literal(ids, IdArray())))


def _closed_units(key: str) -> Select:
    return select(MonthClosure.unit_id).where(MonthClosure.month == key, MonthClosure.closed.is_(True))


def month_results(rules: ScoringRules, user: User, month: str, village_id: int | None = None,
                  now: datetime | None = None, spot_checks: bool = True) -> list[HelperMonth]:
    """The month of every helper the user may see, ranked: closed months from their snapshot."""
    p = period(month, now, rules.diary_deadline_day)
    if village_id is not None:
        access.village(user, village_id)
    allowed = access.helper_ids(user, p.start, p.end, village_id)
    scope, live_scope, live_ids = _resolved(allowed, User.unit_id.not_in(_closed_units(p.key)))
    snap = db.session.execute(
        select(MonthResult)
        .join(MonthClosure, MonthClosure.id == MonthResult.closure_id)
        .join(User, User.id == MonthResult.helper_id)
        .where(MonthClosure.month == p.key, MonthClosure.closed.is_(True), MonthClosure.unit_id == User.unit_id,
               MonthResult.helper_id.in_(scope))
    ).scalars().all()
    ctx = _Context(p, rules)
    results = [HelperMonth.from_snapshot(r, p.key, ctx) for r in snap]
    results += compute_month(rules, p.key, live_scope, now, wide=permissions.administers_unit(user) and village_id is None
                             and one_unit(), ids=live_ids)
    if spot_checks and results:
        items = spot_check_items(p.key, scope)
        for r in results:
            r.spot_check = items.get(r.helper_id)
        after_month(results, p, scope, rules)
    return rank_months(redact.month_results(user, results, p.start, p.end, scope))


def helper_month(rules: ScoringRules, user: User, helper: User, month: str,
                 now: datetime | None = None) -> HelperMonth | None:
    """One helper's month (the helper must be in the user's scope: see access.assessed_helper)."""
    p = period(month, now, rules.diary_deadline_day)
    access.assessed_helper(user, helper.id, p.start, p.end)
    return redact.month_results(user, [_helper_month(rules, helper, p, now)], p.start, p.end)[0]


def _helper_month(rules: ScoringRules, helper: User, p: Period, now: datetime | None) -> HelperMonth | None:
    scope = select(User.id).where(User.id == helper.id)
    snap = db.session.scalar(
        select(MonthResult).join(MonthClosure, MonthClosure.id == MonthResult.closure_id)
        .where(MonthClosure.month == p.key, MonthClosure.closed.is_(True), MonthClosure.unit_id == helper.unit_id,
               MonthResult.helper_id == helper.id)
    )
    if snap is not None:
        result = HelperMonth.from_snapshot(snap, p.key, _Context(p, rules))
    elif is_closed(helper.unit_id, p.key):
        return None  # closed without this helper in the snapshot
    else:
        found = compute_month(rules, p.key, scope, now)
        result = found[0] if found else None
    if result is not None:
        result.spot_check = spot_check_items(p.key, scope).get(helper.id)
        after_month([result], p, scope, rules)
    return result


def _months_started(months: Iterable[tuple[int, int]], now: datetime) -> list[str]:
    today = now.astimezone(tz()).date()
    return [f"{y:04d}-{m:02d}" for y, m in months if date(y, m, 1) <= today]


def quarter_results(rules: ScoringRules, user: User, quarter: str, village_id: int | None = None,
                    now: datetime | None = None) -> tuple[list[str], list[HelperPeriod]]:
    """Quarter = mean of its months (months with households; months not started yet are left out)."""
    try:
        year, q = parse_quarter(quarter)
    except ValueError as err:
        raise ValidationFailed(str(err), field="quarter") from None
    now = now or datetime.now(timezone.utc)
    keys = _months_started(quarter_months(year, q), now)
    per_month = {k: month_results(rules, user, k, village_id, now) for k in keys}
    return [f"{year:04d}-{m:02d}" for _, m in quarter_months(year, q)], combine_months(rules, per_month)


@dataclass
class HelperYear:
    year: int
    quarters: list[tuple[str, dict[str, float | None], float | None, str | None]]  # key, months, score, rating
    score: float | None
    rating: str | None
    weights: list[float]


def helper_year(rules: ScoringRules, user: User, helper: User, year: int, now: datetime | None = None) -> HelperYear:
    """One helper's quarters (mean of months) and year (weighted quarters)."""
    now = now or datetime.now(timezone.utc)
    access.assessed_helper(user, helper.id, date(year, 1, 1), date(year, 12, 31))
    quarters = []
    scores: dict[int, float | None] = {}
    vetoed = False
    for q in (1, 2, 3, 4):
        months: dict[str, float | None] = {}
        q_veto = False
        for key in _months_started(quarter_months(year, q), now):
            r = _helper_month(rules, helper, period(key, now, rules.diary_deadline_day), now)
            months[key] = r.score if r else None
            q_veto = q_veto or bool(r and r.veto)
        vals = [s for s in months.values() if s is not None]
        score = pts(sum(vals) / len(vals)) if vals else None
        scores[q] = score
        vetoed = vetoed or q_veto
        quarters.append((f"{year}-Q{q}", months, score, rating(rules, score, q_veto) if score is not None else None))
    ys = year_score(rules, scores)
    year_rating = rating(rules, ys, vetoed) if ys is not None else None
    return HelperYear(year, quarters, ys, year_rating, list(rules.helper_quarter_weights))
