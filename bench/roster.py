"""Bench: a county's roster in one workbook — 20,000 households and 50,000 members.

Builds one .xlsx (a title row above the header, a 户表 sheet of households paired with 4,000
helpers, a 家庭成员 sheet), then on SQLite and on PostgreSQL times, with the office admin's unit
holding 4,000 helpers:

- preview: read the file and plan the import against the unit's data (what the web page shows
  before the admin confirms; nothing written);
- import: read, plan and write everything (households, members, pairings, audit), commit;
- re-import: the same file again (every row found, nothing changed).

Each database runs in a process of its own. Times are wall clock and the process's CPU time (the
machine may be shared: CPU time is what the import itself costs; PostgreSQL's own work is not in
it). Memory: the process's peak resident size (ru_maxrss) at the start (app, database, the file's
bytes) and after the preview, the import and the re-import (it only grows).

    .venv/bin/python bench/roster.py                  # both databases
    .venv/bin/python bench/roster.py --db sqlite --households 2000

PostgreSQL: a scratch database `bangfu_roster_bench` is created on --pg (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped at the end.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CAUSES = ["因病", "因残", "因学", "缺劳动力", "缺技术", "缺资金", "其它"]
STATUSES = ["脱贫户", "稳定脱贫", "监测对象", "未脱贫"]
STAGES = ["小学", "初中", "高中", "非在校生", "学前", "中职", "大专"]


def _id(rng: random.Random, n: int) -> str:
    from webapp.models.identity import id_check_char

    born = date(1940, 1, 1) + timedelta(days=rng.randrange(25000))
    first17 = f"4228{n // 1000 % 100:02d}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def build(households: int, members: int, helpers: int, seed: int = 14) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook()  # not write_only: that writes inline strings; Excel and WPS write shared strings
    hs = wb.active
    hs.title = "户表"
    hs.append(["清江县建档立卡贫困户花名册"])
    hs.append(["序号", "村名", "户主姓名", "身份证号码", "家庭人口（人）", "致贫原因", "脱贫属性", "联系电话", "家庭住址",
               "帮扶责任人"])
    ids = []
    seen = set()
    for i in range(households):
        cid = _id(rng, i)
        while cid in seen or cid.endswith("000"):
            cid = _id(rng, i + rng.randrange(1, 10**6))
        seen.add(cid)
        ids.append(cid)
        hs.append([i + 1, f"村{i % 200:03d}", f"户主{i}", cid, rng.randint(1, 8), rng.choice(CAUSES), rng.choice(STATUSES),
                   f"13{rng.randrange(10**9):09d}", f"村{i % 200:03d}{i % 12 + 1}组", f"helper{i % helpers}"])
    ms = wb.create_sheet("家庭成员")
    ms.append(["户主身份证号", "姓名", "与户主关系", "出生日期", "在读学段", "就读学校"])
    for j in range(members):
        head = ids[j % households]
        ms.append([head, f"成员{j}", rng.choice(["配偶", "之子", "之女", "孙子"]),
                   date(1950, 1, 1) + timedelta(days=rng.randrange(25000)), rng.choice(STAGES), "清江中学"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(label: str, url: str, path: str, helpers: int, tmp: str) -> dict:
    """One database, in this (fresh) process: preview, import, re-import."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Unit, User
    from webapp.services import roster

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url,
                      "UPLOAD_DIR": os.path.join(tmp, "uploads")})
    out = {"db": label}
    files = [("county.xlsx", Path(path).read_bytes())]
    with app.app_context():
        upgrade()
        unit = Unit(name="清江县")
        db.session.add(unit)
        db.session.flush()
        db.session.execute(User.__table__.insert(), [
            {"username": f"helper{i}", "display_name": f"帮扶{i}", "role": "helper", "unit_id": unit.id,
             "password_hash": "x", "active": True, "session_version": 0} for i in range(helpers)])
        db.session.commit()
        settings = roster.settings_from(app.config)
        unit_id = unit.id
        out["rss_start_mb"] = _rss_mb()

        def step(name: str, write: bool):
            wall, cpu = time.perf_counter(), time.process_time()
            parsed = roster.read(files, settings, roster.Options())
            t_read = time.perf_counter()
            u = db.session.get(Unit, unit_id)
            plan = roster.preview(parsed, u, settings)
            assert plan.ok, plan.errors[:5]
            t_plan = time.perf_counter()
            result = roster.write(plan, u, None) if write else None
            db.session.commit()
            end = time.perf_counter()
            out[name] = {"total": end - wall, "read": t_read - wall, "plan": t_plan - t_read, "write": end - t_plan,
                         "cpu": time.process_time() - cpu, "rss": _rss_mb()}
            print(f"{label} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in out[name].items()), flush=True)
            return result

        step("preview", False)
        result = step("import", True)
        again = step("reimport", True)
        assert (again.created, again.updated, again.unchanged) == (0, 0, result.created)
        counts = [db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("household", "member", "pairing")]
        assert counts == [result.created, result.members, result.pairings_changed], counts
        db.session.remove()
        db.engine.dispose()
    return out


def _child(label: str, url: str, path: str, helpers: int, tmp: str) -> dict:
    """Each database in its own process, so that its memory figures are its own."""
    cmd = [sys.executable, __file__, "--child", json.dumps([label, url, path, helpers, tmp])]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("INFO")]
    print("\n".join(lines[:-1]), flush=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run(*json.loads(args.child))))
        return
    helpers = max(1, args.households // 5)
    load_before = f"{os.getloadavg()[0]:.2f}"
    t0 = time.perf_counter()
    data = build(args.households, args.members, helpers)
    unzipped = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    print(f"built {len(data) / 1048576:.1f} MB ({unzipped / 1048576:.1f} MB unzipped) in {time.perf_counter() - t0:.1f} s",
          flush=True)
    results = []
    tmp = tempfile.mkdtemp(prefix="bangfu-roster-bench-")
    path = os.path.join(tmp, "county.xlsx")
    Path(path).write_bytes(data)
    if args.db in ("sqlite", "both"):
        results.append(_child("SQLite", f"sqlite:///{tmp}/bench.sqlite", path, helpers, tmp))
    if args.db in ("postgres", "both"):
        base = make_url(args.pg)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = "bangfu_roster_bench"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results.append(_child("PostgreSQL", base.set(database=name).render_as_string(hide_password=False), path,
                                  helpers, tmp))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"{args.households:,} households, {args.members:,} members, {helpers:,} helpers; file {len(data) / 1048576:.1f} MB "
          f"({unzipped / 1048576:.0f} MB unzipped); load average before/after: {load_before} / "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("| database | preview: wall (CPU) | of which reading the file | import: wall (CPU) | of which writing + commit "
          "| re-import: wall (CPU) | peak RSS: start → preview → import → re-import |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        p, i, a = r["preview"], r["import"], r["reimport"]
        print(f"| {r['db']} | {p['total']:.1f} s ({p['cpu']:.1f} s) | {p['read']:.1f} s | "
              f"{i['total']:.1f} s ({i['cpu']:.1f} s) | "
              f"{i['write']:.1f} s | {a['total']:.1f} s ({a['cpu']:.1f} s) | "
              f"{r['rss_start_mb']:.0f} → {p['rss']:.0f} → {i['rss']:.0f} → {a['rss']:.0f} MB |")

if __name__ == "__main__":
    main()
