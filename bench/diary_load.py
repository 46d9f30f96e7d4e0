"""Diary rendering under load: while 8 requests for the largest diary the caps allow
run, does another user's ordinary page stay fast?

A scratch instance (SQLite by default, `--db postgresql` for a scratch PostgreSQL database) gets
a helper whose month is as large as the daily caps allow: VISIT_DAILY_MAX (10) visits on every
day of March 2026, VISIT_DAILY_TEXT_MAX (20,000) characters of Chinese text each day, 4 photos per
visit (the diary prints 4 thumbnails). Then gunicorn with 2 workers × 4 threads (as `make run`)
on 127.0.0.1, and:

1. the caps through the API: the big helper sends 10 visits for today (201), the 11th is refused
   (422), a replay of the 3rd answers 200;
2. baseline: another helper's home page (`GET /`) requested back to back for --baseline seconds;
3. load: 8 sessions of the big helper each ask for the diary (`/reports/diary/<id>/2026-03.pdf`)
   again and again (a new request as soon as the previous answer came, after 0.5 s on a 429/503)
   for --duration seconds, while the other helper's page is requested back to back.

It reports the page's p50/p95/max in each phase and every diary answer (status, time, PDF pages).
Bounded: each request has a timeout, the phases have deadlines, the server and the scratch data
are removed at the end. Exit status 1 if the page's p95 under load is 1 s or more, or any 5xx
other than the pool's 503 appeared.

    .venv/bin/python bench/diary_load.py                    # SQLite, 90 s of load (≈ 3 min)
    .venv/bin/python bench/diary_load.py --db postgresql
    .venv/bin/python bench/diary_load.py --duration 30 --days 10   # a quick run
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    CST,
    DEFAULT_PG,
    ROOT,
    free_port,
    gunicorn,
    instance_env,
    login,
    median,
    pct,
    scratch_database,
    scratch_dir,
    stop,
    visit_body,
    wait_up,
)

MONTH = "2026-03"
TIMEOUT = 240  # seconds, per request

SEED = r"""
import json, random, sys
from datetime import datetime, timedelta, timezone
from flask_migrate import upgrade
from webapp import create_app
from webapp.extensions import db
from tests.support import factories as f
spec = json.loads(sys.argv[1])
CST = timezone(timedelta(hours=8))
app = create_app()
rng = random.Random(11)
words = [chr(c) for c in range(0x4e00, 0x4e00 + 3000)]
def text(n):
    return "".join("，" if i % 23 == 22 else "。" if i % 97 == 96 else rng.choice(words) for i in range(n))
with app.app_context():
    upgrade()
    cfg = app.config
    per_day, chars = int(cfg["VISIT_DAILY_MAX"]), int(cfg["VISIT_DAILY_TEXT_MAX"])
    per_visit = chars // per_day
    u = f.unit("压测乡")
    v = f.village(u, "压测村", 30.30, 109.50)
    big = f.user(u, "big", "helper", name="大日志")
    other = f.user(u, "other", "helper", name="别的人")
    households = [f.household(v, f"压测户{k + 1}", 30.301, 109.501) for k in range(cfg["HOUSEHOLD_LIMIT"])]
    for hh in households:
        f.pair(big, hh)
    mine = f.household(v, "另一户", 30.302, 109.502)
    f.pair(other, mine)
    thumbs = [f.thumb_jpeg(seed=s) for s in range(8)]
    n_visits = n_photos = n_chars = 0
    for day in range(spec["days"]):
        for k in range(per_day):
            at = datetime(2026, 3, day + 1, 8, tzinfo=CST) + timedelta(minutes=50 * k)
            visit = f.visit_row(big.id, households[k % len(households)].id, at, notes=text(per_visit - 2 * (per_visit // 5)),
                                problems=text(per_visit // 5), next_steps=text(per_visit // 5))
            n_chars += len(visit.notes) + len(visit.problems) + len(visit.next_steps)
            for p in range(spec["photos"]):
                f.photo_row(visit, thumb=thumbs[(k + p) % len(thumbs)])
                n_photos += 1
            n_visits += 1
        db.session.commit()
    print(json.dumps({"big": big.id, "other": other.id, "households": [h.id for h in households],
                      "visits": n_visits, "photos": n_photos, "chars": n_chars,
                      "per_day": per_day, "chars_per_day": chars}))
"""


def seed(env: dict, days: int, photos: int) -> dict:
    out = subprocess.run([sys.executable, "-c", SEED, json.dumps({"days": days, "photos": photos})], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_caps(base: str, household_id: int) -> dict:
    """10 visits today through the API, the 11th refused, a replay answered 200."""
    s, token = login(base, "big")
    hdr = {"X-CSRFToken": token}
    codes, bodies = [], []
    now = datetime.now(CST).replace(microsecond=0)
    for i in range(11):
        body = visit_body(household_id, now, notes=f"第 {i + 1} 次入户走访记录。")
        bodies.append(body)
        codes.append(s.post(f"{base}/api/v1/visits", json=body, headers=hdr, timeout=60).status_code)
    refused = s.post(f"{base}/api/v1/visits", json=bodies[-1], headers=hdr, timeout=60)
    replay = s.post(f"{base}/api/v1/visits", json=bodies[2], headers=hdr, timeout=60).status_code
    return {"statuses": codes, "refused_again": refused.status_code, "message": refused.json().get("errors"),
            "replay": replay}


def page_loop(sess: requests.Session, base: str, stop_at: float, out: list) -> None:
    while time.time() < stop_at:
        t = time.perf_counter()
        try:
            r = sess.get(f"{base}/", timeout=TIMEOUT)
            out.append(((time.perf_counter() - t) * 1000, r.status_code))
        except requests.RequestException as exc:
            out.append(((time.perf_counter() - t) * 1000, type(exc).__name__))
        time.sleep(0.05)


def diary_loop(sess: requests.Session, url: str, stop_at: float, out: list) -> None:
    from pypdf import PdfReader

    while time.time() < stop_at:
        t = time.perf_counter()
        rec = {"start_s": time.time()}
        try:
            r = sess.get(url, timeout=TIMEOUT)
            rec.update(status=r.status_code, ms=(time.perf_counter() - t) * 1000, bytes=len(r.content))
            if r.status_code == 200:
                rec["pages"] = len(PdfReader(io.BytesIO(r.content)).pages)
            elif r.status_code in (429, 503, 422):
                rec["text"] = _message(r.text)
                time.sleep(0.5)
        except requests.RequestException as exc:
            rec.update(status=type(exc).__name__, ms=(time.perf_counter() - t) * 1000)
        out.append(rec)


def _message(html: str) -> str:
    import re

    for phrase in ("正在生成，请稍后再试", "正在生成的文档较多，请稍后再试", "文档生成超时", "超过一次可打印"):
        if phrase in html:
            return phrase
    m = re.search(r"<p[^>]*>([^<]{4,120})</p>", html)
    return m.group(1) if m else html[:80]


def summary(samples: list) -> dict:
    ms = [m for m, code in samples if code == 200]
    return {"requests": len(samples), "ok": len(ms), "p50_ms": round(median(ms)), "p95_ms": round(pct(ms, 95)),
            "max_ms": round(max(ms, default=0)), "statuses": dict(Counter(str(c) for _, c in samples))}


def run(kind: str, args) -> dict:
    with scratch_dir(f"bangfu-diary-{kind}-") as tmp, scratch_database(kind, tmp, args.pg) as db_url:
        env = instance_env(tmp / "instance", db_url, tmp / "uploads")
        t = time.time()
        world = seed(env, args.days, args.photos)
        print(f"[{kind}] seeded {world['visits']} visits, {world['photos']} photos, {world['chars']:,} characters "
              f"in {time.time() - t:.0f} s", flush=True)
        port, err_log = free_port(), tmp / "gunicorn-error.log"
        proc = gunicorn("webapp:create_app()", env, port, workers=args.workers, threads=args.threads,
                        log_level="info", error_log=err_log)
        base = f"http://127.0.0.1:{port}"
        result: dict = {"db": kind, "seeded": world, "workers": args.workers, "threads": args.threads}
        try:
            wait_up(f"{base}/login", proc)
            result["caps"] = check_caps(base, world["households"][0])
            print(f"[{kind}] caps: {result['caps']}", flush=True)
            viewer, _ = login(base, "other")
            viewer.get(f"{base}/", timeout=TIMEOUT)  # warm
            samples: list = []
            page_loop(viewer, base, time.time() + args.baseline, samples)
            result["page_idle"] = summary(samples)
            print(f"[{kind}] page, idle: {result['page_idle']}", flush=True)

            sessions = [login(base, "big")[0] for _ in range(args.requests)]
            url = f"{base}/reports/diary/{world['big']}/{MONTH}.pdf"
            stop_at = time.time() + args.duration
            diary: list = []
            samples = []
            threads = [threading.Thread(target=diary_loop, args=(s, url, stop_at, diary)) for s in sessions]
            t0 = time.time()
            for th in threads:
                th.start()
            time.sleep(0.5)  # the 8 requests are in
            page_loop(viewer, base, stop_at, samples)
            for th in threads:
                th.join(TIMEOUT + 30)
            result["load_s"] = round(time.time() - t0, 1)
            result["page_loaded"] = summary(samples)
            ok = [d for d in diary if d["status"] == 200]
            result["diary"] = {
                "requests": len(diary), "statuses": dict(Counter(str(d["status"]) for d in diary)),
                "ok_ms": [round(d["ms"]) for d in ok], "pages": sorted({d.get("pages") for d in ok}),
                "mbytes": sorted({round(d["bytes"] / 1048576, 1) for d in ok}),
                "refused_p95_ms": round(pct([d["ms"] for d in diary if d["status"] != 200], 95)),
                "messages": dict(Counter(d.get("text", "") for d in diary if d["status"] != 200)),
            }
            print(f"[{kind}] page under load: {result['page_loaded']}", flush=True)
            print(f"[{kind}] diary: {result['diary']}", flush=True)
        finally:
            stop(proc)
        log = err_log.read_text(encoding="utf-8", errors="replace")
        result["log_tracebacks"] = log.count("Traceback (most recent call last)")
        if result["log_tracebacks"]:
            result["log_excerpt"] = log[log.index("Traceback"):][:3000]
        return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    ap.add_argument("--pg", default=DEFAULT_PG, help="a PostgreSQL server URL (a scratch database is made beside it)")
    ap.add_argument("--days", type=int, default=31, help="days of March filled to the daily caps")
    ap.add_argument("--photos", type=int, default=4, help="photos per visit")
    ap.add_argument("--requests", type=int, default=8, help="concurrent diary requests")
    ap.add_argument("--duration", type=float, default=90, help="seconds of load")
    ap.add_argument("--baseline", type=float, default=10, help="seconds of the idle page before the load")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results, bad = [], []
    for kind in kinds:
        r = run(kind, args)
        results.append(r)
        if r["page_loaded"]["p95_ms"] >= 1000:
            bad.append(f"{kind}: the page's p95 under load is {r['page_loaded']['p95_ms']} ms")
        fives = [c for c in r["diary"]["statuses"] if c.startswith("5") and c != "503"]
        fives += [c for c in r["page_loaded"]["statuses"] if c != "200"]
        if fives:
            bad.append(f"{kind}: unexpected answers {fives}")
        if r["log_tracebacks"]:
            bad.append(f"{kind}: {r['log_tracebacks']} tracebacks in gunicorn's error log")
        caps = r["caps"]
        if caps["statuses"] != [201] * 10 + [422] or caps["replay"] != 200:
            bad.append(f"{kind}: caps {caps}")
    load = os.getloadavg()
    print(f"\nbench/diary_load.py — {args.requests} requests for the largest diary, gunicorn {args.workers} workers × "
          f"{args.threads} threads; {os.cpu_count()} CPUs, load average {load[0]:.1f} at the end")
    for r in results:
        s = r["seeded"]
        print(f"{r['db']}: month of {s['visits']} visits ({s['per_day']}/day), {s['chars']:,} characters "
              f"({s['chars_per_day']:,}/day), {s['photos']} photos")
        print(f"  other user's page  idle p50 {r['page_idle']['p50_ms']} ms p95 {r['page_idle']['p95_ms']} ms | under load "
              f"p50 {r['page_loaded']['p50_ms']} ms p95 {r['page_loaded']['p95_ms']} ms max {r['page_loaded']['max_ms']} ms "
              f"({r['page_loaded']['requests']} requests in {r['load_s']} s)")
        d = r["diary"]
        print(f"  diary answers {d['statuses']}; rendered in {d['ok_ms']} ms, {d['pages']} pages, {d['mbytes']} MB; "
              f"refusals p95 {d['refused_p95_ms']} ms: {d['messages']}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    for r in results:
        (out / f"diary-load-{r['db']}.json").write_text(json.dumps(r, indent=2, ensure_ascii=False))
    if bad:
        print("\nFAILED:\n  " + "\n  ".join(bad))
        return 1
    print("\nOK: the other user's page stayed under 1 s at p95")
    return 0


if __name__ == "__main__":
    sys.exit(main())
