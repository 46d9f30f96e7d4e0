"""Province size on PostgreSQL: 100,000 helpers, 400,000 households, a year of visits.

Builds in a scratch PostgreSQL database, with set-based SQL only (generate_series, INSERT …
SELECT; no ORM, no Python loop per row), a province of `--scale` × 100 townships (units), ten
townships to a county, each township 20 villages × 200 households (4,000) and 1,000 helpers with
4 households each; per village a first secretary and a team member who check in most working
days; 2 help measures per household; a year of visits up to today (each household about once a
month, some twice: ~12.6 a year, so ~5 million at full size; 5% outside the geofence, 3% entered
late, 1% sent back). Then measures:

1. in-process: a month of performance (`services.performance.compute_month`) for the whole
   province and for one county (10 townships);
2. the pages a person opens, through two gunicorn servers (tests/multiserver/cluster.py: one
   database, Redis, moto's S3 server) — a first secretary's village pages and the office's
   ranking page — server-side p50/p95 from the servers' access logs;
3. a visit POST and a photo POST (phone-sized JPEG, into the object store) alternating between
   the two servers, server-side p50/p95;
4. EXPLAIN (ANALYZE) of every statement those pages ran over --explain-ms, listing any
   sequential scan of a big table.

    .venv/bin/python bench/scale.py                 # full size (~5 M visits; ~10 GB of disk, long)
    .venv/bin/python bench/scale.py --scale 0.1     # 10,000 helpers (bench/performance.py's size)
    .venv/bin/python bench/scale.py --scale 0.1 --keep   # keep the database (bangfu_scale) afterwards
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench._common import DEFAULT_PG, PASSWORD, login, pct, phone_jpegs, scratch_dir, visit_body  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
VILLAGES_PER_UNIT = 20
HOUSEHOLDS_PER_VILLAGE = 200
HELPERS_PER_UNIT = 1000  # 4 households each
UNITS_PER_COUNTY = 10

# Every statement is set-based; :u units, :t0 the year's first instant, :days the year's length.
BUILD = [
    ("unit", """INSERT INTO unit (id, name, kind, geofence_m)
        SELECT u, '第' || ((u - 1) / 10 + 1) || '县第' || u || '乡', 'township', 300 FROM generate_series(1, :u) u"""),
    ("village", """INSERT INTO village (id, unit_id, name, latitude, longitude, geofence_m)
        SELECT v, (v - 1) / 20 + 1, '村' || v, 28 + (v % 200) * 0.02, 105 + (v / 200) * 0.02, 2000
        FROM generate_series(1, :u * 20) v"""),
    ("helpers", """INSERT INTO "user" (id, username, display_name, role, unit_id, password_hash, active,
                                      session_version, created_at)
        SELECT i, 'h' || i, '帮扶' || i, 'helper', (i - 1) / 1000 + 1, :pw, true, 0, :t0
        FROM generate_series(1, :u * 1000) i"""),
    ("teams", """INSERT INTO "user" (id, username, display_name, role, unit_id, village_id, password_hash, active,
                                    session_version, created_at)
        SELECT :u * 1000 + r * :u * 20 + v, CASE r WHEN 0 THEN 'sec' ELSE 'team' END || v,
               CASE r WHEN 0 THEN '书记' ELSE '队员' END || v, CASE r WHEN 0 THEN 'first_secretary' ELSE 'team_member' END,
               (v - 1) / 20 + 1, v, :pw, true, 0, :t0
        FROM generate_series(1, :u * 20) v, generate_series(0, 1) r"""),
    ("admins", """INSERT INTO "user" (id, username, display_name, role, unit_id, password_hash, active,
                                     session_version, created_at)
        SELECT :u * 1040 + u, 'admin' || u, '扶贫办' || u, 'office_admin', u, :pw, true, 0, :t0
        FROM generate_series(1, :u) u"""),
    ("household", """INSERT INTO household (id, village_id, head_name, citizen_id, size, poverty_cause, status,
                                           latitude, longitude, location_source, created_at, updated_at)
        SELECT h, (h - 1) / 200 + 1, '户主' || h, lpad(h::text, 18, '0'), 1 + h % 5,
               (ARRAY['因病','因残','因学','缺技术','缺劳力','其他'])[1 + h % 6], '未脱贫',
               28 + (((h - 1) / 200 + 1) % 200) * 0.02 + 0.001, 105 + (((h - 1) / 200 + 1) / 200) * 0.02 + 0.001,
               'manual', :t0, :t0
        FROM generate_series(1, :u * 4000) h"""),
    ("pairing", """INSERT INTO pairing (id, helper_id, household_id, start_date, reason, created_at)
        SELECT h, (h - 1) / 4 + 1, h, (:t0 - interval '30 days')::date, '', :t0 FROM generate_series(1, :u * 4000) h"""),
    ("measure", """INSERT INTO measure (id, household_id, category, title, due_date, status, created_at, done_at)
        SELECT m, (m + 1) / 2, (ARRAY['产业','就业','教育','健康','兜底'])[1 + m % 5], '帮扶措施' || m,
               (:t0 + (m % 360) * interval '1 day')::date, CASE WHEN m % 3 = 0 THEN 'done' ELSE 'planned' END, :t0,
               CASE WHEN m % 3 = 0 THEN :t0 + (m % 360) * interval '1 day' END
        FROM generate_series(1, :u * 8000) m"""),
    # a year: each household once in each 30-day slice (95%), a second time in 10% of them
    ("visit", """INSERT INTO visit (client_uuid, household_id, helper_id, checked_in_at, received_at, latitude, longitude,
                                   accuracy_m, distance_m, within_geofence, notes, problems, next_steps, checklist, flags,
                                   content_hash, review_status)
        SELECT gen_random_uuid()::text, h, (h - 1) / 4 + 1, at,
               at + CASE WHEN r < 0.03 THEN interval '100 hours' ELSE interval '20 minutes' END,
               28.0, 105.0, 15, CASE WHEN r < 0.05 THEN 900 ELSE 40 END, r >= 0.05,
               '入户了解家庭收支情况，宣讲产业奖补政策。', '', '下月回访。', '{}'::json,
               (CASE WHEN r < 0.05 THEN '["outside_geofence"]' ELSE '[]' END)::json, repeat('0', 64),
               CASE WHEN r < 0.01 THEN 'returned' WHEN r < 0.5 THEN 'reviewed' ELSE 'pending' END
        FROM (SELECT h, s, random() AS r,
                     :t0 + s * interval '30 days' + floor(random() * 29) * interval '1 day'
                         + (1 + floor(random() * 9)) * interval '1 hour' + floor(random() * 60) * interval '1 minute' AS at
              FROM generate_series(1, :u * 4000) h, generate_series(0, :slices - 1) s, generate_series(0, 1) k
              -- deterministic (a volatile random() here may be evaluated once per plan row or not)
              WHERE (k = 0 AND (h * 37 + s * 11) % 100 < 95) OR (k = 1 AND (h * 13 + s * 7) % 100 < 10)) x
        WHERE at < :now"""),
    ("checkin", """INSERT INTO checkin (client_uuid, user_id, village_id, checked_in_at, received_at, latitude, longitude,
                                       accuracy_m, distance_m, within_geofence, content_hash)
        SELECT gen_random_uuid()::text, u.id, u.village_id, d + interval '1 hour', d + interval '1 hour 1 minute',
               28.0, 105.0, 20, 100, true, repeat('0', 64)
        FROM "user" u, generate_series(:t0, :now - interval '1 day', interval '1 day') d
        WHERE u.role IN ('first_secretary', 'team_member') AND extract(isodow FROM d) < 6 AND random() < 0.85"""),
]


def build(url: str, scale: float, now: datetime) -> dict:
    """Migrate and fill the database; returns row counts and seconds per table."""
    from werkzeug.security import generate_password_hash

    env_url = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        from flask_migrate import upgrade

        from webapp import create_app

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale"})
        with app.app_context():
            upgrade()
            from webapp.extensions import db

            db.engine.dispose()
    finally:
        if env_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = env_url
    units = max(1, round(100 * scale))
    days = 365
    t0 = (now - timedelta(days=days)).astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    params = {"u": units, "pw": generate_password_hash(PASSWORD), "t0": t0, "now": now, "slices": days // 30 + 1}
    engine = create_engine(url)
    timings, counts = {}, {}
    with engine.begin() as c:
        for name, sql in BUILD:
            t = time.perf_counter()
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            c.execute(text(sql), used)
            timings[name] = time.perf_counter() - t
            print(f"  {name}: {timings[name]:.1f} s", flush=True)
        for table in ("unit", "village", "household", "pairing", "measure", "visit", "checkin"):
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        c.execute(text("""SELECT setval(pg_get_serial_sequence('"user"', 'id'), (SELECT max(id) FROM "user"))"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        t = time.perf_counter()
        c.execute(text("VACUUM ANALYZE"))
        timings["vacuum_analyze"] = time.perf_counter() - t
        for table in ("user", "household", "pairing", "measure", "visit", "checkin"):
            counts[table] = c.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
        counts["db_size"] = c.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    engine.dispose()
    return {"units": units, "counts": counts, "timings": timings, "t0": t0}


def month_performance(url: str, now: datetime, month: str, units: int, repeats: int) -> dict:
    """compute_month for the province and one county, in-process (what a report job would run)."""
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import performance
    from webapp.web import rules

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale"})
    out = {}
    scopes = {
        "province": select(User.id).where(User.role == "helper"),
        "county": select(User.id).where(User.role == "helper", User.unit_id <= min(units, UNITS_PER_COUNTY)),
        "township": select(User.id).where(User.role == "helper", User.unit_id == 1),
    }
    with app.test_request_context():
        for name, scope in scopes.items():
            times, n = [], 0
            for _ in range(repeats):
                db.session.rollback()
                t = time.perf_counter()
                # the whole province aggregates the month; a county or township probes its helpers
                # (as the pages do when the installation has more than one unit)
                results = performance.compute_month(rules.scoring(), month, scope, now, wide=name == "province")
                times.append(time.perf_counter() - t)
                n = len(results)
            out[name] = {"helpers": n, "median_s": statistics.median(times), "max_s": max(times)}
            print(f"  {name}: {n:,} helpers, median {out[name]['median_s']:.2f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return out


# ------------------------------------------------------------------ pages through two servers

ACCESS = re.compile(r"^(\d{3}) (\w+) (\S+) (\d+)$")


def _durations(nodes) -> list[tuple[int, str, str, int]]:
    out = []
    for node in nodes:
        path = node.log_dir / "gunicorn-access.log"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []:
            m = ACCESS.match(line.strip())
            if m:
                out.append((int(m[1]), m[2], m[3], int(m[4])))
    return out


def _page_name(method: str, path: str) -> str:
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}", "/<uuid>", path)
    path = re.sub(r"/\d+", "/<id>", path)
    return f"{method} {path}"


def pages(c, units: int, rounds: int, rng: random.Random) -> None:
    """First secretaries' village pages and office admins' ranking page, alternating servers."""
    villages = rng.sample(range(1, units * VILLAGES_PER_UNIT + 1), min(8, units * VILLAGES_PER_UNIT))
    admins = rng.sample(range(1, units + 1), min(4, units))
    secretary = ["/village/", "/village/team", "/village/helpers", "/performance/village", "/attendance/approvals",
                 "/attendance/today"]
    sessions = []
    for i, v in enumerate(villages):
        node = c.nodes[i % 2]
        s, _ = login(node.base, f"sec{v}")
        sessions.append((s, [*secretary, f"/households/{(v - 1) * HOUSEHOLDS_PER_VILLAGE + 1 + rng.randrange(200)}"]))
    for i, u in enumerate(admins):
        s, _ = login(c.nodes[i % 2].base, f"admin{u}")
        sessions.append((s, ["/performance/unit", "/"]))

    def worker(k: int) -> None:
        for r in range(rounds):
            for j, (s, urls) in enumerate(sessions):
                if j % 2 != k:
                    continue
                for url in urls:
                    node = c.nodes[(r + j) % 2]
                    resp = s.get(f"{node.base}{url}", timeout=120)
                    if resp.status_code != 200:
                        raise RuntimeError(f"{url}: {resp.status_code}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def fresh_helpers(url: str, units: int, k: int, rng: random.Random) -> list[int]:
    """k helpers with no visit in the last day: a run on a kept database the same day would
    otherwise pick helpers its last run filled up to the daily cap (422, not a figure)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        busy = set(conn.scalars(text("SELECT DISTINCT helper_id FROM visit WHERE checked_in_at >= :since"),
                                {"since": datetime.now(timezone.utc) - timedelta(days=1)}))
        names = dict(conn.execute(text("SELECT id, username FROM \"user\" WHERE role = 'helper'")).all())
    engine.dispose()
    free = [int(u[1:]) for i, u in names.items() if i not in busy and u[1:].isdigit()
            and int(u[1:]) <= units * HELPERS_PER_UNIT]
    return rng.sample(sorted(free), k)


def posts(c, units: int, n: int, rng: random.Random, url: str) -> None:
    """Visits and photos (into the object store) from helpers, alternating servers."""
    helpers = fresh_helpers(url, units, 10, rng)
    photos = phone_jpegs(n, seed=17)
    logged = []
    for i, h in enumerate(helpers):
        s, token = login(c.nodes[i % 2].base, f"h{h}")
        logged.append((s, token, h))

    def worker(k: int) -> None:
        for i in range(k, n, 2):
            s, token, h = logged[i % len(logged)]
            body = visit_body((h - 1) * 4 + 1 + i % 4, when=datetime.now(SHANGHAI) - timedelta(minutes=5))
            node = c.nodes[i % 2]
            r = s.post(f"{node.base}/api/v1/visits", json=body, headers={"X-CSRFToken": token}, timeout=120)
            if r.status_code != 201:
                raise RuntimeError(f"visit: {r.status_code} {r.text[:300]}")
            other = c.nodes[(i + 1) % 2]
            r = s.post(f"{other.base}/api/v1/visits/{body['client_uuid']}/photos", headers={"X-CSRFToken": token},
                       data={"client_uuid": str(uuid.uuid4())}, files={"photo": ("p.jpg", photos[i])}, timeout=120)
            if r.status_code != 201:
                raise RuntimeError(f"photo: {r.status_code} {r.text[:300]}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def http_figures(c, start_line_counts=None) -> dict[str, dict]:
    by: dict[str, list[int]] = {}
    for status, method, path, ms in _durations(c.nodes):
        if path.startswith(("/static", "/login", "/api/v1/csrf", "/logout")):
            continue
        by.setdefault(_page_name(method, path), []).append(float(ms))
    return {k: {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95), "max": max(v)} for k, v in sorted(by.items())}


# ------------------------------------------------------------------ EXPLAIN

BIG = ("visit", "household", "pairing", "measure", "checkin", "user", "photo")


def explain(url: str, month: str, units: int, threshold_ms: float) -> list[dict]:
    """Run the pages in-process with every statement recorded; EXPLAIN ANALYZE the slow ones."""
    from sqlalchemy import event

    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale",
                      "WTF_CSRF_ENABLED": False})
    seen: list[tuple[float, str, object, str, tuple[str, ...]]] = []
    current = {"page": ""}

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["t"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):
            ms = (time.perf_counter() - conn.info.pop("t", time.perf_counter())) * 1000
            if statement.lstrip().startswith("SELECT set_config("):  # the page's settings for its transaction
                conn.info["settings"] = conn.info.get("settings", ()) + (statement,)  # each stays till its end
            elif ms >= threshold_ms and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append((ms, statement, parameters, current["page"], conn.info.get("settings", ())))

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def ended(conn):
            conn.info.pop("settings", None)

    client = app.test_client()
    visits = [("sec1", ["/village/", "/village/team", "/village/helpers", "/performance/village",
                        "/attendance/approvals", "/households/5"]),
              ("admin1", ["/performance/unit"])]
    for user, urls in visits:
        client.post("/login", data={"username": user, "password": PASSWORD})
        for u in urls:
            current["page"] = u
            client.get(u)
        client.post("/logout")
    out = []
    raw = create_engine(url)
    with raw.connect() as c:
        for ms, statement, parameters, page, settings in sorted(seen, key=lambda x: -x[0])[:12]:
            dbapi = c.connection.dbapi_connection
            with dbapi.cursor() as cur:
                cur.execute("BEGIN")
                for setting in settings or ("SET LOCAL jit = off",):  # planned as the page planned it
                    cur.execute(setting)
                cur.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + statement, parameters)
                plan = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("ROLLBACK")
            seq = sorted({m for m in re.findall(r"Seq Scan on (\w+)", plan) if m in BIG})
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            out.append({"page": page, "ms": ms, "settings": bool(settings),
                        "explain_ms": float(took[1]) if took else None, "seq_scans": seq,
                        "sql": " ".join(statement.split())[:160], "plan": plan})
    raw.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the province (1.0 = 100,000 helpers)")
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG))
    ap.add_argument("--redis", default=os.environ.get("BANGFU_REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=6, help="page rounds per person")
    ap.add_argument("--posts", type=int, default=60, help="visits (each with a photo) posted")
    ap.add_argument("--explain-ms", type=float, default=20.0)
    ap.add_argument("--keep", action="store_true", help="keep the database (and reuse it next time)")
    ap.add_argument("--name", default="bangfu_scale", help="the database's name")
    args = ap.parse_args()

    now = datetime.now(timezone.utc)
    local = now.astimezone(SHANGHAI)
    month = (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # the last whole month
    base = make_url(args.pg)
    name = args.name
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists and not args.keep:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    load = f"{os.getloadavg()[0]:.2f}"
    try:
        if not exists:
            print(f"building scale {args.scale} …", flush=True)
            t = time.perf_counter()
            built = build(url, args.scale, now)
            built["total_s"] = time.perf_counter() - t
            print(f"built in {built['total_s']:.0f} s: {built['counts']}", flush=True)
        else:
            built = {"units": max(1, round(100 * args.scale)), "counts": {}, "timings": {}, "total_s": 0}
        units = built["units"]
        print(f"month {month} performance …", flush=True)
        perf = month_performance(url, now, month, units, args.repeats)
        print("EXPLAIN …", flush=True)
        plans = explain(url, month, units, args.explain_ms)
        print("two servers …", flush=True)
        from tests.multiserver.cluster import cluster

        with scratch_dir("bangfu-scale-") as tmp, cluster(tmp, args.pg, args.redis, workers=2, threads=4, seed=None,
                                                           database_url=url) as c:
            rng = random.Random(17)
            for node in c.nodes:  # warm each worker (imports, first connections) before measuring
                for _ in range(4):
                    import requests

                    requests.get(f"{node.base}/login", timeout=60)
            pages(c, units, 1, rng)  # warm-up round, not counted
            for node in c.nodes:
                (node.log_dir / "gunicorn-access.log").write_text("")
            pages(c, units, args.rounds, rng)
            posts(c, units, args.posts, rng, url)
            figures = http_figures(c)
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    print()
    print(f"scale {args.scale}: {units} townships; load average before/after {load} / {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    if built["counts"]:
        c = built["counts"]
        print(f"rows: {c['user']:,} users, {c['household']:,} households, {c['pairing']:,} pairings, "
              f"{c['measure']:,} measures, {c['visit']:,} visits, {c['checkin']:,} check-ins; database {c['db_size']}; "
              f"built in {built['total_s']:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in built['timings'].items())})")
    print()
    print(f"| month {month} performance (compute_month) | helpers | median | max |")
    print("| --- | ---: | ---: | ---: |")
    for k, v in perf.items():
        print(f"| {k} | {v['helpers']:,} | {v['median_s']:.2f} s | {v['max_s']:.2f} s |")
    print()
    print("| request (server-side, two gunicorn servers) | n | p50 | p95 | max |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for k, v in figures.items():
        print(f"| `{k}` | {v['n']} | {v['p50']:.0f} ms | {v['p95']:.0f} ms | {v['max']:.0f} ms |")
    print()
    print(f"statements over {args.explain_ms:.0f} ms on those pages (EXPLAIN ANALYZE):")
    for p in plans:
        print(f"- {p['page']}: {p['ms']:.0f} ms (explain {p['explain_ms']} ms"
              f"{', the page' + chr(39) + 's settings' if p['settings'] else ''}), seq scans of big tables: "
              f"{', '.join(p['seq_scans']) or 'none'} — {p['sql']}")
    if os.environ.get("SCALE_PLANS"):
        for p in plans:
            print("\n" + p["page"] + "\n" + p["plan"])


if __name__ == "__main__":
    main()
