"""Bench: the work-team summary (days in the village, check-ins, leave, absences, pace) for a quarter.

Generates one unit with 30 villages, each with a team of 5 (a first secretary and 4 members),
a quarter of check-ins (about 1.3 a day on 80% of days, some outside the geofence) and a few
leaves each, on SQLite and on PostgreSQL, then times (median of repeats, after one warm-up):

- summary: services.attendance.team_summary(rules, village, quarter) — what the first secretary's table
  and GET /api/v1/attendance/summary compute (one grouped query over (member, local day), one
  leave query, then the calendar in Python);
- raw: the bare grouped query alone (check-ins and days in the village per member), fetched from
  the driver — the floor;
- naive: the same numbers with one query per member per day (what the summary avoids);
- unit: team_summary for all 30 villages (the office's view, one after another).

    .venv/bin/python bench/attendance.py               # both databases
    .venv/bin/python bench/attendance.py --db sqlite

PostgreSQL: a scratch database `bangfu_bench_att` is created on --pg (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped at the end.
"""
from __future__ import annotations

import argparse
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
QUARTER = (2026, 2)
TODAY = date(2026, 6, 30)
VILLAGES = 30
TEAM = 5


def _median(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _seed(db, models, attendance, att) -> None:
    rng = random.Random(5)
    unit = models.Unit(name="基准乡")
    db.session.add(unit)
    db.session.flush()
    q = attendance.quarter_period(*QUARTER)
    posted = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    rows = []
    for i in range(VILLAGES):
        v = models.Village(unit_id=unit.id, name=f"村{i:02d}", latitude=30 + i * 0.05, longitude=109.5)
        db.session.add(v)
        db.session.flush()
        for j in range(TEAM):
            u = models.User(username=f"t{i:02d}{j}", display_name=f"队员{i}-{j}", unit_id=unit.id, village_id=v.id,
                            role="first_secretary" if j == 0 else "team_member", password_hash="x", created_at=posted)
            db.session.add(u)
            db.session.flush()
            lv_start = q.start + timedelta(days=rng.randrange(0, 80))
            db.session.add(models.Leave(user_id=u.id, start_date=lv_start, end_date=lv_start + timedelta(days=1),
                                        kind="事假", reason="基准", status="approved"))
            for d in q.dates():
                if rng.random() > 0.8:
                    continue
                for _ in range(1 if rng.random() < 0.7 else 2):
                    far = rng.random() < 0.05
                    lat = v.latitude + (0.09 if far else rng.uniform(-0.005, 0.005))
                    at = datetime(d.year, d.month, d.day, rng.randrange(7, 19), rng.randrange(60), tzinfo=SHANGHAI)
                    distance, within = attendance.locate(att, v, lat, v.longitude)
                    rows.append(dict(client_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)), user_id=u.id,
                                     village_id=v.id, checked_in_at=at.astimezone(timezone.utc),
                                     received_at=at.astimezone(timezone.utc), latitude=lat, longitude=v.longitude,
                                     accuracy_m=10.0, distance_m=distance, within_geofence=within,
                                     content_hash="0" * 64))
    db.session.execute(models.Checkin.__table__.insert(), rows)
    db.session.commit()
    print(f"  seeded {VILLAGES} villages × {TEAM} people, {len(rows)} check-ins")


def run(url: str, label: str, repeats: int) -> dict:
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url,
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="bench-att-up-")})
    with app.app_context():
        from flask_migrate import upgrade

        from webapp import models
        from webapp.services import attendance
        from webapp.web import rules

        upgrade()
        att = rules.attendance()
        _seed(db, models, attendance, att)
        q = attendance.quarter_period(*QUARTER)
        villages = db.session.scalars(db.select(models.Village).order_by(models.Village.id)).all()
        village = villages[0]
        team = attendance.team(village)
        ids = [u.id for u in team]
        lo, hi = q.utc_range()

        def summary():
            db.session.expire_all()
            s = attendance.team_summary(att, village, q, today=TODAY)
            assert len(s.members) == TEAM

        def raw():
            sql = ("SELECT user_id, count(*), count(DISTINCT CASE WHEN within_geofence THEN {day} END) FROM checkin "
                   "WHERE user_id IN ({ids}) AND checked_in_at >= :lo AND checked_in_at < :hi GROUP BY user_id")
            day = ("date(substr(checked_in_at, 1, 19), '+480 minutes')" if label == "sqlite"
                   else "CAST(timezone('Asia/Shanghai', checked_in_at) AS DATE)")
            lo_b, hi_b = (lo.replace(tzinfo=None), hi.replace(tzinfo=None)) if label == "sqlite" else (lo, hi)
            return db.session.execute(text(sql.format(day=day, ids=",".join(map(str, ids)))),
                                      {"lo": lo_b, "hi": hi_b}).all()

        def naive():
            out = {}
            for u in team:
                days = 0
                for d in q.dates():
                    start = datetime(d.year, d.month, d.day, tzinfo=SHANGHAI).astimezone(timezone.utc)
                    n = db.session.scalar(db.select(db.func.count()).select_from(models.Checkin).where(
                        models.Checkin.user_id == u.id, models.Checkin.within_geofence.is_(True),
                        models.Checkin.checked_in_at >= start, models.Checkin.checked_in_at < start + timedelta(days=1)))
                    days += 1 if n else 0
                out[u.id] = days
            return out

        def unit():
            db.session.expire_all()
            for v in villages:
                attendance.team_summary(att, v, q, today=TODAY)

        # the three ways agree
        s = {m.user.id: m for m in attendance.team_summary(att, village, q, today=TODAY).members}
        r = {uid: (n, d) for uid, n, d in raw()}
        assert all(s[uid].days_in_village == r[uid][1] and s[uid].checkins == r[uid][0] for uid in ids), (s, r)
        assert naive() == {uid: s[uid].days_in_village for uid in ids}

        out = {
            "summary": _median(summary, repeats),
            "raw": _median(raw, repeats),
            "naive": _median(naive, max(3, repeats // 5)),
            "unit": _median(unit, max(3, repeats // 5)),
        }
        db.session.remove()
        db.engine.dispose()
    print(f"  team summary, one village, one quarter: {out['summary'] * 1000:.1f} ms "
          f"(raw grouped query {out['raw'] * 1000:.1f} ms → ×{out['summary'] / out['raw']:.1f}; "
          f"query per member per day {out['naive'] * 1000:.0f} ms → the summary is ×{out['naive'] / out['summary']:.0f} faster)")
    print(f"  all {VILLAGES} villages of the unit: {out['unit'] * 1000:.0f} ms")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--repeats", type=int, default=25)
    args = ap.parse_args()
    if args.db in ("sqlite", "both"):
        tmp = tempfile.mkdtemp(prefix="bench-att-")
        print("SQLite")
        run(f"sqlite:///{tmp}/bench.sqlite", "sqlite", args.repeats)
    if args.db in ("postgresql", "both"):
        base = make_url(args.pg)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = "bangfu_bench_att"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print("PostgreSQL")
            run(base.set(database=name).render_as_string(hide_password=False), "postgresql", args.repeats)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


if __name__ == "__main__":
    main()
