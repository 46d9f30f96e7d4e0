"""Bench: the office home (`GET /admin/`, with the month at a glance) at the demo size and at 10,000
households, on SQLite (scratch files).

- demo: `services.demo.seed` (the `make run` township: 3 villages, ~120 households);
- 10k: bench/performance.py's generator (2,500 helpers × 4 households = 10,000 households in 50
  villages, a year of visits), shifted so that this month has visits, pending leave and print jobs.

Times, through the test client (median of --repeats after one warm-up), the page and the fragment
it loads after itself (`GET /admin/glance/at-risk`: the helpers at risk of a flag), and apart the
glance's two parts: its SQL counts and the month's performance with every helper's flags
(`performance.month_results`, the unit ranking's own computation). Sizes: raw HTML and as sent (gzip).

    .venv/bin/python bench/office_home.py
    .venv/bin/python bench/office_home.py --helpers 2500 --repeats 5
"""
from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402


def _median_s(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _measure(label: str, app, admin_username: str, repeats: int) -> dict:
    from tests.support.login import login_session_only
    from webapp.extensions import db
    from webapp.models import Household, User
    from webapp.services import month_glance, performance
    from webapp.services.calendar import local_today
    from webapp.web import rules

    client = app.test_client()
    login_session_only(client, app, admin_username)

    def page():
        resp = client.get("/admin/", headers={"Accept-Encoding": "gzip"})
        assert resp.status_code == 200, resp.status_code
        return resp

    def at_risk_page():
        resp = client.get("/admin/glance/at-risk", headers={"Accept-Encoding": "gzip", "HX-Request": "true"})
        assert resp.status_code == 200, resp.status_code
        return resp

    def sizes(resp) -> tuple[float, float]:
        body = resp.get_data()
        raw = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
        return len(raw) / 1024, len(body) / 1024

    out = {"size": label, "page_s": _median_s(page, repeats), "at_risk_page_s": _median_s(at_risk_page, repeats)}
    out["html_kb"], out["sent_kb"] = sizes(page())
    out["at_risk_html_kb"], out["at_risk_sent_kb"] = sizes(at_risk_page())
    with app.test_request_context():
        admin = db.session.scalar(db.select(User).where(User.username == admin_username))
        out["households"] = db.session.scalar(db.select(db.func.count()).select_from(Household))
        month = f"{local_today():%Y-%m}"

        def perf():
            db.session.rollback()
            return [r.flags for r in performance.month_results(rules.scoring(), admin, month)]

        def counts():
            db.session.rollback()
            today = local_today()
            return (month_glance._village_counts(admin, today), month_glance._jobs(admin, today))

        out["performance_s"] = _median_s(perf, repeats)
        out["counts_s"] = _median_s(counts, repeats)
        out["at_risk"] = len(month_glance.at_risk(rules.scoring(), admin).helpers)
        db.session.remove()
    return out


def demo(repeats: int, tmp: Path) -> dict:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import demo as demo_data
    from webapp.web import rules

    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url,
                      "UPLOAD_DIR": str(tmp / "uploads")})
    with app.app_context():
        upgrade()
        demo_data.seed(rules.current(), random.Random(1))
        db.session.commit()
        db.session.remove()
    return _measure("demo", app, "admin", repeats)


def big(helpers: int, repeats: int, tmp: Path) -> dict:
    from flask_migrate import upgrade

    from bench import performance as perf_bench
    from tests.support.factories import _password_hash
    from webapp import create_app
    from webapp.extensions import db

    url = f"sqlite:///{tmp / 'big.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url})
    rows = perf_bench.generate(helpers, 4, random.Random(7))
    now = datetime.now(timezone.utc)
    shift_years = now.year - perf_bench.YEAR
    with app.app_context():
        upgrade()
        perf_bench.load_sqlite(db.engine, rows)
        # the generated year moved to this year, nothing after now: this month has visits
        for table, column in (("visit", "checked_in_at"), ("visit", "received_at"), ("measure", "done_at")):
            db.session.execute(text(f"UPDATE {table} SET {column} = datetime({column}, '+{shift_years} years') "
                                    f"WHERE {column} IS NOT NULL"))
        db.session.execute(text(f"UPDATE measure SET due_date = date(due_date, '+{shift_years} years')"))
        db.session.execute(text("DELETE FROM visit WHERE checked_in_at > :now"), {"now": now.strftime("%Y-%m-%d %H:%M:%S")})
        db.session.execute(text("UPDATE \"user\" SET password_hash = :h WHERE id = 1"), {"h": _password_hash()})
        # a first secretary per village (their leave waits for the office) and some print jobs
        villages = db.session.execute(text("SELECT id FROM village")).scalars().all()
        for v in villages:
            db.session.execute(text(
                "INSERT INTO \"user\" (username, display_name, role, unit_id, village_id, password_hash, active, "
                "session_version, created_at) VALUES (:u, :n, 'first_secretary', 1, :v, 'x', 1, 0, :c)"),
                {"u": f"sec{v:04d}", "n": f"书记{v:04d}", "v": v, "c": now.strftime("%Y-%m-%d %H:%M:%S")})
        start = (now + timedelta(days=3)).date().isoformat()
        db.session.execute(text(
            "INSERT INTO leave (user_id, kind, start_date, end_date, start_half, end_half, reason, status, created_at) "
            "SELECT id, '事假', :d, :d, 0, 0, '家中有事', 'pending', :c FROM \"user\" WHERE role = 'first_secretary'"),
            {"d": start, "c": now.strftime("%Y-%m-%d %H:%M:%S")})
        for status in ("queued", "running", "failed", "done"):
            db.session.execute(text(
                "INSERT INTO print_job (kind, params, requested_by_id, status, done, total, created_at) "
                "VALUES ('diaries', '{}', 1, :s, 0, 10, :c)"), {"s": status, "c": now.strftime("%Y-%m-%d %H:%M:%S")})
        db.session.commit()
        db.session.remove()
    return _measure(f"{helpers * 4:,} households", app, "admin", repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--helpers", type=int, default=2500, help="helpers of the big township (4 households each)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bangfu-office-home-") as d:
        tmp = Path(d)
        results = [demo(args.repeats, tmp), big(args.helpers, args.repeats, tmp)]
    print("| size | households | GET /admin/ | its SQL counts | HTML (sent gzip) | GET /admin/glance/at-risk "
          "| its month_results + flags | fragment (sent gzip) | at risk |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['size']} | {r['households']:,} | {r['page_s'] * 1000:.0f} ms | {r['counts_s'] * 1000:.0f} ms | "
              f"{r['html_kb']:.1f} KB ({r['sent_kb']:.1f} KB) | {r['at_risk_page_s'] * 1000:.0f} ms | "
              f"{r['performance_s'] * 1000:.0f} ms | {r['at_risk_html_kb']:.1f} KB ({r['at_risk_sent_kb']:.1f} KB) | "
              f"{r['at_risk']} |")

if __name__ == "__main__":
    main()
