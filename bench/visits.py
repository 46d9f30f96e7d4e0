"""Bench: a visit POST and a photo POST through the real server, as ratios to a bare Flask endpoint.

Starts two gunicorn servers on 127.0.0.1, each with 2 workers × 4 threads like `make run`:
- the app, on a scratch instance (SQLite in a temp folder, or --db postgresql), with one helper
  and one household;
- a bare Flask app with `POST /json` (parse the JSON body, answer 201 with JSON) and
  `POST /upload` (read a multipart file, answer 201 with its size): the floor a Python web
  request costs on this machine.

Then, one request at a time from one client (latency, not throughput), it times:
- visit:        POST /api/v1/visits (new client_uuid each time: validation, access, distance,
                flags, insert, commit);
- visit replay: the same body again (the outbox's retry: 200, nothing written);
- photo:        POST /api/v1/visits/<uuid>/photos with a 1600×1200 JPEG as the phone sends it
                (Pillow decode, orientation, re-encode 1600 + 320, sha256, two files, insert, flags);
- bare json / bare upload on the bare server with the same bodies.
and prints medians (after a warm-up) and the ratios to the bare JSON endpoint.

    .venv/bin/python bench/visits.py                       # SQLite
    .venv/bin/python bench/visits.py --db postgresql --repeats 300
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CST = timezone(timedelta(hours=8))


def bare_app():
    """The floor: Flask parsing a JSON body / a multipart file and answering JSON."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post("/json")
    def echo():
        data = request.get_json()
        return jsonify(id=1, client_uuid=data.get("client_uuid"), flags=[]), 201

    @app.post("/upload")
    def upload():
        f = request.files["photo"]
        return jsonify(id=1, size=len(f.read())), 201

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def gunicorn(target: str, env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def prepare_instance(instance: Path, db_url: str | None) -> dict:
    env = {**os.environ, "INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    if db_url:
        env["DATABASE_URL"] = db_url
    script = """
from webapp import create_app
from webapp.extensions import db
from flask_migrate import upgrade
from tests import factories
app = create_app()
with app.app_context():
    upgrade()
    u = factories.unit("压测乡")
    v = factories.village(u, "压测村", 30.30, 109.50)
    h = factories.user(u, "bench_helper", "helper")
    hh = factories.household(v, "压测户", 30.301, 109.501)
    factories.pair(h, hh)
    db.session.commit()
    print(hh.id)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return {"env": env, "household_id": int(out.stdout.strip().splitlines()[-1])}


def phone_jpeg() -> bytes:
    """What the phone uploads: a 1600×1200 JPEG at quality 0.85 with some detail."""
    rng = random.Random(1)
    img = Image.new("RGB", (1600, 1200), (120, 150, 200))
    d = ImageDraw.Draw(img)
    for _ in range(400):
        x, y = rng.randrange(1600), rng.randrange(1200)
        d.ellipse([x, y, x + rng.randrange(5, 120), y + rng.randrange(5, 120)],
                  fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def login(base: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    page = s.get(f"{base}/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    r = s.post(f"{base}/login", data={"username": "bench_helper", "password": "password-123", "csrf_token": token},
               allow_redirects=False)
    if r.status_code != 302:
        raise SystemExit(f"login failed: {r.status_code}")
    return s, s.get(f"{base}/api/v1/csrf").json()["csrf_token"]


def body(household_id: int) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()), "household_id": household_id,
        "checked_in_at": datetime.now(CST).replace(microsecond=0).isoformat(),
        "latitude": 30.3011, "longitude": 109.5012, "accuracy_m": 12.0,
        "notes": "入户了解家庭收支情况，宣讲产业奖补政策。", "problems": "", "next_steps": "下月回访。",
        "checklist": {c: {"ok": True, "note": ""} for c in ("food", "clothing", "education", "medical", "housing", "water")},
        "measures_done": [],
    }


def timed(fn, n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--photos", type=int, default=60)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bangfu-bench-visits-"))
    db_url = None
    admin = None
    if args.db == "postgresql":
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"bangfu_bench_visits_{uuid.uuid4().hex[:8]}"
        admin = create_engine(make_url(args.pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    procs = []
    try:
        inst = prepare_instance(tmp / "instance", db_url)
        app_port, bare_port = free_port(), free_port()
        procs.append(gunicorn("webapp:create_app()", inst["env"], app_port))
        procs.append(gunicorn("bench.visits:bare_app()", {**os.environ, "PYTHONPATH": str(ROOT)}, bare_port))
        app_url, bare_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        wait_up(f"{app_url}/login", procs[0])
        wait_up(f"{bare_url}/", procs[1])

        s, token = login(app_url)
        hdr = {"X-CSRFToken": token}
        hh = inst["household_id"]
        bare = requests.Session()
        jpeg = phone_jpeg()

        def post_visit():
            r = s.post(f"{app_url}/api/v1/visits", json=body(hh), headers=hdr)
            assert r.status_code == 201, r.text

        replay_body = body(hh)
        assert s.post(f"{app_url}/api/v1/visits", json=replay_body, headers=hdr).status_code == 201

        def replay():
            r = s.post(f"{app_url}/api/v1/visits", json=replay_body, headers=hdr)
            assert r.status_code == 200, r.text

        current = {"uuid": None, "n": 9}

        def post_photo():
            if current["n"] >= 9:  # at most 9 photos per visit: a new visit, untimed
                b = body(hh)
                s.post(f"{app_url}/api/v1/visits", json=b, headers=hdr)
                current.update(uuid=b["client_uuid"], n=0)
            files = {"photo": ("p.jpg", jpeg, "image/jpeg")}
            t = time.perf_counter()
            r = s.post(f"{app_url}/api/v1/visits/{current['uuid']}/photos", files=files,
                       data={"client_uuid": str(uuid.uuid4()), "captured_at": datetime.now(CST).isoformat()}, headers=hdr)
            dt = (time.perf_counter() - t) * 1000
            assert r.status_code == 201, r.text
            current["n"] += 1
            return dt

        def bare_json():
            r = bare.post(f"{bare_url}/json", json=body(hh))
            assert r.status_code == 201

        def bare_upload():
            r = bare.post(f"{bare_url}/upload", files={"photo": ("p.jpg", jpeg, "image/jpeg")},
                          data={"client_uuid": str(uuid.uuid4())})
            assert r.status_code == 201

        results = {
            "bare json": timed(bare_json, args.repeats),
            "bare upload": timed(bare_upload, args.photos),
            "visit": timed(post_visit, args.repeats),
            "visit replay": timed(replay, args.repeats),
        }
        for _ in range(3):
            post_photo()
        results["photo"] = [post_photo() for _ in range(args.photos)]

        base = statistics.median(results["bare json"])
        print(f"\nbench/visits.py — {args.db}, gunicorn 2 workers × 4 threads, 127.0.0.1, "
              f"photo {len(jpeg) // 1024} KB 1600×1200, {os.cpu_count()} CPUs")
        print(f"{'request':<14} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'× bare json':>12}")
        summary = {}
        for name, xs in results.items():
            med = statistics.median(xs)
            p90 = statistics.quantiles(xs, n=10)[-1]
            summary[name] = {"n": len(xs), "median_ms": round(med, 2), "p90_ms": round(p90, 2),
                             "ratio": round(med / base, 1)}
            print(f"{name:<14} {len(xs):>4} {med:>10.2f} {p90:>8.2f} {med / base:>11.1f}×")
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / f"visits-{args.db}.json").write_text(json.dumps(summary, indent=2))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if admin is not None:
            from sqlalchemy import text

            with admin.connect() as c:
                c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
