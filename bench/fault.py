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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    DEFAULT_PG,
    ROOT,
    free_port,
    instance_env,
    lift_daily_caps,
    login,
    prepare_instance,
    scratch_database,
    scratch_dir,
)
from tests.support.fault import check, make_visits, rows, send_with_kills
from tests.support.live import Server


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
