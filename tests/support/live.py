"""A real server for the tests whose point is processes, crashes or two machines (and for the
benches, which import these): ports, gunicorn in its own process group, a scratch database and
instance, and the phone's side of HTTP (a logged-in session, a visit body). Everything binds to
127.0.0.1 only and every process started here is stopped by the code that started it."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import requests

from .factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
CST = timezone(timedelta(hours=8))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- ports, processes ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.returncode}")
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def gunicorn(target: str, env: dict, port: int, workers: int = 2, threads: int = 4,
             log_level: str = "warning", error_log: Path | None = None, access_log: Path | None = None,
             ) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port in a new process group (so the whole server, master and
    workers, can be stopped or SIGKILLed by that group's id). stderr goes to error_log if given."""
    cmd = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
           "--bind", f"127.0.0.1:{port}", "--log-level", log_level] + _no_control_socket()
    if access_log is not None:
        # status, method, path, duration in ms: enough to count answers on the server's side
        cmd += ["--access-logfile", str(access_log), "--access-logformat", "%(s)s %(m)s %(U)s %(M)s"]
    stderr = open(error_log, "ab") if error_log is not None else subprocess.PIPE
    try:
        return subprocess.Popen(cmd + [target], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
    finally:
        if error_log is not None:
            stderr.close()


def _no_control_socket() -> list[str]:
    """Recent gunicorn opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl) by
    default, so every server started on the machine takes it over from the others. Not needed here."""
    try:
        from gunicorn.config import Config

        return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []
    except ImportError:
        return []


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the server's process group (graceful), SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
    _reap_group(proc.pid)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the master and every worker at once (a crash: no request is finished)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(15)
    _reap_group(proc.pid)


def _reap_group(pgid: int, timeout: float = 10) -> None:
    """Wait until no process of the group is left (workers die with or after the master)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


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


# --- scratch database and instance ------------------------------------------------------------

@contextlib.contextmanager
def scratch_database(kind: str, tmp: Path, pg_url: str = DEFAULT_PG) -> Iterator[str]:
    """A new empty database: a SQLite file in tmp, or a PostgreSQL database created beside
    pg_url's and dropped (with its connections) at the end."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'scratch.sqlite'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bangfu_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def instance_env(instance: Path, db_url: str | None, upload_dir: Path | None = None) -> dict:
    """Environment for `create_app()` on a scratch instance folder. Its config.py (a fixed
    SECRET_KEY) is written here, so a restarted server accepts the same session cookies."""
    instance.mkdir(parents=True, exist_ok=True)
    cfg = instance / "config.py"
    if not cfg.exists():
        cfg.write_text(f"SECRET_KEY = {uuid.uuid4().hex!r}\n", encoding="utf-8")
    env = {**os.environ, "INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if db_url:
        env["DATABASE_URL"] = db_url
    if upload_dir is not None:
        env["UPLOAD_DIR"] = str(upload_dir)
    return env


def lift_daily_caps(instance: Path) -> None:
    """For runs that send far more visits per helper and day than the daily caps allow
    (VISIT_DAILY_MAX, VISIT_DAILY_TEXT_MAX: bench/fault.py, bench/visits.py): their point is
    durability or speed, not the caps, so the scratch instance lifts them."""
    instance_env(instance, None)  # the instance folder and its config.py
    with open(instance / "config.py", "a", encoding="utf-8") as f:
        f.write("VISIT_DAILY_MAX = 10**9\nVISIT_DAILY_TEXT_MAX = 10**12\n")


# --- the client side ----------------------------------------------------------------------------

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def login(base: str, username: str, password: str = PASSWORD, timeout: float = 60) -> tuple[requests.Session, str]:
    """A logged-in session (as the browser does it: login page, form post) and its CSRF token."""
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=timeout).text
    token = CSRF_META.search(page).group(1)
    r = s.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
               allow_redirects=False, timeout=timeout)
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {r.status_code}")
    return s, s.get(f"{base}/api/v1/csrf", timeout=timeout).json()["csrf_token"]


def visit_body(household_id: int, when: datetime | None = None, **over) -> dict:
    """A visit as the phone sends it (new client_uuid each call)."""
    body = {
        "client_uuid": str(uuid.uuid4()), "household_id": household_id,
        "checked_in_at": (when or datetime.now(CST)).replace(microsecond=0).isoformat(),
        "latitude": 30.3011, "longitude": 109.5012, "accuracy_m": 12.0,
        "notes": "入户了解家庭收支情况，宣讲产业奖补政策。", "problems": "", "next_steps": "下月回访。",
        "checklist": {c: {"ok": True, "note": ""} for c in ("food", "clothing", "education", "medical", "housing", "water")},
        "measures_done": [],
    }
    body.update(over)
    return body
