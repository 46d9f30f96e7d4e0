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
import json
import os
import statistics
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    CST,
    DEFAULT_PG,
    ROOT,
    free_port,
    gunicorn,
    instance_env,
    lift_daily_caps,
    login,
    phone_jpeg,
    prepare_instance,
    scratch_database,
    scratch_dir,
    stop,
    visit_body,
    wait_up,
)


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


def body(household_id: int) -> dict:
    return visit_body(household_id, datetime.now(CST))


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
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--photos", type=int, default=60)
    args = ap.parse_args()

    procs = []
    with scratch_dir("bangfu-bench-visits-") as tmp, scratch_database(args.db, tmp, args.pg) as db_url:
        env = instance_env(tmp / "instance", db_url)
        lift_daily_caps(tmp / "instance")  # hundreds of visits from one helper
        (_, (hh,)), = prepare_instance(env, ["bench_helper"])
        app_port, bare_port = free_port(), free_port()
        procs.append(gunicorn("webapp:create_app()", env, app_port))
        procs.append(gunicorn("bench.visits:bare_app()", {**os.environ, "PYTHONPATH": str(ROOT)}, bare_port))
        app_url, bare_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        try:
            wait_up(f"{app_url}/login", procs[0])
            wait_up(f"{bare_url}/", procs[1])
            _measure(args, app_url, bare_url, hh)
        finally:
            for p in procs:
                stop(p)


def _measure(args, app_url: str, bare_url: str, hh: int) -> None:
    s, token = login(app_url, "bench_helper")
    hdr = {"X-CSRFToken": token}
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


if __name__ == "__main__":
    main()
