"""Load: the Saturday burst. N helpers (default 200) each check in at a household (POST
/api/v1/visits) and send one photo (POST /api/v1/visits/<uuid>/photos) against gunicorn with
4 workers on 127.0.0.1, on SQLite and on PostgreSQL.

For each database: a scratch database (a temp SQLite file, or a PostgreSQL database created on
--pg's server and dropped at the end) is migrated and seeded with N helpers, one household each;
gunicorn starts on a free loopback port with its error log in a file; every helper logs in with
the login form (one session per helper, as on N phones). Then two rounds, one visit and one photo
per helper in each:
- spread:   the helpers start at random moments within --window seconds (default 120: the
            burst of a Saturday morning's first two minutes);
- stampede: all N start at the same instant (the worst case for the write lock).
Each photo is a different 1600×1200 JPEG (as the phone sends it after downsizing).

It reports, per round, p50/p95/max of the visit and photo POSTs as the client sees them (the
client runs on the same machine, so its time is in the figures too), every status code, and
after the server stopped: 5xx answers (client and gunicorn's access log), "database is locked"
and tracebacks in gunicorn's error log, and the rows in the database (one visit and one photo
per helper and round). Exit status 1 if anything failed. Bounded: every request has a timeout,
the rounds end when the last helper is done, the server and the database are removed.

    .venv/bin/python bench/load.py                        # both databases, 200 helpers
    .venv/bin/python bench/load.py --db sqlite --size 30 --window 10   # the small CI run
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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
    login,
    median,
    pct,
    phone_jpegs,
    prepare_instance,
    scratch_database,
    scratch_dir,
    stop,
    visit_body,
    wait_up,
)

TIMEOUT = 120  # seconds, per request


def _post(sess: requests.Session, url: str, rec: dict, **kw) -> requests.Response:
    """POST, sent once more if the connection dropped before any answer came (a kept-alive
    connection the server closed as the request left), as the phone's outbox does: the same body
    and client_uuid, so the server stores it once. Counted in rec["resent"]."""
    try:
        return sess.post(url, timeout=TIMEOUT, **kw)
    except requests.ConnectionError:
        rec["resent"] += 1
        return sess.post(url, timeout=TIMEOUT, **kw)


def one_helper(base: str, sess: requests.Session, token: str, household_id: int, photo: bytes,
               start_at: float, out: list) -> None:
    """Wait for this helper's moment, then the visit and its photo; results appended to out."""
    time.sleep(max(0.0, start_at - time.time()))
    rec = {"visit": None, "photo": None, "visit_ms": None, "photo_ms": None, "error": None, "resent": 0}
    hdr = {"X-CSRFToken": token}
    body = visit_body(household_id, datetime.now(CST))
    try:
        t = time.perf_counter()
        r = _post(sess, f"{base}/api/v1/visits", rec, json=body, headers=hdr)
        rec["visit_ms"] = (time.perf_counter() - t) * 1000
        rec["visit"] = r.status_code
        if r.status_code in (200, 201):
            t = time.perf_counter()
            r = _post(sess, f"{base}/api/v1/visits/{body['client_uuid']}/photos", rec, headers=hdr,
                      files={"photo": ("photo.jpg", photo, "image/jpeg")},
                      data={"client_uuid": str(uuid.uuid4()), "captured_at": datetime.now(CST).isoformat()})
            rec["photo_ms"] = (time.perf_counter() - t) * 1000
            rec["photo"] = r.status_code
            if r.status_code >= 400:
                rec["error"] = f"photo {r.status_code}: {r.text[:200]}"
        else:
            rec["error"] = f"visit {r.status_code}: {r.text[:200]}"
    except requests.RequestException as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
    out.append(rec)


def run_round(base: str, sessions, photos: list[bytes], window: float, rng: random.Random) -> dict:
    n = len(sessions)
    t0 = time.time() + 1.0
    offsets = sorted(rng.uniform(0, window) for _ in range(n)) if window > 0 else [0.0] * n
    rng.shuffle(offsets)
    out: list[dict] = []
    threads = [threading.Thread(target=one_helper, args=(base, s, tok, hh, photos[i], t0 + offsets[i], out))
               for i, (s, tok, hh) in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(window + 2 * TIMEOUT + 30)
    elapsed = time.time() - t0
    visit_ms = [r["visit_ms"] for r in out if r["visit"] in (200, 201)]
    photo_ms = [r["photo_ms"] for r in out if r["photo"] in (200, 201)]
    statuses = Counter(f"visit {r['visit']}" for r in out) + Counter(f"photo {r['photo']}" for r in out if r["photo"])
    return {
        "helpers": n, "window_s": window, "elapsed_s": round(elapsed, 1), "finished": len(out),
        "visit_ok": len(visit_ms), "photo_ok": len(photo_ms),
        "visit_p50_ms": round(median(visit_ms)), "visit_p95_ms": round(pct(visit_ms, 95)),
        "visit_max_ms": round(max(visit_ms, default=0)),
        "photo_p50_ms": round(median(photo_ms)), "photo_p95_ms": round(pct(photo_ms, 95)),
        "photo_max_ms": round(max(photo_ms, default=0)),
        "statuses": dict(sorted(statuses.items())),
        "client_5xx": sum(1 for r in out for k in ("visit", "photo") if (r[k] or 0) >= 500),
        "errors": [r["error"] for r in out if r["error"]][:10],
        "resent": sum(r["resent"] for r in out),  # sent again after a dropped connection (no answer)
    }


def count_rows(db_url: str) -> dict:
    from sqlalchemy import create_engine, text

    eng = create_engine(db_url)
    try:
        with eng.connect() as c:
            return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("visit", "photo")}
    finally:
        eng.dispose()


def run_db(kind: str, args) -> dict:
    with scratch_dir(f"bangfu-load-{kind}-") as tmp, scratch_database(kind, tmp, args.pg) as db_url:
        env = instance_env(tmp / "instance", db_url, tmp / "uploads")
        names = [f"load{i:04d}" for i in range(args.size)]
        t = time.time()
        seeded = prepare_instance(env, names, households=1)
        print(f"[{kind}] seeded {len(seeded)} helpers in {time.time() - t:.1f} s", flush=True)
        photos = phone_jpegs(args.size * 2, seed=7)
        port, err_log, acc_log = free_port(), tmp / "gunicorn-error.log", tmp / "gunicorn-access.log"
        proc = gunicorn("webapp:create_app()", env, port, workers=args.workers, threads=args.threads,
                        log_level="info", error_log=err_log, access_log=acc_log)
        base = f"http://127.0.0.1:{port}"
        result: dict = {"db": kind, "workers": args.workers, "threads": args.threads}
        try:
            wait_up(f"{base}/login", proc)
            t = time.time()
            with ThreadPoolExecutor(8) as pool:
                logged = list(pool.map(lambda name: login(base, name), names))
            result["login_s"] = round(time.time() - t, 1)
            print(f"[{kind}] {len(logged)} helpers logged in in {result['login_s']} s", flush=True)
            sessions = [(s, tok, hh[0]) for (s, tok), (_, hh) in zip(logged, seeded)]
            rng = random.Random(8)
            rounds = [(name, args.window if name == "spread" else 0.0) for name in args.rounds]
            for i, (name, window) in enumerate(rounds):
                res = run_round(base, sessions, photos[i * args.size:(i + 1) * args.size], window, rng)
                result[name] = res
                print(f"[{kind}] {name}: {res}", flush=True)
                time.sleep(1)
        finally:
            stop(proc)
            out = ROOT / "bench" / "out"
            out.mkdir(exist_ok=True)
            if err_log.exists():  # kept for reading after the scratch folder is gone
                (out / f"load-{kind}-gunicorn-error.log").write_bytes(err_log.read_bytes())
        log = err_log.read_text(encoding="utf-8", errors="replace")
        result["log_database_is_locked"] = len(re.findall(r"database is locked", log, re.I))
        result["log_tracebacks"] = log.count("Traceback (most recent call last)")
        codes = Counter(line.split(" ", 1)[0] for line in acc_log.read_text().splitlines() if line.strip())
        result["access_log_statuses"] = dict(sorted(codes.items()))
        result["access_log_5xx"] = sum(v for k, v in codes.items() if k.startswith("5"))
        result["rows"] = count_rows(db_url)
        if result["log_tracebacks"]:
            result["log_excerpt"] = log[log.index("Traceback"):][:3000]
        return result


def failures(r: dict, size: int, rounds: list[str]) -> list[str]:
    bad = []
    for name in rounds:
        res = r.get(name)
        if res is None:
            bad.append(f"{name}: did not run")
            continue
        if res["visit_ok"] != size or res["photo_ok"] != size:
            bad.append(f"{name}: {res['visit_ok']}/{size} visits, {res['photo_ok']}/{size} photos acknowledged")
        if res["client_5xx"]:
            bad.append(f"{name}: {res['client_5xx']} answers 5xx")
    if r["access_log_5xx"]:
        bad.append(f"{r['access_log_5xx']} 5xx in gunicorn's access log")
    if r["log_database_is_locked"]:
        bad.append(f"{r['log_database_is_locked']} 'database is locked' in gunicorn's error log")
    if r["log_tracebacks"]:
        bad.append(f"{r['log_tracebacks']} tracebacks in gunicorn's error log")
    n = len(rounds) * size
    if r["rows"] != {"visit": n, "photo": n}:
        bad.append(f"rows {r['rows']}, expected {n} visits and {n} photos")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default=DEFAULT_PG, help="a PostgreSQL server URL (a scratch database is made beside it)")
    ap.add_argument("--size", type=int, default=200, help="helpers (each: one visit and one photo per round)")
    ap.add_argument("--window", type=float, default=120, help="seconds over which the spread round's helpers arrive")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (make run uses 4)")
    ap.add_argument("--rounds", default="spread,stampede", help="which rounds, in order (comma-separated)")
    args = ap.parse_args()
    args.rounds = [r for r in args.rounds.split(",") if r]
    if not set(args.rounds) <= {"spread", "stampede"}:
        ap.error("--rounds: spread and/or stampede")

    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results, bad = [], []
    for kind in kinds:
        r = run_db(kind, args)
        results.append(r)
        bad += [f"{kind}: {b}" for b in failures(r, args.size, args.rounds)]

    load = os.getloadavg()
    print(f"\nbench/load.py — {args.size} helpers, one visit + one 1600×1200 photo each per round; gunicorn "
          f"{args.workers} workers × {args.threads} threads on 127.0.0.1; {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at the end")
    print(f"{'db':<11} {'round':<9} {'elapsed s':>9} {'visit p50':>9} {'p95':>6} {'max':>6} "
          f"{'photo p50':>9} {'p95':>6} {'max':>6}  ok v/p    5xx")
    for r in results:
        for name in ("spread", "stampede"):
            x = r.get(name)
            if x:
                print(f"{r['db']:<11} {name:<9} {x['elapsed_s']:>9} {x['visit_p50_ms']:>9} {x['visit_p95_ms']:>6} "
                      f"{x['visit_max_ms']:>6} {x['photo_p50_ms']:>9} {x['photo_p95_ms']:>6} {x['photo_max_ms']:>6}"
                      f"  {x['visit_ok']}/{x['photo_ok']}  {x['client_5xx']:>5}")
        print(f"{r['db']:<11} gunicorn log: {r['access_log_5xx']} × 5xx, {r['log_database_is_locked']} × "
              f"'database is locked', {r['log_tracebacks']} tracebacks; rows {r['rows']}; "
              f"{args.size} logins in {r['login_s']} s")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    for r in results:
        (out / f"load-{r['db']}.json").write_text(json.dumps(r, indent=2, ensure_ascii=False))
    if bad:
        print("\nFAILED:\n  " + "\n  ".join(bad))
        return 1
    print("\nOK: every visit and photo acknowledged, no 5xx, no 'database is locked'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
