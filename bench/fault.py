"""Fault: SIGKILL the server while the phones' outboxes are sending visits, restart it, and check
that the database holds exactly what the clients were told, once.

For each database: a scratch database (a temp SQLite file, or a PostgreSQL database created on
--pg's server and dropped at the end), helpers with one household each, gunicorn with 4 workers
on 127.0.0.1. --concurrency clients (one logged-in session each) send --size visits (default
1,000), each with its own client_uuid, the way the outbox does: on a connection error, a
timeout or a 5xx the same body is sent again after a short pause, until a 2xx answer.
Whenever the number of acknowledged visits reaches one of --kills fractions, the whole server
(master and workers: its process group) gets SIGKILL, so requests in flight die at any point of
their transaction; then it is started again on the same port and database.

Afterwards (server stopped) the rows are compared with what the clients saw:
- every visit the client got a 2xx for is in the database exactly once, with the id it was told;
- every visit that hit the kill and was retried until acknowledged is in exactly once (a retry
  answered 200 means the first attempt had committed before the answer was lost);
- no other row, no duplicate client_uuid, notes as sent; SQLite's integrity_check is ok.
Exit status 1 if any of that fails. Bounded: per-request timeout, overall --deadline.

    .venv/bin/python bench/fault.py                           # both databases, 1,000 visits, 3 kills
    .venv/bin/python bench/fault.py --db sqlite --size 150 --kills 0.4
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    kill,
    lift_daily_caps,
    login,
    prepare_instance,
    scratch_database,
    scratch_dir,
    stop,
    visit_body,
    wait_up,
)


class Server:
    """gunicorn on a fixed loopback port that can be SIGKILLed and started again."""

    def __init__(self, env: dict, port: int, workers: int = 4, threads: int = 4, log_dir: Path | None = None):
        self.env, self.port, self.workers, self.threads, self.log_dir = env, port, workers, threads, log_dir
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None
        self.starts = 0

    def start(self) -> None:
        logs = {}
        if self.log_dir is not None:
            logs = {"error_log": self.log_dir / "gunicorn-error.log", "access_log": self.log_dir / "gunicorn-access.log"}
        self.proc = gunicorn("webapp:create_app()", self.env, self.port, workers=self.workers, threads=self.threads,
                             log_level="info", **logs)
        self.starts += 1
        wait_up(f"{self.base}/login", self.proc)

    def kill(self) -> None:
        kill(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class Sent:
    body: dict
    attempts: list = field(default_factory=list)  # "conn" / "timeout" / status codes, in order
    acked_id: int | None = None
    acked_status: int | None = None
    acked_at: float | None = None


@dataclass
class Outcome:
    sent: list[Sent]
    kills: list[dict]
    elapsed_s: float

    @property
    def acked(self) -> list[Sent]:
        return [s for s in self.sent if s.acked_id is not None]

    @property
    def retried(self) -> list[Sent]:
        return [s for s in self.sent if len(s.attempts) > 1]


def make_visits(households: list[int], n: int, seed: int = 3) -> list[list[dict]]:
    """n visits dealt round-robin to the clients (one list per household, i.e. per helper),
    spread over the last two days, each with its own note."""
    rng = random.Random(seed)
    now = datetime.now(CST)
    out: list[list[dict]] = [[] for _ in households]
    for i in range(n):
        out[i % len(households)].append(visit_body(
            households[i % len(households)], now - timedelta(minutes=rng.randrange(10, 2 * 24 * 60)),
            notes=f"故障演练第 {i + 1} 次走访：了解收入，宣讲政策。"))
    return out


def send_with_kills(server: Server, clients: list[tuple[requests.Session, str, list[dict]]],
                    kill_at: list[int], deadline_s: float = 600, downtime_s: float = 0.5,
                    timeout_s: float = 30) -> Outcome:
    """Each client (a helper's session, its CSRF token and its visits) sends its visits one after
    the other, retrying each until a 2xx, all clients at once; the server is SIGKILLed each time
    the count of acknowledged visits reaches a number in kill_at, then restarted."""
    sent = [Sent(v) for _, _, visits in clients for v in visits]
    queues = []
    k = 0
    for _, _, visits in clients:
        queues.append(sent[k:k + len(visits)])
        k += len(visits)
    lock = threading.Lock()
    acked = [0]
    in_flight = [0]
    kills: list[dict] = []
    end = time.time() + deadline_s
    stop_flag = threading.Event()
    pending_kills = sorted(kill_at)
    kill_now = threading.Event()

    def client(sess: requests.Session, token: str, queue: list[Sent]) -> None:
        for item in queue:
            if stop_flag.is_set():
                return
            pause = 0.05
            while time.time() < end:
                with lock:
                    in_flight[0] += 1
                try:
                    r = sess.post(f"{server.base}/api/v1/visits", json=item.body, headers={"X-CSRFToken": token},
                                  timeout=timeout_s)
                    outcome = r.status_code
                except requests.Timeout:
                    outcome = "timeout"
                except requests.ConnectionError:
                    outcome = "conn"
                finally:
                    with lock:
                        in_flight[0] -= 1
                item.attempts.append(outcome)
                if isinstance(outcome, int) and 200 <= outcome < 300:
                    data = r.json()
                    with lock:
                        item.acked_id, item.acked_status, item.acked_at = data["id"], outcome, time.time()
                        acked[0] += 1
                        if pending_kills and acked[0] >= pending_kills[0]:
                            pending_kills.pop(0)
                            kill_now.set()
                    break
                if isinstance(outcome, int) and outcome < 500:
                    break  # a 4xx is an answer, not a fault: never retried (and a failure of the run)
                time.sleep(pause)  # the outbox's pause before sending the same body again
                pause = min(pause * 2, 1.0)

    def killer() -> None:
        while not stop_flag.is_set():
            if not kill_now.wait(0.05):
                continue
            kill_now.clear()
            with lock:
                flying, acked_before = in_flight[0], acked[0]
            t = time.time()
            server.kill()
            time.sleep(downtime_s)
            try:
                server.start()
            except RuntimeError as exc:  # the clients then give up at the deadline
                kills.append({"acked_before": acked_before, "in_flight": flying, "restart_failed": str(exc)})
                return
            kills.append({"acked_before": acked_before, "in_flight": flying,
                          "down_s": round(time.time() - t, 1)})

    t0 = time.time()
    k = threading.Thread(target=killer, daemon=True)
    k.start()
    threads = [threading.Thread(target=client, args=(sess, token, q)) for (sess, token, _), q in zip(clients, queues)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, end - time.time() + timeout_s))
    stop_flag.set()
    k.join(120)
    return Outcome(sent, kills, round(time.time() - t0, 1))


def rows(db_url: str) -> dict:
    """What the database holds, read with a fresh engine once the server is stopped."""
    from sqlalchemy import create_engine, text

    eng = create_engine(db_url)
    try:
        with eng.connect() as c:
            got = {"visits": [tuple(r) for r in c.execute(text("SELECT client_uuid, id, notes FROM visit"))]}
            if eng.dialect.name == "sqlite":
                got["integrity"] = c.execute(text("PRAGMA integrity_check")).scalar_one()
            return got
    finally:
        eng.dispose()


def check(outcome: Outcome, db: dict) -> tuple[list[str], dict]:
    """Compare the rows with what the clients saw. Returns (problems, figures)."""
    bad = []
    uuids = Counter(u for u, _, _ in db["visits"])
    dup = [u for u, n in uuids.items() if n > 1]
    if dup:
        bad.append(f"{len(dup)} client_uuids stored more than once")
    stored = {u: (i, notes) for u, i, notes in db["visits"]}
    acked = {s.body["client_uuid"]: s for s in outcome.acked}
    never = [s for s in outcome.sent if s.acked_id is None]
    if never:
        answers = Counter(str(s.attempts[-1]) for s in never if s.attempts)
        bad.append(f"{len(never)} visits never acknowledged (answers: {answers})")
    lost = [u for u in acked if u not in stored]
    if lost:
        bad.append(f"{len(lost)} acknowledged visits missing from the database")
    extra = [u for u in stored if u not in acked]
    if extra:
        bad.append(f"{len(extra)} rows the client was never told about")
    wrong = [u for u, s in acked.items() if u in stored and (stored[u][0] != s.acked_id or stored[u][1] != s.body["notes"])]
    if wrong:
        bad.append(f"{len(wrong)} rows with another id or content than acknowledged")
    if db.get("integrity", "ok") != "ok":
        bad.append(f"integrity_check: {db['integrity']}")
    if len(outcome.kills) == 0:
        bad.append("the server was never killed")
    retried = outcome.retried
    answers = Counter(str(a) for s in outcome.sent for a in s.attempts)
    figures = {
        "visits": len(outcome.sent), "rows": len(db["visits"]), "duplicates": len(dup),
        "acked_first_try": len(outcome.acked) - len([s for s in retried if s.acked_id is not None]),
        "retried_then_acked": len([s for s in retried if s.acked_id is not None]),
        # a retry answered 200: the first attempt had committed, its answer died with the server
        "retry_answered_200": len([s for s in retried if s.acked_status == 200]),
        "retry_answered_201": len([s for s in retried if s.acked_status == 201]),
        "lost": len(lost), "extra": len(extra), "never_acked": len(never),
        "kills": outcome.kills, "answers": dict(sorted(answers.items())), "elapsed_s": outcome.elapsed_s,
    }
    if "integrity" in db:
        figures["integrity_check"] = db["integrity"]
    return bad, figures


def run_db(kind: str, args) -> tuple[list[str], dict]:
    with scratch_dir(f"bangfu-fault-{kind}-") as tmp, scratch_database(kind, tmp, args.pg) as db_url:
        env = instance_env(tmp / "instance", db_url, tmp / "uploads")
        lift_daily_caps(tmp / "instance")  # 1,000 visits from 16 helpers: far beyond 10 a day each
        names = [f"fault{i:03d}" for i in range(args.concurrency)]
        seeded = prepare_instance(env, names, households=1)
        server = Server(env, free_port(), workers=args.workers, threads=args.threads, log_dir=tmp)
        server.start()
        try:
            visits = make_visits([ids[0] for _, ids in seeded], args.size)
            clients = [(*login(server.base, name), v) for name, v in zip(names, visits)]
            kill_at = [max(1, int(f * args.size)) for f in args.kills]
            outcome = send_with_kills(server, clients, kill_at, deadline_s=args.deadline)
        finally:
            server.stop()
            out = ROOT / "bench" / "out"
            out.mkdir(exist_ok=True)
            log = tmp / "gunicorn-error.log"
            if log.exists():
                (out / f"fault-{kind}-gunicorn-error.log").write_bytes(log.read_bytes())
        bad, figures = check(outcome, rows(db_url))
        figures["db"] = kind
        figures["server_starts"] = server.starts
        return bad, figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default=DEFAULT_PG, help="a PostgreSQL server URL (a scratch database is made beside it)")
    ap.add_argument("--size", type=int, default=1000, help="visits sent")
    ap.add_argument("--concurrency", type=int, default=16, help="clients sending at once (one helper each)")
    ap.add_argument("--kills", default="0.25,0.5,0.75",
                    help="SIGKILL when this fraction of the visits is acknowledged (comma-separated)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--deadline", type=float, default=600, help="seconds: the clients give up after this")
    args = ap.parse_args()
    args.kills = [float(x) for x in args.kills.split(",") if x]

    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    problems, results = [], []
    for kind in kinds:
        bad, fig = run_db(kind, args)
        results.append(fig)
        problems += [f"{kind}: {b}" for b in bad]
        print(f"[{kind}] {json.dumps(fig, ensure_ascii=False)}", flush=True)

    print(f"\nbench/fault.py — {args.size} visits from {args.concurrency} clients with retries, SIGKILL of the "
          f"whole gunicorn ({args.workers} workers × {args.threads} threads) at {args.kills} of the acknowledgements; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'db':<11} {'rows':>5} {'dup':>4} {'1st try':>8} {'retried':>8} {'→200':>5} {'→201':>5} "
          f"{'lost':>5} {'extra':>6} {'in flight at kills':>19} {'s':>6}")
    for f in results:
        flying = ",".join(str(k["in_flight"]) for k in f["kills"])
        print(f"{f['db']:<11} {f['rows']:>5} {f['duplicates']:>4} {f['acked_first_try']:>8} "
              f"{f['retried_then_acked']:>8} {f['retry_answered_200']:>5} {f['retry_answered_201']:>5} "
              f"{f['lost']:>5} {f['extra']:>6} {flying:>19} {f['elapsed_s']:>6}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    for f in results:
        (out / f"fault-{f['db']}.json").write_text(json.dumps(f, indent=2, ensure_ascii=False))
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    print("\nOK: rows = acknowledged at the first try + retried until acknowledged; nothing lost, nothing twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
