"""What the HTTP benches share: the live-server helpers of tests/support/live.py (scratch database
and instance, gunicorn on 127.0.0.1 in its own process group, logging in, the bodies a phone sends),
seeding a scratch instance, phone photos and figures.

Used by bench/visits.py, bench/load.py, bench/fault.py, bench/scale.py and bench/diary_load.py.
Everything binds to 127.0.0.1 only and every process started here is stopped by the code that started it.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from tests.support.factories import PASSWORD
from tests.support.live import (
    BIN,
    CSRF_META,
    CST,
    DEFAULT_PG,
    ROOT,
    Server,
    free_port,
    gunicorn,
    instance_env,
    kill,
    lift_daily_caps,
    login,
    scratch_database,
    stop,
    visit_body,
    wait_up,
)

__all__ = ["BIN", "CSRF_META", "CST", "DEFAULT_PG", "PASSWORD", "ROOT", "Server", "free_port", "gunicorn",
           "instance_env", "kill", "lift_daily_caps", "login", "scratch_database", "stop", "visit_body", "wait_up",
           "prepare_instance", "phone_jpeg", "phone_jpegs", "pct", "median", "scratch_dir"]


SEED_SCRIPT = """
import json, sys
from webapp import create_app
from webapp.extensions import db
from flask_migrate import upgrade
from tests.support import factories
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
