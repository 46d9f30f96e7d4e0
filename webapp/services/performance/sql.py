"""The month's numbers in SQL: portable pieces (SQLite and PostgreSQL) and the one set-based query
that gives every number the scoring rules need, one row per helper (no query per helper)."""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, Select, and_, any_, bindparam, case, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Boolean, String

from ...models import Household, Measure, MeasureStatus, Pairing, ReviewStatus, User, Visit
from ...models.types import IdArray
from ..calendar import Period, tz

SEP = "\x1f"  # joins names inside one aggregate; split again in Python
SEP2 = "\x1e"
SEP3 = "\x1d"


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


def split_names(value: str | None) -> list[str]:
    if not value:
        return []
    parts = value.split(SEP)
    parts.sort()
    return parts


SCOPE_IDS = "month_scope_ids"
# the month's values, bound by name: one statement serves every month (built and compiled once)
FIRST, LAST = bindparam("month_first", type_=Date()), bindparam("month_last", type_=Date())
DAYS = bindparam("month_days", type_=Integer())
UTC_START, UTC_END, DEADLINE = bindparam("month_utc_start"), bindparam("month_utc_end"), bindparam("month_deadline")
CUTOFF, LATE_HOURS = bindparam("month_cutoff", type_=Date()), bindparam("month_late_hours", type_=Integer())


def month_params(p: Period, late_hours: int) -> dict[str, Any]:
    """The values of month_query's parameters for the month p."""
    return {"month_first": p.start, "month_last": p.end, "month_days": p.days, "month_utc_start": p.utc_start,
            "month_utc_end": p.utc_end, "month_deadline": p.deadline, "month_late_hours": late_hours,
            "month_cutoff": min(p.end + timedelta(days=1), p.now.astimezone(tz()).date())}


@lru_cache(maxsize=4)
def ids_month_query(wide: bool) -> Select:
    """month_query for helpers given as one array of ids (parameter SCOPE_IDS, PostgreSQL): built once
    per process, so SQLAlchemy neither rebuilds the statement nor recomputes its cache key per page."""
    return month_query(select(User.id).where(User.id == any_(bindparam(SCOPE_IDS, type_=IdArray()))), wide)


def month_query(scope: Select, wide: bool) -> Select:
    """One row per helper of the scope with households in the month: every number the rules need.
    The month's values are parameters (month_params).

    wide: the scope is a whole unit, so visits and measures are aggregated for the month without
    probing the scope row by row (the final join keeps the scope); otherwise they are filtered first.
    """
    first, last, D = FIRST, LAST, DAYS
    one = literal(1)
    # pairings overlapping the month, days covered per (helper, household)
    lo = case((Pairing.start_date > first, Pairing.start_date), else_=first)
    hi = case((Pairing.end_date.is_(None), last), (Pairing.end_date < last, Pairing.end_date), else_=last)
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
    late = later_than_hours(Visit.received_at, Visit.checked_in_at, LATE_HOURS)
    # a flagged visit counts only once accepted (已核实); until then it is 待核实. A visit confirmed
    # fake (弄虚作假) never counts, accepted or not: it is decided, not waiting
    flagged = json_nonempty(Visit.flags)
    genuine = Visit.fake_confirmed_at.is_(None)
    waiting = and_(flagged, Visit.verified_at.is_(None), genuine)
    counted = and_(~waiting, genuine)
    diary_ok = and_(func.length(func.trim(Visit.notes)) > 0, Visit.received_at < DEADLINE,
                    Visit.review_status != ReviewStatus.RETURNED, counted)
    vhh = (
        select(Visit.helper_id.label("helper_id"), Visit.household_id.label("household_id"),
               isum(case((counted, one), else_=0)).label("n"),
               isum(case((and_(Visit.within_geofence.is_(True), counted), one), else_=0)).label("geo"),
               isum(case((flagged, one), else_=0)).label("flagged"),
               isum(case((and_(late, counted), one), else_=0)).label("late"),
               func.max(case((diary_ok, one), else_=0)).label("diary"),
               isum(case((Visit.review_status == ReviewStatus.RETURNED, one), else_=0)).label("returned"),
               isum(case((waiting, one), else_=0)).label("waiting"),
               str_agg(case((waiting, cast(Visit.flags, String))), literal(SEP3)).label("waiting_flags"))
        .where(Visit.checked_in_at >= UTC_START, Visit.checked_in_at < UTC_END)
        .group_by(Visit.helper_id, Visit.household_id)
    )
    if not wide:
        vhh = vhh.where(Visit.helper_id.in_(scope))
    vhh = vhh.cte("vhh")
    # measures of the paired households
    done_by_end = and_(Measure.status == MeasureStatus.DONE, Measure.done_at.is_(None) | (Measure.done_at < UTC_END))
    done_before_start = and_(Measure.status == MeasureStatus.DONE, Measure.done_at.is_(None) | (Measure.done_at < UTC_START))
    due = and_(Measure.due_date.is_not(None), Measure.due_date <= last,
               (Measure.due_date >= first) | ~done_before_start)
    overdue = and_(due, ~done_by_end, Measure.due_date < CUTOFF)
    mh = (
        select(Measure.household_id.label("household_id"), func.count().label("plan"),
               isum(case((due, one), else_=0)).label("due"),
               isum(case((and_(due, done_by_end), one), else_=0)).label("done"),
               isum(case((overdue, one), else_=0)).label("overdue"),
               # policy problems overdue are flagged 第九条(三)1 instead (services.policy_problems)
               str_agg(case((and_(overdue, Measure.source.is_(None)), Measure.title)), literal(SEP2)).label("overdue_titles"))
        .where(Measure.created_at < UTC_END)
        .group_by(Measure.household_id)
    )
    if not wide:
        mh = mh.where(Measure.household_id.in_(select(pm.c.household_id)))
    mh = mh.cte("mh")
    capped = case((pm.c.days > D, D), else_=pm.c.days)
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
