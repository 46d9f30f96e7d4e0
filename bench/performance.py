"""Bench: one month of performance for all helpers, against the bare aggregate query.

Generates 10,000 helpers, 40,000 households (4 each, some re-paired mid-year), 80,000 measures and
12 months of visits (about 500,000) in one unit, on SQLite and on PostgreSQL, then times
(median of repeats, after one warm-up):

- compute: services.performance.compute_month for every helper of the unit (all the SQL and the
  Python that builds each helper's rules, points, rating and flags);
- page: services.performance.month_results as the office admin's ranking uses it (adds the closure
  check, spot-check items and the ranking);
- raw: the single bare aggregate over the same month (visits, households visited, geofence and
  flagged counts grouped by helper) — what a hand-written report query would cost.

    .venv/bin/python bench/performance.py                  # both databases
    .venv/bin/python bench/performance.py --db sqlite --helpers 1000

PostgreSQL: a scratch database `bangfu_bench` is created on --pg (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025
NOW = datetime(YEAR + 1, 2, 1, tzinfo=timezone.utc)
# The floor: the bare aggregate of the month's visits per helper (a third of the work the rules need).
BARE = """
SELECT helper_id, count(*) AS visits, count(DISTINCT household_id) AS households_visited,
       sum(CASE WHEN within_geofence THEN 1 ELSE 0 END) AS in_geofence,
       sum(CASE WHEN CAST(flags AS TEXT) <> '[]' THEN 1 ELSE 0 END) AS flagged
FROM visit WHERE checked_in_at >= :start AND checked_in_at < :end
GROUP BY helper_id
"""

# The baseline: the same month for every helper of the unit as ONE hand-written aggregate query per
# database (pairings pro-rated, coverage, diary, measures, timeliness, flags, and the evidence
# names), fetched raw from the driver with no Python on top. The bench checks that it gives the
# same numbers as the service.
RAW_SQLITE = """
WITH pm AS (
  SELECT p.helper_id, p.household_id,
         sum(max(0, CAST(julianday(min(coalesce(p.end_date, :last), :last))
                         - julianday(max(p.start_date, :first)) AS INTEGER) + 1)) AS days
  FROM pairing p JOIN user u ON u.id = p.helper_id
  WHERE u.unit_id = :unit AND u.role = 'helper' AND p.start_date <= :last AND (p.end_date IS NULL OR p.end_date >= :first)
  GROUP BY p.helper_id, p.household_id),
vhh AS (
  SELECT helper_id, household_id, count(*) AS n, sum(within_geofence IS 1) AS geo, sum(flags NOT IN ('[]', 'null')) AS flagged,
         sum((julianday(received_at) - julianday(checked_in_at)) * 24.0 > :late_hours) AS late,
         max(trim(notes) <> '' AND received_at < :deadline AND review_status <> 'returned') AS diary,
         sum(review_status = 'returned') AS returned
  FROM visit WHERE checked_in_at >= :start AND checked_in_at < :end
  GROUP BY helper_id, household_id),
mh AS (
  SELECT household_id, count(*) AS plan, sum(coalesce(due, 0)) AS due, sum(coalesce(due AND done_end, 0)) AS done,
         sum(coalesce(due AND NOT done_end AND due_date < :cutoff, 0)) AS overdue,
         group_concat(CASE WHEN due AND NOT done_end AND due_date < :cutoff THEN title END, char(30)) AS titles
  FROM (SELECT household_id, title, due_date,
               due_date <= :last AND (due_date >= :first
                                      OR NOT (status = 'done' AND (done_at IS NULL OR done_at < :start))) AS due,
               status = 'done' AND (done_at IS NULL OR done_at < :end) AS done_end
        FROM measure WHERE created_at < :end)
  GROUP BY household_id),
hagg AS (
  SELECT pm.helper_id, count(*) AS hh_count, sum(min(pm.days, :D)) AS days,
         sum(CASE WHEN vhh.n IS NOT NULL THEN min(pm.days, :D) ELSE 0 END) AS visited_days,
         count(vhh.n) AS visited,
         sum(CASE WHEN vhh.diary = 1 THEN min(pm.days, :D) ELSE 0 END) AS diary_days,
         sum(coalesce(vhh.diary, 0)) AS diary,
         sum(coalesce(mh.due, 0)) AS due, sum(coalesce(mh.done, 0)) AS done, sum(coalesce(mh.overdue, 0)) AS overdue,
         sum(mh.plan IS NULL) AS no_plan, min(h.village_id) AS village_id,
         group_concat(CASE WHEN vhh.n IS NULL THEN h.head_name END, char(31)) AS unvisited,
         group_concat(CASE WHEN coalesce(vhh.diary, 0) = 0 THEN h.head_name END, char(31)) AS no_diary,
         group_concat(CASE WHEN mh.plan IS NULL THEN h.head_name END, char(31)) AS no_plan_names,
         group_concat(CASE WHEN mh.overdue > 0 THEN h.head_name || char(30) || mh.titles END, char(31)) AS overdue_detail
  FROM pm JOIN household h ON h.id = pm.household_id
  LEFT JOIN vhh ON vhh.helper_id = pm.helper_id AND vhh.household_id = pm.household_id
  LEFT JOIN mh ON mh.household_id = pm.household_id
  GROUP BY pm.helper_id),
vh AS (
  SELECT helper_id, sum(n) AS n, sum(geo) AS geo, sum(flagged) AS flagged, sum(late) AS late, sum(returned) AS returned
  FROM vhh GROUP BY helper_id)
SELECT u.id, u.username, u.display_name, hagg.hh_count, hagg.days, hagg.visited_days, hagg.visited, hagg.diary_days,
       hagg.diary, hagg.due, hagg.done, hagg.overdue, hagg.no_plan, coalesce(vh.n, 0), coalesce(vh.geo, 0),
       coalesce(vh.flagged, 0), coalesce(vh.late, 0), coalesce(vh.returned, 0), hagg.village_id, hagg.unvisited,
       hagg.no_diary, hagg.no_plan_names, hagg.overdue_detail
FROM hagg JOIN user u ON u.id = hagg.helper_id LEFT JOIN vh ON vh.helper_id = hagg.helper_id
"""

RAW_POSTGRES = """
WITH pm AS (
  SELECT p.helper_id, p.household_id,
         sum(GREATEST(0, LEAST(coalesce(p.end_date, :last), :last) - GREATEST(p.start_date, :first) + 1))::int AS days
  FROM pairing p JOIN "user" u ON u.id = p.helper_id
  WHERE u.unit_id = :unit AND u.role = 'helper' AND p.start_date <= :last AND (p.end_date IS NULL OR p.end_date >= :first)
  GROUP BY p.helper_id, p.household_id),
vhh AS (
  SELECT helper_id, household_id, count(*) AS n, count(*) FILTER (WHERE within_geofence) AS geo,
         count(*) FILTER (WHERE json_typeof(flags) = 'array' AND flags::text <> '[]') AS flagged,
         count(*) FILTER (WHERE received_at > checked_in_at + make_interval(hours => :late_hours)) AS late,
         bool_or(trim(notes) <> '' AND received_at < :deadline AND review_status <> 'returned') AS diary,
         count(*) FILTER (WHERE review_status = 'returned') AS returned
  FROM visit WHERE checked_in_at >= :start AND checked_in_at < :end
  GROUP BY helper_id, household_id),
m AS (
  SELECT household_id, title, due_date,
         coalesce(due_date <= :last AND (due_date >= :first
                                         OR NOT (status = 'done' AND (done_at IS NULL OR done_at < :start))), false) AS due,
         status = 'done' AND (done_at IS NULL OR done_at < :end) AS done_end
  FROM measure WHERE created_at < :end),
mh AS (
  SELECT household_id, count(*) AS plan, count(*) FILTER (WHERE due) AS due, count(*) FILTER (WHERE due AND done_end) AS done,
         count(*) FILTER (WHERE due AND NOT done_end AND due_date < :cutoff) AS overdue,
         string_agg(title, chr(30)) FILTER (WHERE due AND NOT done_end AND due_date < :cutoff) AS titles
  FROM m GROUP BY household_id),
hagg AS (
  SELECT pm.helper_id, count(*) AS hh_count, sum(LEAST(pm.days, :D)) AS days,
         sum(LEAST(pm.days, :D)) FILTER (WHERE vhh.n IS NOT NULL) AS visited_days,
         count(vhh.n) AS visited,
         sum(LEAST(pm.days, :D)) FILTER (WHERE vhh.diary) AS diary_days,
         count(*) FILTER (WHERE vhh.diary) AS diary,
         sum(coalesce(mh.due, 0)) AS due, sum(coalesce(mh.done, 0)) AS done, sum(coalesce(mh.overdue, 0)) AS overdue,
         count(*) FILTER (WHERE mh.plan IS NULL) AS no_plan, min(h.village_id) AS village_id,
         string_agg(h.head_name, chr(31)) FILTER (WHERE vhh.n IS NULL) AS unvisited,
         string_agg(h.head_name, chr(31)) FILTER (WHERE vhh.diary IS NOT TRUE) AS no_diary,
         string_agg(h.head_name, chr(31)) FILTER (WHERE mh.plan IS NULL) AS no_plan_names,
         string_agg(h.head_name || chr(30) || mh.titles, chr(31)) FILTER (WHERE mh.overdue > 0) AS overdue_detail
  FROM pm JOIN household h ON h.id = pm.household_id
  LEFT JOIN vhh ON vhh.helper_id = pm.helper_id AND vhh.household_id = pm.household_id
  LEFT JOIN mh ON mh.household_id = pm.household_id
  GROUP BY pm.helper_id),
vh AS (
  SELECT helper_id, sum(n) AS n, sum(geo) AS geo, sum(flagged) AS flagged, sum(late) AS late, sum(returned) AS returned
  FROM vhh GROUP BY helper_id)
SELECT u.id, u.username, u.display_name, hagg.hh_count, hagg.days, coalesce(hagg.visited_days, 0), hagg.visited,
       coalesce(hagg.diary_days, 0), hagg.diary, hagg.due, hagg.done, hagg.overdue, hagg.no_plan, coalesce(vh.n, 0),
       coalesce(vh.geo, 0), coalesce(vh.flagged, 0), coalesce(vh.late, 0), coalesce(vh.returned, 0), hagg.village_id,
       hagg.unvisited, hagg.no_diary, hagg.no_plan_names, hagg.overdue_detail
FROM hagg JOIN "user" u ON u.id = hagg.helper_id LEFT JOIN vh ON vh.helper_id = hagg.helper_id
"""


# ------------------------------------------------------------------ data

def generate(n_helpers: int, per_helper: int, rng: random.Random):
    """Rows as tuples, in the column order of COLUMNS."""
    n_households = n_helpers * per_helper
    n_villages = max(1, n_households // 200)
    created = datetime(2023, 12, 1, tzinfo=timezone.utc)
    rows: dict[str, list[tuple]] = {k: [] for k in COLUMNS}
    rows["unit"].append((1, "基准乡", "township", 300))
    for v in range(1, n_villages + 1):
        rows["village"].append((v, 1, f"村{v:04d}", 30.0 + v * 0.001, 109.0, 2000))
    rows["user"].append((1, "admin", "管理员", "office_admin", 1, None, "x", True, 0, None, created))
    for h in range(1, n_helpers + 1):
        rows["user"].append((h + 1, f"helper{h:05d}", f"帮扶{h:05d}", "helper", 1, None, "x", True, 0, None, created))
    pairing_id = 0
    measure_id = 0
    visit_id = 0
    for hh in range(1, n_households + 1):
        village = (hh - 1) // 200 % n_villages + 1
        rows["household"].append((hh, village, f"户主{hh:05d}", f"B{hh:017d}", 3, "因病", "未脱贫", None, None,
                                  30.0 + village * 0.001, 109.0, "roster", created, created))
        helper = (hh - 1) // per_helper + 2
        spans = [(helper, date(2024, 1, 1), None)]
        if rng.random() < 0.05:  # re-paired mid-year: the month pro-rating has work to do
            change = date(YEAR, rng.randrange(1, 13), rng.randrange(1, 28))
            other = rng.randrange(2, n_helpers + 2)
            spans = [(helper, date(2024, 1, 1), change), (other, change, None)]
        for who, start, end in spans:
            pairing_id += 1
            rows["pairing"].append((pairing_id, who, hh, start, end, "结对", 1, created))
        for _ in range(2):
            measure_id += 1
            due = date(YEAR, rng.randrange(1, 13), rng.randrange(1, 29))
            done = datetime.combine(due - timedelta(days=rng.randrange(0, 20)), datetime.min.time(), timezone.utc) \
                if rng.random() < 0.7 else None
            rows["measure"].append((measure_id, hh, "产业", "发展养殖", due, "done" if done else "planned", 1, created,
                                    None, done))
        for month in range(1, 13):
            n = rng.choices((0, 1, 2), (10, 76, 14))[0]
            for _ in range(n):
                day = rng.randrange(1, 29)
                at = datetime(YEAR, month, day, rng.randrange(8, 18), rng.randrange(60), tzinfo=SHANGHAI).astimezone(timezone.utc)
                late = rng.random() < 0.03
                received = at + timedelta(hours=rng.uniform(80, 200) if late else rng.uniform(0, 2))
                who = spans[-1][0] if spans[-1][1] <= at.date() else spans[0][0]
                flagged = rng.random() < 0.05
                visit_id += 1
                rows["visit"].append((visit_id, str(uuid.UUID(int=rng.getrandbits(128))), hh, who, at, received,
                                      30.0, 109.0, 15.0, 900.0 if flagged else 40.0, not flagged,
                                      "入户了解情况，宣讲政策" if rng.random() > 0.02 else "", "", "", "{}",
                                      '["outside_geofence"]' if flagged else "[]", "0" * 64,
                                      "returned" if rng.random() < 0.01 else "pending"))
    return rows


COLUMNS = {
    "unit": ("id", "name", "kind", "geofence_m"),
    "village": ("id", "unit_id", "name", "latitude", "longitude", "geofence_m"),
    "user": ("id", "username", "display_name", "role", "unit_id", "village_id", "password_hash", "active",
             "session_version", "phone", "created_at"),
    "household": ("id", "village_id", "head_name", "citizen_id", "size", "poverty_cause", "status", "phone", "address",
                  "latitude", "longitude", "location_source", "created_at", "updated_at"),
    "pairing": ("id", "helper_id", "household_id", "start_date", "end_date", "reason", "created_by_id", "created_at"),
    "measure": ("id", "household_id", "category", "title", "due_date", "status", "created_by_id", "created_at",
                "done_visit_id", "done_at"),
    "visit": ("id", "client_uuid", "household_id", "helper_id", "checked_in_at", "received_at", "latitude", "longitude",
              "accuracy_m", "distance_m", "within_geofence", "notes", "problems", "next_steps", "checklist", "flags",
              "content_hash", "review_status"),
}
ORDER = ("unit", "village", "user", "household", "pairing", "measure", "visit")


def _sqlite_value(v):
    if isinstance(v, datetime):  # SQLAlchemy's storage format for DateTime on SQLite (naive UTC)
        return v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load_sqlite(engine, rows) -> None:
    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        con.execute("PRAGMA synchronous=OFF")
        con.execute("BEGIN")
        for table in ORDER:
            cols = COLUMNS[table]
            sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" for _ in cols)})'
            con.executemany(sql, ([_sqlite_value(v) for v in r] for r in rows[table]))
        con.execute("COMMIT")
        con.execute("PRAGMA synchronous=FULL")
    finally:
        raw.close()


def load_postgres(engine, rows) -> None:
    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        with con.cursor() as cur:
            for table in ORDER:
                cols = COLUMNS[table]
                with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                    for r in rows[table]:
                        copy.write_row(r)
            for table in ORDER:  # ids were given explicitly: move the sequences past them
                cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
            con.commit()
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        con.autocommit = False
    finally:
        raw.close()


# ------------------------------------------------------------------ timing

def interleaved(variants: dict, repeats: int) -> dict[str, float]:
    """Median seconds per variant; every round runs each variant once (after one warm-up round)."""
    for fn in variants.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(values) for name, values in times.items()}


def run(label: str, url: str, rows, repeats: int, month: str) -> dict:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import access, performance
    from webapp.web import rules

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url})
    sqlite = url.startswith("sqlite")
    out = {"db": label}
    with app.test_request_context():
        upgrade()
        t0 = time.perf_counter()
        (load_sqlite if sqlite else load_postgres)(db.engine, rows)
        out["load_s"] = time.perf_counter() - t0
        print(f"{label}: loaded in {out['load_s']:.1f} s", flush=True)
        counts = {t: db.session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                  for t in ("user", "household", "pairing", "measure", "visit")}
        out["counts"] = counts
        admin = db.session.get(User, 1)
        scoring = rules.scoring()
        p = performance.period(month, NOW, scoring.diary_deadline_day)
        cutoff = min(p.end + timedelta(days=1), NOW.astimezone(SHANGHAI).date())
        conv = _sqlite_value if sqlite else (lambda v: v)
        params = {"first": conv(p.start), "last": conv(p.end), "D": p.days, "start": conv(p.utc_start), "end": conv(p.utc_end),
                  "deadline": conv(p.deadline), "cutoff": conv(cutoff), "late_hours": app.config["LATE_ENTRY_HOURS"],
                  "unit": admin.unit_id}
        raw_sql = text(RAW_SQLITE if sqlite else RAW_POSTGRES)

        def compute():
            db.session.rollback()
            return performance.compute_month(scoring, month, access.helper_ids(admin), NOW, wide=True)

        def explained():
            db.session.rollback()
            results = performance.compute_month(scoring, month, access.helper_ids(admin), NOW, wide=True)
            for r in results:
                r.rules, r.flags  # build every explanation
            return results

        def page():
            db.session.rollback()
            return performance.month_results(scoring, admin, month, now=NOW)

        def raw():
            db.session.rollback()
            if not sqlite:  # the same session settings the service uses for its query
                db.session.execute(text("SET LOCAL jit = off"))
                db.session.execute(text("SET LOCAL work_mem = '32MB'"))
            return db.session.execute(raw_sql, params).all()

        def bare():
            db.session.rollback()
            return db.session.execute(text(BARE), {"start": conv(p.utc_start), "end": conv(p.utc_end)}).all()

        # interleaved: each round times every variant once, so a busy machine slows them alike
        timings = interleaved({"bare": bare, "raw": raw, "compute": compute, "explained": explained, "page": page}, repeats)
        for name, value in timings.items():
            out[f"{name}_s"] = value
        raw_rows, results = raw(), compute()
        out["helpers"] = len(results)
        out["month_visits"] = sum(r.visits for r in results)
        out["mismatches"] = compare(results, raw_rows, p.days)
        db.session.remove()
        db.engine.dispose()
    return out


def compare(results, raw_rows, days_in_month: int) -> int:
    """The service and the hand-written query must agree on every helper's numbers."""
    by_id = {r.helper_id: r for r in results}
    bad = 0 if len(by_id) == len(raw_rows) else abs(len(by_id) - len(raw_rows))
    for row in raw_rows:
        r = by_id.get(row[0])
        if r is None:
            bad += 1
            continue
        mine = (r.households_count, round(int(row[4]) / days_in_month, 2), r.households_visited, r.diary_households,
                r.measures_due, r.measures_done, r.measures_overdue, r.visits, r.visits_in_geofence, r.flagged_visits,
                r.late_visits, r.returned_visits)
        theirs = (row[3], r.households, row[6], row[8], row[9], row[10], row[11], row[13], row[14], row[15], row[16], row[17])
        if tuple(int(x) if not isinstance(x, float) else x for x in theirs) != mine:
            bad += 1
            if bad <= 3:
                print("mismatch", row[0], mine, theirs, flush=True)
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--helpers", type=int, default=10_000)
    ap.add_argument("--per-helper", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--month", default=f"{YEAR}-06")
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()

    load_before = f"{os.getloadavg()[0]:.2f}"
    t0 = time.perf_counter()
    rows = generate(args.helpers, args.per_helper, random.Random(6))
    print(f"generated {sum(len(v) for v in rows.values()):,} rows in {time.perf_counter() - t0:.1f} s "
          f"({len(rows['visit']):,} visits)", flush=True)
    results = []
    if args.db in ("sqlite", "both"):
        tmp = tempfile.mkdtemp(prefix="bangfu-bench-")
        try:
            results.append(run("SQLite", f"sqlite:///{tmp}/bench.sqlite", rows, args.repeats, args.month))
        finally:
            for f in Path(tmp).iterdir():
                f.unlink()
            os.rmdir(tmp)
    if args.db in ("postgres", "both"):
        base = make_url(args.pg)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = "bangfu_bench"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results.append(run("PostgreSQL", base.set(database=name).render_as_string(hide_password=False), rows,
                               args.repeats, args.month))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

    print()
    print(f"month {args.month}, {args.helpers:,} helpers, median of {args.repeats} interleaved rounds; "
          f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("| database | helpers | visits in month | hand-written raw query | compute_month | ratio "
          "| with all explanations | ranking (month_results) | bare visit aggregate |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['db']} | {r['helpers']:,} | {r['month_visits']:,} | {r['raw_s']:.3f} s | {r['compute_s']:.3f} s | "
              f"{r['compute_s'] / r['raw_s']:.2f}× | {r['explained_s']:.3f} s | {r['page_s']:.3f} s | "
              f"{r['bare_s']:.3f} s (compute = {r['compute_s'] / r['bare_s']:.1f}×) |")
    for r in results:
        print(f"{r['db']}: loaded {json.dumps(r['counts'])} in {r['load_s']:.1f} s; "
              f"helpers whose numbers differ between service and raw query: {r['mismatches']}")


if __name__ == "__main__":
    main()
