"""Scoring a month: points, score and rating per helper from the month query's rows; a quarter is
the mean of its months, a year the quarters weighted by HELPER_QUARTER_WEIGHTS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, text

from ...extensions import db
from ...models import Unit
from .month import HelperMonth, HelperPeriod, Period, _Context, period, pts
from .rules import ScoringRules, rating
from .sql import SCOPE_IDS, ids_month_query, month_params, month_query


def builder(p: Period, ctx: _Context):
    """A fast row → HelperMonth function for this month (numbers, points, score, rating only)."""
    w, rules = ctx.rules.weights, ctx.rules
    w_cov, w_diary, w_meas, w_time = float(w["coverage"]), float(w["diary"]), float(w["measures"]), float(w["timeliness"])
    per, cap = rules.flag_deduction, rules.flag_deduction_max
    excellent, passing = rules.rating_excellent, rules.rating_pass
    key, D, provisional = p.key, p.days, not p.deadline_passed

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


def compute_month(rules: ScoringRules, month: str, scope: Select, now: datetime | None = None,
                  wide: bool = False, ids: list[int] | None = None) -> list[HelperMonth]:
    """The live month of every helper in scope (a Select of user ids) that had households in it.

    wide=True when the scope is a whole unit (aggregate the month, then keep the scope).
    ids: the scope's ids when they were looked up already (PostgreSQL): the month's statement is
    then the one built once (sql.ids_month_query), the ids one array parameter.
    """
    p = period(month, now, rules.diary_deadline_day)
    build = builder(p, _Context(p, rules))
    tune_month_queries()
    params = month_params(p, int(rules.late_entry_hours))
    if ids is not None:
        stmt, params[SCOPE_IDS] = ids_month_query(wide), ids
    else:
        stmt = month_query(scope, wide)
    rows = db.session.execute(stmt, params).all()
    return [hm for hm in map(build, rows) if hm is not None]


def tune_month_queries(probe: bool = False) -> None:
    """PostgreSQL settings for the rest of this transaction (the month's statements), in one statement.

    Always: the planner overestimates the joined aggregates and would spend seconds JIT-compiling a
    query that runs in a fraction of that: no JIT, and room to hash the aggregates in memory.
    probe (a page's few helpers, their ids given): their households, visits and measures are
    probed by key, not whole tables hashed (the default random_page_cost of 4 prices a cached
    index probe as a disk seek: at 100 townships the ranking hashed all 400,000 households for
    4,000 of them), without parallel workers (which made a scan of the whole user table look
    cheaper than probing 1,000 helpers, and take the CPUs of the requests served beside it), and
    planned for these ids every time (psycopg prepares a statement run five times on a connection;
    a generic plan, the ids unknown, would be the whole-table plan again).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    settings = {"jit": "off", "work_mem": "32MB"}
    if probe:
        settings.update(random_page_cost="1.1", max_parallel_workers_per_gather="0",
                        plan_cache_mode="force_custom_plan")
    db.session.execute(text("SELECT " + ", ".join(f"set_config('{k}', '{v}', true)" for k, v in settings.items())))


def rank_months(results: list[HelperMonth]) -> list[HelperMonth]:
    results.sort(key=lambda r: (-r.score, r.username))
    prev, rank = None, 0
    for i, r in enumerate(results, start=1):
        if r.score != prev:
            rank, prev = i, r.score
        r.rank = rank
    return results


def one_unit() -> bool:
    """A unit's scope is the whole month's data only when the installation has one unit; with many
    (a county, a province) aggregating the whole month for one unit's page grows with all of them."""
    return (db.session.scalar(select(func.count()).select_from(Unit)) or 0) <= 1


def combine_months(rules: ScoringRules, per_month: dict[str, list[HelperMonth]]) -> list[HelperPeriod]:
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
        hp.score = pts(sum(scores) / len(scores)) if scores else None
        hp.rating = rating(rules, hp.score, hp.vetoed) if hp.score is not None else None
    return rank_periods(list(people.values()))


def rank_periods(rows: list[HelperPeriod]) -> list[HelperPeriod]:
    rows.sort(key=lambda r: (-(r.score or 0), r.username))
    prev, rank = None, 0
    for i, r in enumerate(rows, start=1):
        if r.score != prev:
            rank, prev = i, r.score
        r.rank = rank
    return rows


def year_score(rules: ScoringRules, quarter_scores: dict[int, float | None]) -> float | None:
    """Q1..Q4 weighted by HELPER_QUARTER_WEIGHTS; quarters without a score are left out and the weights renormalised."""
    weights = rules.helper_quarter_weights  # not 001's 20/20/20/40: those weight villages
    pairs = [(weights[q - 1], s) for q, s in quarter_scores.items() if s is not None]
    total = sum(w for w, _ in pairs)
    if not pairs or total <= 0:
        return None
    return pts(sum(w * s for w, s in pairs) / total)
