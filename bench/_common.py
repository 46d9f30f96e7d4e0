"""What the HTTP benches and the live-server tests share: a scratch database, a scratch instance,
gunicorn on 127.0.0.1 in its own process group, logging helpers in, and the bodies a phone sends.

Used by bench/visits.py, bench/load.py, bench/fault.py and tests/test_load_faults.py. Everything
binds to 127.0.0.1 only and every process started here is stopped by the code that started it.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CST = timezone(timedelta(hours=8))
PASSWORD = "password-123"  # tests.factories.PASSWORD: the seeded users' password
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


SEED_SCRIPT = """
import json, sys
from webapp import create_app
from webapp.extensions import db
from flask_migrate import upgrade
from tests import factories
spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    upgrade()
    u = factories.unit("压测乡")
    out = []
    for v_i in range(max(1, (len(spec["helpers"]) + 49) // 50)):
        v = factories.village(u, f"压测村{v_i + 1}", 30.30, 109.50)
        for name in spec["helpers"][v_i * 50:(v_i + 1) * 50]:
            h = factories.user(u, name, "helper")
            ids = []
            for k in range(spec["households"]):
                hh = factories.household(v, f"压测户{name}-{k + 1}", 30.301, 109.501)
                factories.pair(h, hh)
                ids.append(hh.id)
            out.append([name, ids])
    db.session.commit()
    print(json.dumps(out))
"""


def prepare_instance(env: dict, helpers: list[str], households: int = 1) -> list[tuple[str, list[int]]]:
    """Migrate the instance's database and seed a unit, villages of 50 helpers, and `households`
    paired households per helper (password PASSWORD). Runs in a child process, as the server will.
    Returns [(username, [household ids])]."""
    spec = json.dumps({"helpers": helpers, "households": households})
    out = subprocess.run([sys.executable, "-c", SEED_SCRIPT, spec], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return [(name, ids) for name, ids in json.loads(out.stdout.strip().splitlines()[-1])]


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


def phone_jpeg(seed: int = 1, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """What the phone uploads: a 1600×1200 JPEG at quality 85 with some detail."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", size, (120, 150, 200))
    d = ImageDraw.Draw(img)
    for _ in range(400):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        d.ellipse([x, y, x + rng.randrange(5, 120), y + rng.randrange(5, 120)],
                  fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def phone_jpegs(n: int, seed: int = 1) -> list[bytes]:
    """n different phone photos (one drawing, a different mark and colour cast on each, so every
    stored file has its own hash) without drawing n pictures from scratch."""
    from PIL import Image, ImageDraw

    base = Image.open(io.BytesIO(phone_jpeg(seed)))
    base.load()
    rng = random.Random(seed)
    out = []
    for i in range(n):
        img = base.copy()
        d = ImageDraw.Draw(img)
        x, y = rng.randrange(1400), rng.randrange(1000)
        d.rectangle([x, y, x + 150, y + 150], fill=(i % 256, (i * 7) % 256, (i * 13) % 256))
        d.text((20, 20), f"{seed}-{i}", fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


# --- figures -----------------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), 0 for no data."""
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
