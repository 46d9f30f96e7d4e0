"""A server SIGKILLed while phones send visits with retries, and the check that the database holds
exactly what the clients were told, once: tests/test_fault_kill.py runs it small, bench/fault.py
at full size."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from .live import CST, Server, visit_body


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
