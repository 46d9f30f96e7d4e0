"""Monthly helper performance: scores, ratings, accountability flags, closed months, spot checks.

All helpers' month is computed with a handful of set-based aggregates (pairings, visits and
measures grouped by helper and household, then by helper): there is no query per helper.
Every number used for a score comes from config (SCORE_WEIGHTS, SCORE_FLAG_DEDUCTION(_MAX),
DIARY_DEADLINE_DAY, LATE_ENTRY_HOURS, HELPER_QUARTER_WEIGHTS, RATING_EXCELLENT/PASS, SPOT_CHECK_RATIO),
and every rule carries its points and the facts behind them in Chinese.

The rules, for one helper and one month (days are local calendar days, Asia/Shanghai):
- households: each pairing counts for the days of the month it covers (days / days in month);
- coverage (走访): share of those household-days whose household the helper visited in the month;
- diary (帮扶日志): share of household-days with a visit that has notes, was received by the
  DIARY_DEADLINE_DAY of the next month, and was not sent back by the first secretary unfixed;
- measures (帮扶措施): measures of the paired households due by the month's end (due in the month,
  or overdue and still open when it began) that were done by the month's end; none due = full;
- timeliness (按时录入): visits received within LATE_ENTRY_HOURS of check-in; no visit = 0;
- a deduction per flagged visit (any plausibility flag), capped.
Score = the sum, clamped to 0–100. Rating: ≥ RATING_EXCELLENT 优秀, ≥ RATING_PASS 合格, else 不合格;
优秀 is vetoed when a help task is unfinished (a household unvisited or without diary, a due
measure open, a household without any measure). Accountability flags (004 第九条) name the rule,
the candidate step (通报批评 / 书面检查 / 诫勉谈话) and the evidence; the ones about the whole month
(unvisited households, missing diaries) appear once the month / the diary deadline is over.
Quarter = mean of its months; year = quarters weighted by HELPER_QUARTER_WEIGHTS (local choice).
A closed month (MonthClosure) is read from its MonthResult snapshot; reopening and recomputing are
explicit and written to the audit log.
"""
from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import Integer, Select, and_, case, cast, delete, func, insert, literal, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Boolean, String

from ..extensions import db
from ..models import (
    SPOT_RESULTS,
    AuditLog,
    Household,
    Measure,
    MonthClosure,
    MonthResult,
    Pairing,
    SpotCheckDraw,
    SpotCheckItem,
    Unit,
    User,
    Village,
    Visit,
)
from . import access, audit, pending, redact, sanctions
from .assessment import after_month
from .errors import Conflict, NotFound, ValidationFailed
from .timeutil import month_days, month_key, parse_month, parse_quarter, quarter_months, tz

RATINGS = ("优秀", "合格", "不合格")
SEP = "\x1f"  # joins names inside one aggregate; split again in Python
SEP2 = "\x1e"
SEP3 = "\x1d"


# ---------------------------------------------------------------- portable SQL pieces

class days_between(FunctionElement):
    """a - b in whole days for two DATE values."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"CAST(julianday({compiler.process(a, **kw)}) - julianday({compiler.process(b, **kw)}) AS INTEGER)"


@compiles(days_between)
def _days_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(a, **kw)} - {compiler.process(b, **kw)})"


class later_than_hours(FunctionElement):
    """True when timestamp a is more than n hours after timestamp b."""

    type = Boolean()
    inherit_cache = True
    name = "later_than_hours"


@compiles(later_than_hours, "sqlite")
def _late_sqlite(element, compiler, **kw):
    a, b, n = list(element.clauses)
    return (f"((julianday({compiler.process(a, **kw)}) - julianday({compiler.process(b, **kw)})) * 24.0 "
            f"> {compiler.process(n, **kw)})")


@compiles(later_than_hours)
def _late_default(element, compiler, **kw):
    a, b, n = list(element.clauses)
    return f"({compiler.process(a, **kw)} > {compiler.process(b, **kw)} + {compiler.process(n, **kw)} * INTERVAL '1 hour')"


class json_nonempty(FunctionElement):
    """True when a JSON column holds a non-empty array."""

    type = Boolean()
    inherit_cache = True
    name = "json_nonempty"


@compiles(json_nonempty, "sqlite")
def _json_sqlite(element, compiler, **kw):
    (col,) = list(element.clauses)
    return f"(coalesce(json_array_length({compiler.process(col, **kw)}), 0) > 0)"


@compiles(json_nonempty)
def _json_default(element, compiler, **kw):
    (col,) = list(element.clauses)
    c = compiler.process(col, **kw)
    return f"(coalesce(json_array_length(CASE WHEN json_typeof({c}) = 'array' THEN {c} END), 0) > 0)"


class str_agg(FunctionElement):
    """String aggregate with a separator: group_concat on SQLite, string_agg elsewhere."""

    type = String()
    inherit_cache = True
    name = "str_agg"


@compiles(str_agg, "sqlite")
def _agg_sqlite(element, compiler, **kw):
    a, sep = list(element.clauses)
    return f"group_concat({compiler.process(a, **kw)}, {compiler.process(sep, **kw)})"


@compiles(str_agg)
def _agg_default(element, compiler, **kw):
    a, sep = list(element.clauses)
    return f"string_agg({compiler.process(a, **kw)}, {compiler.process(sep, **kw)})"


def isum(expr):
    """sum() as an integer on every backend (PostgreSQL sums bigints to numeric)."""
    return cast(func.sum(expr), Integer)


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    parts = value.split(SEP)
    parts.sort()
    return parts


# ---------------------------------------------------------------- results

@dataclass
class Rule:
    code: str
    label: str
    points: float
    max_points: float
    facts: str
    missing: str | None = None  # what is missing, with the points it costs: "本月还有 2 户未走访 (−20)"
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "points": self.points, "max_points": self.max_points,
                "facts": self.facts, "missing": self.missing, "evidence": self.evidence}


@dataclass
class Flag:
    code: str
    rule: str  # the text of the 004 第九条 item broken, word for word (services.sanctions)
    action: str  # 通报批评 / 书面检查 / 诫勉谈话 / 党政纪处分 (candidate)
    evidence: str
    item: str = ""  # "第九条(一)2"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "action": self.action, "evidence": self.evidence, "item": self.item}

NUMBERS = ("households", "households_count", "households_visited", "visits", "visits_in_geofence", "flagged_visits",
           "late_visits", "returned_visits", "diary_households", "measures_due", "measures_done", "measures_overdue",
           "pending_visits", "households_visited_pending")


@dataclass
class _Context:
    """What the explanations of one month need besides a helper's numbers."""

    period: "Period"
    weights: dict[str, float]
    per_flag: float
    flag_cap: float
    late_hours: int


@dataclass(slots=True, eq=False)
class HelperMonth:
    """One helper's month. Numbers, points, score and rating are computed at once; the Chinese
    explanations (rules, flags, veto) are built from them on first use, or read from a snapshot."""

    helper_id: int
    username: str
    display_name: str
    unit_id: int
    village_id: int | None
    month: str
    households: float = 0.0  # pro-rated by the days each pairing covers
    households_count: int = 0  # households paired on at least one day of the month
    households_visited: int = 0
    visits: int = 0
    visits_in_geofence: int = 0
    flagged_visits: int = 0
    late_visits: int = 0
    returned_visits: int = 0
    diary_households: int = 0
    measures_due: int = 0
    measures_done: int = 0
    measures_overdue: int = 0
    points: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)  # coverage, diary, measures, timeliness, −flags
    score: float = 0.0
    rating: str = "不合格"
    vetoed: bool = False
    provisional: bool = False  # the month (or its diary deadline) has not ended yet
    closed: bool = False  # read from a closed month's snapshot
    rank: int | None = None
    spot_check: SpotCheckItem | None = None
    # raw evidence from SQL (names joined with SEP) and the context, for the explanations
    _raw: tuple | None = None
    _ctx: _Context | None = None
    _rules: list[Rule] | None = None
    _flags: list[Flag] | None = None
    _veto: str | None = None
    pending_visits: int = 0  # flagged, not yet accepted (待核实): not counted
    households_visited_pending: int = 0  # households whose only visits this month are 待核实

    @property
    def rules(self) -> list[Rule]:
        if self._rules is None:
            self._explain()
        return self._rules

    @property
    def flags(self) -> list[Flag]:
        if self._flags is None:
            self._explain()
        return self._flags

    @property
    def veto(self) -> str | None:
        """Why 优秀 is vetoed (帮扶任务未完成), or None."""
        if self._rules is None:
            self._explain()
        return self._veto

    def _explain(self) -> None:
        self._rules, self._flags, self._veto = _explain(self, self._ctx, *self._raw)

    def to_data(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in NUMBERS}
        data.update(username=self.username, display_name=self.display_name, unit_id=self.unit_id,
                    village_id=self.village_id, veto=self.veto, provisional=self.provisional,
                    rules=[r.to_dict() for r in self.rules], flags=[f.to_dict() for f in self.flags])
        return data

    @classmethod
    def from_snapshot(cls, result: MonthResult, month: str) -> "HelperMonth":
        d = result.data or {}
        hm = cls(helper_id=result.helper_id, username=d.get("username", ""), display_name=d.get("display_name", ""),
                 unit_id=d.get("unit_id"), village_id=d.get("village_id"), month=month,
                 score=result.score, rating=result.rating, vetoed=bool(d.get("veto")), provisional=False, closed=True)
        hm._rules = [Rule(**r) for r in d.get("rules", [])]
        hm._flags = [Flag(**f) for f in d.get("flags", [])]
        hm._veto = d.get("veto")
        for k in NUMBERS:
            setattr(hm, k, d.get(k, 0))
        return hm



def _cfg(name: str):
    return current_app.config[name]


def _pts(x: float) -> float:
    return round(x + 1e-9, 1)


def _minus(x: float) -> str:
    x = _pts(x)
    return f"−{int(x)}" if x == int(x) else f"−{x}"


def rating_for(score: float, vetoed: bool, excellent: float | None = None, passing: float | None = None) -> str:
    if score >= (_cfg("RATING_EXCELLENT") if excellent is None else excellent) and not vetoed:
        return "优秀"
    if score >= (_cfg("RATING_PASS") if passing is None else passing):
        return "合格"
    return "不合格"


# ---------------------------------------------------------------- the month, set-based

@dataclass
class Period:
    key: str
    first: date
    last: date
    days: int
    start: datetime  # UTC instant of the month's first local midnight
    end: datetime  # UTC instant after the month's last local day
    diary_deadline: datetime  # entries received before this count for the diary
    now: datetime
    deadline_label: str

    @property
    def ended(self) -> bool:
        return self.now >= self.end

    @property
    def diary_closed(self) -> bool:
        return self.now >= self.diary_deadline


def period(month: str, now: datetime | None = None) -> Period:
    try:
        year, mon = parse_month(month)
    except ValueError as err:
        raise ValidationFailed(str(err), field="month") from None
    first, last = month_days(year, mon)
    zone = tz()
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone).astimezone(timezone.utc)
    deadline_day = last + timedelta(days=int(_cfg("DIARY_DEADLINE_DAY")))
    deadline = datetime.combine(deadline_day + timedelta(days=1), datetime.min.time(), zone).astimezone(timezone.utc)
    return Period(month_key(first), first, last, (last - first).days + 1, start, end, deadline,
                  now or datetime.now(timezone.utc), f"{deadline_day.month}月{deadline_day.day}日")


def _month_query(p: Period, scope: Select, wide: bool) -> Select:
    """One row per helper of the scope with households in the month: every number the rules need.

    wide: the scope is a whole unit, so visits and measures are aggregated for the month without
    probing the scope row by row (the final join keeps the scope); otherwise they are filtered first.
    """
    first, last, D = p.first, p.last, p.days
    one = literal(1)
    # pairings overlapping the month, days covered per (helper, household)
    lo = case((Pairing.start_date > first, Pairing.start_date), else_=literal(first))
    hi = case((Pairing.end_date.is_(None), literal(last)), (Pairing.end_date < last, Pairing.end_date), else_=literal(last))
    span = days_between(hi, lo) + 1
    pm = (
        select(Pairing.helper_id.label("helper_id"), Pairing.household_id.label("household_id"),
               isum(case((span > 0, span), else_=0)).label("days"))
        .where(Pairing.start_date <= last, Pairing.end_date.is_(None) | (Pairing.end_date >= first),
               Pairing.helper_id.in_(scope))
        .group_by(Pairing.helper_id, Pairing.household_id)
        .cte("pm")
    )
    # visits in the month per (helper, household)
    late = later_than_hours(Visit.received_at, Visit.checked_in_at, literal(int(_cfg("LATE_ENTRY_HOURS"))))
    # a flagged visit counts only once accepted (已核实); until then it is 待核实
    flagged = json_nonempty(Visit.flags)
    waiting = and_(flagged, Visit.verified_at.is_(None))
    counted = ~waiting
    diary_ok = and_(func.length(func.trim(Visit.notes)) > 0, Visit.received_at < p.diary_deadline,
                    Visit.review_status != "returned", counted)
    vhh = (
        select(Visit.helper_id.label("helper_id"), Visit.household_id.label("household_id"),
               isum(case((counted, one), else_=0)).label("n"),
               isum(case((and_(Visit.within_geofence.is_(True), counted), one), else_=0)).label("geo"),
               isum(case((flagged, one), else_=0)).label("flagged"),
               isum(case((and_(late, counted), one), else_=0)).label("late"),
               func.max(case((diary_ok, one), else_=0)).label("diary"),
               isum(case((Visit.review_status == "returned", one), else_=0)).label("returned"),
               isum(case((waiting, one), else_=0)).label("waiting"),
               str_agg(case((waiting, cast(Visit.flags, String))), literal(SEP3)).label("waiting_flags"))
        .where(Visit.checked_in_at >= p.start, Visit.checked_in_at < p.end)
        .group_by(Visit.helper_id, Visit.household_id)
    )
    if not wide:
        vhh = vhh.where(Visit.helper_id.in_(scope))
    vhh = vhh.cte("vhh")
    # measures of the paired households
    done_by_end = and_(Measure.status == "done", Measure.done_at.is_(None) | (Measure.done_at < p.end))
    done_before_start = and_(Measure.status == "done", Measure.done_at.is_(None) | (Measure.done_at < p.start))
    due = and_(Measure.due_date.is_not(None), Measure.due_date <= last,
               (Measure.due_date >= first) | ~done_before_start)
    cutoff = min(last + timedelta(days=1), p.now.astimezone(tz()).date())
    overdue = and_(due, ~done_by_end, Measure.due_date < cutoff)
    mh = (
        select(Measure.household_id.label("household_id"), func.count().label("plan"),
               isum(case((due, one), else_=0)).label("due"),
               isum(case((and_(due, done_by_end), one), else_=0)).label("done"),
               isum(case((overdue, one), else_=0)).label("overdue"),
               # policy problems overdue are flagged 第九条(三)1 instead (services.policy_problems)
               str_agg(case((and_(overdue, Measure.source.is_(None)), Measure.title)), literal(SEP2)).label("overdue_titles"))
        .where(Measure.created_at < p.end)
        .group_by(Measure.household_id)
    )
    if not wide:
        mh = mh.where(Measure.household_id.in_(select(pm.c.household_id)))
    mh = mh.cte("mh")
    capped = case((pm.c.days > D, literal(D)), else_=pm.c.days)
    visited = func.coalesce(vhh.c.n, 0) > 0
    only_waiting = and_(~visited, func.coalesce(vhh.c.waiting, 0) > 0)
    has_diary = func.coalesce(vhh.c.diary, 0) == 1
    hagg = (
        select(pm.c.helper_id.label("helper_id"),
               func.count().label("hh_count"),
               isum(capped).label("days"),
               isum(case((visited, capped), else_=0)).label("visited_days"),
               isum(case((visited, one), else_=0)).label("visited"),
               str_agg(case((~visited, Household.head_name)), literal(SEP)).label("unvisited"),
               isum(case((has_diary, capped), else_=0)).label("diary_days"),
               isum(case((has_diary, one), else_=0)).label("diary"),
               str_agg(case((~has_diary, Household.head_name)), literal(SEP)).label("no_diary"),
               isum(func.coalesce(mh.c.due, 0)).label("due"),
               isum(func.coalesce(mh.c.done, 0)).label("done"),
               isum(func.coalesce(mh.c.overdue, 0)).label("overdue"),
               str_agg(case((func.coalesce(mh.c.plan, 0) == 0, Household.head_name)), literal(SEP)).label("no_plan"),
               str_agg(case((mh.c.overdue > 0, Household.head_name + literal(SEP2) + mh.c.overdue_titles)),
                       literal(SEP)).label("overdue_detail"),
               func.min(Household.village_id).label("village_id"),
               isum(case((only_waiting, one), else_=0)).label("visited_pending"),
               str_agg(case((vhh.c.waiting > 0, Household.head_name + literal(SEP2) + vhh.c.waiting_flags)),
                       literal(SEP)).label("waiting_detail"))
        .select_from(pm)
        .join(Household, Household.id == pm.c.household_id)
        .outerjoin(vhh, and_(vhh.c.helper_id == pm.c.helper_id, vhh.c.household_id == pm.c.household_id))
        .outerjoin(mh, mh.c.household_id == pm.c.household_id)
        .group_by(pm.c.helper_id)
        .subquery("hagg")
    )
    vh = (
        select(vhh.c.helper_id.label("helper_id"), isum(vhh.c.n).label("n"), isum(vhh.c.geo).label("geo"),
               isum(vhh.c.flagged).label("flagged"), isum(vhh.c.late).label("late"),
               isum(vhh.c.returned).label("returned"), isum(vhh.c.waiting).label("waiting"))
        .group_by(vhh.c.helper_id)
        .subquery("vh")
    )
    return (
        select(User.id, User.username, User.display_name, User.unit_id, hagg.c.hh_count, hagg.c.days,
               hagg.c.visited_days, hagg.c.visited, hagg.c.diary_days, hagg.c.diary, hagg.c.due, hagg.c.done,
               hagg.c.overdue, hagg.c.village_id, vh.c.n, vh.c.geo, vh.c.flagged, vh.c.late, vh.c.returned,
               hagg.c.unvisited, hagg.c.no_diary, hagg.c.no_plan, hagg.c.overdue_detail, vh.c.waiting,
               hagg.c.visited_pending, hagg.c.waiting_detail)
        .join(hagg, hagg.c.helper_id == User.id)
        .outerjoin(vh, vh.c.helper_id == User.id)
    )


def _context() -> _Context:
    return _Context(None, dict(_cfg("SCORE_WEIGHTS")), float(_cfg("SCORE_FLAG_DEDUCTION")),
                    float(_cfg("SCORE_FLAG_DEDUCTION_MAX")), int(_cfg("LATE_ENTRY_HOURS")))


def _builder(p: Period, ctx: _Context):
    """A fast row → HelperMonth function for this month (numbers, points, score, rating only)."""
    ctx.period = p
    w = ctx.weights
    w_cov, w_diary, w_meas, w_time = float(w["coverage"]), float(w["diary"]), float(w["measures"]), float(w["timeliness"])
    per, cap = ctx.per_flag, ctx.flag_cap
    excellent, passing = float(_cfg("RATING_EXCELLENT")), float(_cfg("RATING_PASS"))
    key, D, provisional = p.key, p.days, not p.diary_closed

    def build(row) -> HelperMonth | None:
        (uid, username, display_name, unit_id, hh_count, days, visited_days, visited, diary_days, diary, due, done,
         overdue, village_id, n, geo, flagged, late, returned, unvisited, no_diary, no_plan, overdue_detail,
         waiting, visited_pending, waiting_detail) = row
        if not days:
            return None
        n = n or 0
        flagged = flagged or 0
        waiting = waiting or 0
        late = late or 0
        cov = w_cov * visited_days / days
        dia = w_diary * diary_days / days
        mea = w_meas * done / due if due else w_meas
        tim = w_time * (n - late) / n if n else 0.0
        ded = min(cap, per * waiting)  # an accepted (已核实) flag is settled: no deduction
        total = cov + dia + mea + tim - ded
        score = round((0.0 if total < 0 else 100.0 if total > 100 else total) + 1e-9, 1)
        vetoed = visited < hh_count or diary < hh_count or done < due or no_plan is not None
        rating = "优秀" if score >= excellent and not vetoed else "合格" if score >= passing else "不合格"
        hm = HelperMonth(uid, username, display_name, unit_id, village_id, key, round(days / D, 2), hh_count, visited,
                         n, geo or 0, flagged, late, returned or 0, diary, due, done, overdue,
                         (cov, dia, mea, tim, -ded), score, rating, vetoed, provisional, False, None, None,
                         (unvisited, no_diary, no_plan, overdue_detail, waiting_detail), ctx)
        hm.pending_visits, hm.households_visited_pending = waiting, visited_pending or 0
        return hm

    return build


def _explain(hm: HelperMonth, ctx: _Context, unvisited, no_diary, no_plan, overdue_detail, waiting_detail=None):
    """The Chinese explanation of a computed month: each rule with its points and facts, the flags, the veto."""
    p, w = ctx.period, ctx.weights
    cov, dia, mea, tim, ded = hm.points
    rules: list[Rule] = []
    unvisited_names = _split(unvisited)
    facts = f"结对 {hm.households_count} 户（按结对天数折算 {hm.households:g} 户），本月已走访 {hm.households_visited} 户"
    if hm.households_visited_pending:
        facts += f"；另有 {hm.households_visited_pending} 户的走访待核实，核实后才计入"
    miss = f"本月还有 {len(unvisited_names)} 户未走访 ({_minus(w['coverage'] - cov)})" if unvisited_names else None
    rules.append(Rule("coverage", "走访覆盖", _pts(cov), w["coverage"], facts, miss, unvisited_names))
    no_diary_names = _split(no_diary)
    facts = f"{hm.diary_households} 户有按时录入的帮扶日志（截止 {p.deadline_label}）"
    if hm.returned_visits:
        facts += f"；{hm.returned_visits} 条记录被第一书记退回尚未修改"
    miss = (f"还有 {len(no_diary_names)} 户没有按时录入帮扶日志 ({_minus(w['diary'] - dia)})"
            if no_diary_names else None)
    rules.append(Rule("diary", "帮扶日志", _pts(dia), w["diary"], facts, miss, no_diary_names))
    due, done = hm.measures_due, hm.measures_done
    if due:
        facts = f"本月到期帮扶措施 {due} 项，已完成 {done} 项"
        miss = f"还有 {due - done} 项到期措施未完成 ({_minus(w['measures'] - mea)})" if done < due else None
    else:
        facts, miss = "本月没有到期的帮扶措施", None
    overdue_items = []
    for item in _split(overdue_detail):
        head, _, titles = item.partition(SEP2)
        overdue_items.append(f"{head}：{'、'.join(sorted(t for t in titles.split(SEP2) if t))}")
    rules.append(Rule("measures", "帮扶措施", _pts(mea), w["measures"], facts, miss, overdue_items))
    n, late, hours = hm.visits, hm.late_visits, ctx.late_hours
    if n:
        facts = f"走访 {n} 次，{n - late} 次在签到后 {hours} 小时内录入"
        miss = f"{late} 次走访超过 {hours} 小时才录入 ({_minus(w['timeliness'] - tim)})" if late else None
    else:
        facts, miss = "本月没有走访记录", f"本月没有走访记录 ({_minus(w['timeliness'])})"
    rules.append(Rule("timeliness", "按时录入", _pts(tim), w["timeliness"], facts, miss))
    waiting = pending.waiting_lines(waiting_detail)
    facts = (f"有异常标记的走访 {hm.flagged_visits} 次，其中待核实 {hm.pending_visits} 次：待核实的走访不计入走访、"
             f"日志和按时录入，第一书记核实（已核实）后才计入；每次待核实扣 {ctx.per_flag:g} 分，最多扣 {ctx.flag_cap:g} 分")
    miss = f"{hm.pending_visits} 次走访待核实，尚未计入 ({_minus(-ded)})" if hm.pending_visits else None
    rules.append(Rule("flags", "异常待核实", _pts(ded) if ded else 0.0, 0, facts, miss, waiting))

    no_plan_names = _split(no_plan)
    veto = None
    if hm.vetoed:
        unfinished = []
        if unvisited_names:
            unfinished.append(f"{len(unvisited_names)} 户未走访")
        if no_diary_names:
            unfinished.append(f"{len(no_diary_names)} 户缺帮扶日志")
        if due > done:
            unfinished.append(f"{due - done} 项到期措施未完成")
        if no_plan_names:
            unfinished.append(f"{len(no_plan_names)} 户没有帮扶计划")
        veto = "未完成帮扶任务（" + "，".join(unfinished) + "），一票否决优秀"

    flags: list[Flag] = []
    if unvisited_names and p.ended:
        flags.append(_flag("not_visited", f"本月未走访：{'、'.join(unvisited_names)}"))
    if late:
        flags.append(_flag("late_records", f"{late} 次走访超过 {hours} 小时才录入"))
    parts = []
    no_diary_names = [n for n in no_diary_names if n not in unvisited_names]  # one sanction per fact
    if no_diary_names and p.diary_closed:
        parts.append(f"截止 {p.deadline_label} 未录入帮扶日志：{'、'.join(no_diary_names)}")
    if hm.returned_visits:
        parts.append(f"{hm.returned_visits} 条走访记录被退回尚未修改")
    if parts:
        flags.append(_flag("incomplete_records", "；".join(parts)))
    if no_plan_names:
        flags.append(_flag("no_plan", f"没有帮扶措施：{'、'.join(no_plan_names)}"))
    if overdue_items:
        flags.append(_flag("plan_overdue", "到期未完成：" + "；".join(overdue_items)))
    return rules, flags, veto


def _flag(code: str, evidence: str) -> Flag:
    item, action, rule = sanctions.describe(code)
    return Flag(code, rule, action, evidence, item)


def compute_month(month: str, scope: Select, now: datetime | None = None, wide: bool = False) -> list[HelperMonth]:
    """The live month of every helper in scope (a Select of user ids) that had households in it.

    wide=True when the scope is a whole unit (aggregate the month, then keep the scope).
    """
    p = period(month, now)
    build = _builder(p, _context())
    if db.session.get_bind().dialect.name == "postgresql":
        # the planner overestimates the joined aggregates and would spend seconds JIT-compiling
        # a query that runs in a fraction of that: no JIT, and room to hash the aggregates in memory
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))
    rows = db.session.execute(_month_query(p, scope, wide)).all()
    return [hm for hm in map(build, rows) if hm is not None]


# ---------------------------------------------------------------- what a user sees: snapshots + live

def _closed_units(key: str) -> Select:
    return select(MonthClosure.unit_id).where(MonthClosure.month == key, MonthClosure.closed.is_(True))


def _rank(results: list[HelperMonth]) -> list[HelperMonth]:
    results.sort(key=lambda r: (-r.score, r.username))
    prev, rank = None, 0
    for i, r in enumerate(results, start=1):
        if r.score != prev:
            rank, prev = i, r.score
        r.rank = rank
    return results


def _one_unit() -> bool:
    """A unit's scope is the whole month's data only when the installation has one unit; with many
    (a county, a province) aggregating the whole month for one unit's page grows with all of them."""
    return (db.session.scalar(select(func.count()).select_from(Unit)) or 0) <= 1


def month_results(user: User, month: str, village_id: int | None = None, now: datetime | None = None,
                  spot_checks: bool = True) -> list[HelperMonth]:
    """The month of every helper the user may see, ranked: closed months from their snapshot."""
    p = period(month, now)
    if village_id is not None:
        access.village(user, village_id)
    scope = access.helper_ids(user, p.first, p.last, village_id)
    snap = db.session.execute(
        select(MonthResult)
        .join(MonthClosure, MonthClosure.id == MonthResult.closure_id)
        .join(User, User.id == MonthResult.helper_id)
        .where(MonthClosure.month == p.key, MonthClosure.closed.is_(True), MonthClosure.unit_id == User.unit_id,
               MonthResult.helper_id.in_(scope))
    ).scalars().all()
    results = [HelperMonth.from_snapshot(r, p.key) for r in snap]
    live_scope = scope.where(User.unit_id.not_in(_closed_units(p.key)))
    results += compute_month(p.key, live_scope, now, wide=user.role == "office_admin" and village_id is None
                             and _one_unit())
    if spot_checks and results:
        items = spot_check_items(p.key, scope)
        for r in results:
            r.spot_check = items.get(r.helper_id)
        after_month(results, p, scope)
    return _rank(redact.month_results(user, results, p.first, p.last, scope))


def helper_month(user: User, helper: User, month: str, now: datetime | None = None) -> HelperMonth | None:
    """One helper's month (the helper must be in the user's scope: see access.assessed_helper)."""
    p = period(month, now)
    access.assessed_helper(user, helper.id, p.first, p.last)
    return redact.month_results(user, [_helper_month(helper, p, now)], p.first, p.last)[0]


def _helper_month(helper: User, p: Period, now: datetime | None) -> HelperMonth | None:
    scope = select(User.id).where(User.id == helper.id)
    snap = db.session.scalar(
        select(MonthResult).join(MonthClosure, MonthClosure.id == MonthResult.closure_id)
        .where(MonthClosure.month == p.key, MonthClosure.closed.is_(True), MonthClosure.unit_id == helper.unit_id,
               MonthResult.helper_id == helper.id)
    )
    if snap is not None:
        result = HelperMonth.from_snapshot(snap, p.key)
    elif is_closed(helper.unit_id, p.key):
        return None  # closed without this helper in the snapshot
    else:
        found = compute_month(p.key, scope, now)
        result = found[0] if found else None
    if result is not None:
        result.spot_check = spot_check_items(p.key, scope).get(helper.id)
        after_month([result], p, scope)
    return result


# ---------------------------------------------------------------- quarter and year

@dataclass
class HelperPeriod:
    helper_id: int
    username: str
    display_name: str
    village_id: int | None
    months: dict[str, float | None]  # month key → score (None: no households that month)
    score: float | None
    rating: str | None
    vetoed: bool
    rank: int | None = None
    parts: dict[str, float | None] = field(default_factory=dict)  # quarter key → score, for years


def _months_started(months: Iterable[tuple[int, int]], now: datetime) -> list[str]:
    today = now.astimezone(tz()).date()
    return [f"{y:04d}-{m:02d}" for y, m in months if date(y, m, 1) <= today]


def quarter_results(user: User, quarter: str, village_id: int | None = None,
                    now: datetime | None = None) -> tuple[list[str], list[HelperPeriod]]:
    """Quarter = mean of its months (months with households; months not started yet are left out)."""
    try:
        year, q = parse_quarter(quarter)
    except ValueError as err:
        raise ValidationFailed(str(err), field="quarter") from None
    now = now or datetime.now(timezone.utc)
    keys = _months_started(quarter_months(year, q), now)
    per_month = {k: month_results(user, k, village_id, now) for k in keys}
    return [f"{year:04d}-{m:02d}" for _, m in quarter_months(year, q)], _combine_months(per_month)


def _combine_months(per_month: dict[str, list[HelperMonth]]) -> list[HelperPeriod]:
    people: dict[int, HelperPeriod] = {}
    for key, results in per_month.items():
        for r in results:
            hp = people.get(r.helper_id)
            if hp is None:
                hp = people[r.helper_id] = HelperPeriod(r.helper_id, r.username, r.display_name, r.village_id, {}, None, None,
                                                        False)
            hp.months[key] = r.score
            hp.vetoed = hp.vetoed or bool(r.veto)
    for hp in people.values():
        scores = [s for s in hp.months.values() if s is not None]
        hp.score = _pts(sum(scores) / len(scores)) if scores else None
        hp.rating = rating_for(hp.score, hp.vetoed) if hp.score is not None else None
    return _rank_periods(list(people.values()))


def _rank_periods(rows: list[HelperPeriod]) -> list[HelperPeriod]:
    rows.sort(key=lambda r: (-(r.score or 0), r.username))
    prev, rank = None, 0
    for i, r in enumerate(rows, start=1):
        if r.score != prev:
            rank, prev = i, r.score
        r.rank = rank
    return rows


def year_score(quarter_scores: dict[int, float | None]) -> float | None:
    """Q1..Q4 weighted by HELPER_QUARTER_WEIGHTS; quarters without a score are left out and the weights renormalised."""
    weights = _cfg("HELPER_QUARTER_WEIGHTS")  # not 001's 20/20/20/40: those weight villages
    pairs = [(weights[q - 1], s) for q, s in quarter_scores.items() if s is not None]
    total = sum(w for w, _ in pairs)
    if not pairs or total <= 0:
        return None
    return _pts(sum(w * s for w, s in pairs) / total)


@dataclass
class HelperYear:
    year: int
    quarters: list[tuple[str, dict[str, float | None], float | None, str | None]]  # key, months, score, rating
    score: float | None
    rating: str | None
    weights: list[float]


def helper_year(user: User, helper: User, year: int, now: datetime | None = None) -> HelperYear:
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
            r = _helper_month(helper, period(key, now), now)
            months[key] = r.score if r else None
            q_veto = q_veto or bool(r and r.veto)
        vals = [s for s in months.values() if s is not None]
        score = _pts(sum(vals) / len(vals)) if vals else None
        scores[q] = score
        vetoed = vetoed or q_veto
        quarters.append((f"{year}-Q{q}", months, score, rating_for(score, q_veto) if score is not None else None))
    ys = year_score(scores)
    rating = rating_for(ys, vetoed) if ys is not None else None
    return HelperYear(year, quarters, ys, rating, list(_cfg("HELPER_QUARTER_WEIGHTS")))


# ---------------------------------------------------------------- closing a month

def closure(unit_id: int, key: str) -> MonthClosure | None:
    return db.session.scalar(select(MonthClosure).where(MonthClosure.unit_id == unit_id, MonthClosure.month == key))


def is_closed(unit_id: int, key: str) -> bool:
    c = closure(unit_id, key)
    return bool(c and c.closed)


def _require_admin(user: User) -> None:
    if user.role != "office_admin":
        raise NotFound("您无权操作。")


def _snapshot(c: MonthClosure, by: User, now: datetime | None) -> dict[int, tuple[float, float]]:
    """Replace the closure's results with a fresh computation; returns {helper: (old, new)} for changed scores."""
    old = dict(db.session.execute(select(MonthResult.helper_id, MonthResult.score).where(MonthResult.closure_id == c.id)).all())
    scope = access.helper_ids(by)
    results = compute_month(c.month, scope, now, wide=_one_unit())
    db.session.execute(delete(MonthResult).where(MonthResult.closure_id == c.id))
    if results:
        db.session.execute(insert(MonthResult), [
            {"closure_id": c.id, "helper_id": r.helper_id, "score": r.score, "rating": r.rating, "data": r.to_data()}
            for r in results
        ])
    new = {r.helper_id: r.score for r in results}
    return {h: (old.get(h), new.get(h)) for h in set(old) | set(new) if old.get(h) != new.get(h)}


def _changes(changes: dict[int, tuple[float, float]], limit: int = 500) -> list[dict[str, Any]]:
    return [{"helper_id": h, "old": o, "new": n} for h, (o, n) in sorted(changes.items())[:limit]]


def close_month(by: User, month: str, now: datetime | None = None) -> MonthClosure:
    """Store the unit's month as a snapshot; later edits to the records do not change it."""
    _require_admin(by)
    p = period(month, now)
    if not p.ended:
        raise ValidationFailed("这个月还没有结束，不能关账。", field="month")
    c = closure(by.unit_id, p.key)
    if c is not None and c.closed:
        raise Conflict("这个月已经关账。要修改请先重新打开。")
    if c is None:
        c = MonthClosure(unit_id=by.unit_id, month=p.key)
        db.session.add(c)
    c.closed, c.closed_by_id, c.closed_at = True, by.id, datetime.now(timezone.utc)
    db.session.flush()
    changes = _snapshot(c, by, now)
    count = db.session.scalar(select(func.count()).select_from(MonthResult).where(MonthResult.closure_id == c.id))
    audit.record(by, "month.close", "month_closure", c.id, month=p.key, helpers=count, changes=_changes(changes))
    return c


def reopen_month(by: User, month: str, reason: str) -> MonthClosure:
    """Open a closed month again: pages show the live computation until it is closed again."""
    _require_admin(by)
    p = period(month)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写重新打开的原因。", field="reason")
    c = closure(by.unit_id, p.key)
    if c is None or not c.closed:
        raise Conflict("这个月没有关账。")
    c.closed = False
    audit.record(by, "month.reopen", "month_closure", c.id, month=p.key, reason=reason)
    return c


def recompute_month(by: User, month: str, reason: str, now: datetime | None = None) -> dict[int, tuple[float, float]]:
    """Replace a closed month's snapshot with a fresh computation, logging every changed score."""
    _require_admin(by)
    p = period(month, now)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写重新计算的原因。", field="reason")
    c = closure(by.unit_id, p.key)
    if c is None or not c.closed:
        raise Conflict("这个月没有关账，页面上已是实时结果。")
    changes = _snapshot(c, by, now)
    c.closed_by_id, c.closed_at = by.id, datetime.now(timezone.utc)
    audit.record(by, "month.recompute", "month_closure", c.id, month=p.key, reason=reason, changes=_changes(changes),
                 changed=len(changes))
    return changes


def closure_log(unit_id: int, key: str) -> list[AuditLog]:
    c = closure(unit_id, key)
    if c is None:
        return []
    return db.session.scalars(
        select(AuditLog).where(AuditLog.entity == "month_closure", AuditLog.entity_id == c.id).order_by(AuditLog.id.desc())
    ).all()


# ---------------------------------------------------------------- spot checks

def _population(by: User, key: str) -> list[int]:
    p = period(key)
    paired = select(Pairing.helper_id).where(Pairing.start_date <= p.last,
                                             Pairing.end_date.is_(None) | (Pairing.end_date >= p.first))
    return list(db.session.scalars(
        access.helper_ids(by).where(User.id.in_(paired), User.active.is_(True)).order_by(User.id)
    ).all())


def sample(population: list[int], ratio: float, seed: str) -> list[int]:
    """The draw: ceil(ratio × N) helpers (at least one), chosen by a PRNG seeded with the stored seed."""
    if not population:
        return []
    k = min(len(population), max(1, math.ceil(round(ratio * len(population), 6))))
    return sorted(random.Random(seed).sample(sorted(population), k))


def current_draw(unit_id: int, key: str) -> SpotCheckDraw | None:
    return db.session.scalar(
        select(SpotCheckDraw).where(SpotCheckDraw.unit_id == unit_id, SpotCheckDraw.month == key,
                                    SpotCheckDraw.superseded.is_(False)).order_by(SpotCheckDraw.id.desc())
    )


def draws(unit_id: int, key: str, with_helpers: bool = False) -> list[SpotCheckDraw]:
    q = (select(SpotCheckDraw).where(SpotCheckDraw.unit_id == unit_id, SpotCheckDraw.month == key)
         .order_by(SpotCheckDraw.id.desc()))
    if with_helpers:
        q = q.options(selectinload(SpotCheckDraw.items).joinedload(SpotCheckItem.helper), joinedload(SpotCheckDraw.drawn_by))
    return db.session.scalars(q).all()


def spot_check_ratio() -> float:
    return float(_cfg("SPOT_CHECK_RATIO"))


def draw(by: User, month: str, seed: str | None = None, ratio: float | None = None) -> SpotCheckDraw:
    """Draw this month's spot check of the unit's helpers; an earlier draw is kept, marked superseded."""
    _require_admin(by)
    p = period(month)
    ratio = float(_cfg("SPOT_CHECK_RATIO") if ratio is None else ratio)
    if not 0 < ratio <= 1:
        raise ValidationFailed("抽查比例应在 0 到 1 之间。", field="ratio")
    seed = (seed or "").strip() or secrets.token_hex(16)
    if len(seed) > 64:
        raise ValidationFailed("随机种子最多 64 个字符。", field="seed")
    population = _population(by, p.key)
    if not population:
        raise ValidationFailed("这个月没有可抽查的帮扶责任人。", field="month")
    previous = current_draw(by.unit_id, p.key)
    if previous is not None:
        previous.superseded = True
    d = SpotCheckDraw(unit_id=by.unit_id, month=p.key, seed=seed, ratio=ratio, drawn_by_id=by.id)
    db.session.add(d)
    db.session.flush()
    chosen = sample(population, ratio, seed)
    db.session.execute(insert(SpotCheckItem), [{"draw_id": d.id, "helper_id": h} for h in chosen])
    audit.record(by, "spotcheck.draw", "spot_check_draw", d.id, month=p.key, seed=seed, ratio=ratio,
                 population=population, chosen=chosen, superseded=previous.id if previous else None)
    db.session.expire(d, ["items"])
    return d


def draw_population(d: SpotCheckDraw) -> list[int]:
    """The population the draw was made from, as logged when it was drawn."""
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "spotcheck.draw", AuditLog.entity_id == d.id).order_by(AuditLog.id)
    )
    return list((entry.details or {}).get("population", [])) if entry else []


def reproduce(d: SpotCheckDraw) -> tuple[list[int], bool]:
    """Draw again from the stored seed and logged population: (helpers, same as stored?)."""
    again = sample(draw_population(d), d.ratio, d.seed)
    return again, again == sorted(i.helper_id for i in d.items)


def record_result(by: User, item: SpotCheckItem, result: str, note: str) -> SpotCheckItem:
    if result not in SPOT_RESULTS:
        raise ValidationFailed("抽查结果应为 符合、基本符合 或 不符合。", field="result")
    note = (note or "").strip()
    if result != "符合" and not note:
        raise ValidationFailed("请写明不符合之处。", field="note")
    if item.draw.superseded:
        raise Conflict("这次抽样已被重新抽取替代，请在新的抽样中登记。")
    item.result, item.note, item.checked_by_id, item.checked_at = result, note or None, by.id, datetime.now(timezone.utc)
    audit.record(by, "spotcheck.result", "spot_check_item", item.id, helper_id=item.helper_id, result=result, note=note)
    return item


def spot_check_items(key: str, scope: Select) -> dict[int, SpotCheckItem]:
    """The current (not superseded) draw's item per helper for the month, for helpers in scope."""
    rows = db.session.scalars(
        select(SpotCheckItem).join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckItem.draw_id)
        .join(User, User.id == SpotCheckItem.helper_id)
        .where(SpotCheckDraw.month == key, SpotCheckDraw.superseded.is_(False), SpotCheckDraw.unit_id == User.unit_id,
               SpotCheckItem.helper_id.in_(scope))
    ).all()
    return {i.helper_id: i for i in rows}


# ---------------------------------------------------------------- exports

MONTH_HEADERS = ("排名", "姓名", "账号", "村", "结对户数（折算）", "已走访户数", "走访次数", "围栏内走访", "异常走访",
                 "超时录入", "退回未改", "有日志户数", "到期措施", "完成措施", "得分", "等级", "否决优秀原因",
                 "问责提示", "抽查结果")


def month_rows(results: list[HelperMonth], village_names: dict[int, str]) -> list[list[Any]]:
    rows = []
    for r in results:
        spot = ""
        if r.spot_check is not None:
            spot = r.spot_check.result or "待检查"
            if r.spot_check.note:
                spot += f"：{r.spot_check.note}"
        rows.append([r.rank, r.display_name, r.username, village_names.get(r.village_id, ""), r.households,
                     r.households_visited, r.visits, r.visits_in_geofence, r.flagged_visits, r.late_visits,
                     r.returned_visits, r.diary_households, r.measures_due, r.measures_done, r.score, r.rating,
                     r.veto or "", "；".join(f"{f.action}候选：{f.rule}（{f.evidence}）" for f in r.flags), spot])
    return rows


def quarter_headers(months: list[str]) -> list[str]:
    return ["排名", "姓名", "账号", "村"] + [f"{int(m[5:])}月得分" for m in months] + ["季度得分", "等级"]


def quarter_rows(months: list[str], results: list[HelperPeriod], village_names: dict[int, str]) -> list[list[Any]]:
    return [[r.rank, r.display_name, r.username, village_names.get(r.village_id, "")]
            + [r.months.get(m, "") if r.months.get(m) is not None else "" for m in months] + [r.score, r.rating]
            for r in results]


def village_names(results: Iterable[HelperMonth | HelperPeriod]) -> dict[int, str]:
    """Names of the (first) villages of helpers already in the user's scope."""
    ids = {r.village_id for r in results if r.village_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Village.id, Village.name).where(Village.id.in_(ids))).all())
