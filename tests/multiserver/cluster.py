"""One installation on two "servers", all on 127.0.0.1:

- one PostgreSQL database (a scratch one beside the given server's, dropped at the end);
- one Redis (the machine's, 127.0.0.1:6379) holding the Huey queue under a name of its own;
- one S3-compatible server (moto's standalone server, tests/support/s3_server.py) with a private bucket;
- server A and server B: each its own instance folder and its own (empty, never used) upload
  folder — no shared disk — a gunicorn on its own port, and optionally a Huey consumer.

Both instance folders get the same SECRET_KEY (a session cookie made by one is read by the
other), as a real deployment would put in each server's environment. Used by
tests/multiserver/test_two_servers.py and bench/scale.py.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tests.support.live import ROOT, Server, free_port, scratch_database, stop
from tests.support.s3_server import CREDENTIALS, s3_server

BIN = Path(sys.executable).parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

SEED = """
import json
from flask_migrate import upgrade
from webapp import create_app
from webapp.extensions import db
from tests.support import factories
app = create_app()
with app.app_context():
    upgrade()
    world = factories.world()
    db.session.commit()
    print(json.dumps(world.ids()))
"""


@dataclass
class Node:
    name: str
    env: dict
    server: Server
    uploads: Path
    log_dir: Path
    consumer: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return self.server.base

    def start_consumer(self, periodic: bool = True) -> None:
        """`huey_consumer webapp.tasks.huey` with this server's environment (its own process group)."""
        cmd = [str(BIN / "huey_consumer"), "webapp.tasks.huey", "--workers", "1", "--logfile",
               str(self.log_dir / "consumer.log")]
        if not periodic:
            cmd.append("--no-periodic")
        self.consumer = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                         stderr=open(self.log_dir / "consumer.err", "ab"), start_new_session=True)

    def stop_consumer(self) -> None:
        if self.consumer is not None:
            stop(self.consumer, timeout=30)
            self.consumer = None

    def consumer_log(self) -> str:
        path = self.log_dir / "consumer.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    huey_name: str
    s3_endpoint: str
    storage_url: str
    ids: dict
    nodes: list[Node] = field(default_factory=list)

    @property
    def a(self) -> Node:
        return self.nodes[0]

    @property
    def b(self) -> Node:
        return self.nodes[1]


def _node_env(instance: Path, uploads: Path, secret: str, common: dict) -> dict:
    instance.mkdir(parents=True, exist_ok=True)
    uploads.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(f"SECRET_KEY = {secret!r}\nPDF_WORKERS = 1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HUEY_SQLITE_PATH")}
    env.update(common, INSTANCE_PATH=str(instance), UPLOAD_DIR=str(uploads), PYTHONPATH=str(ROOT))
    return env


def _redis_clear(url: str, name: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    keys = list(r.scan_iter(match=f"huey.*{name}*"))
    if keys:
        r.delete(*keys)
    r.close()


@contextlib.contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


@contextlib.contextmanager
def cluster(tmp: Path, pg_url: str, redis_url: str = DEFAULT_REDIS, workers: int = 2, threads: int = 4,
            seed: str | None = SEED, database_url: str | None = None) -> Iterator[Cluster]:
    """Start everything; yields the Cluster (servers up, no consumer yet); stops it all.
    database_url: an existing, migrated database to serve (then seed=None); else a scratch one."""
    huey_name = f"bangfu-test-{uuid.uuid4().hex[:8]}"
    database = _given(database_url) if database_url else scratch_database("postgresql", tmp, pg_url)
    with database as db_url, s3_server(free_port(), tmp / "moto.log") as s3:
        import boto3

        for k, v in CREDENTIALS.items():
            os.environ.setdefault(k, v)
        bucket = f"bangfu-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=s3, region_name=CREDENTIALS["AWS_DEFAULT_REGION"]).create_bucket(Bucket=bucket)
        common = {**CREDENTIALS, "DATABASE_URL": db_url, "HUEY_REDIS_URL": redis_url, "HUEY_NAME": huey_name,
                  "STORAGE_URL": f"s3://{bucket}/bangfu", "S3_ENDPOINT_URL": s3}
        secret = uuid.uuid4().hex
        envs = {name: _node_env(tmp / name / "instance", tmp / name / "uploads", secret, common) for name in "ab"}
        ids = {}
        if seed:
            out = subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=envs["a"], capture_output=True, text=True)
            if out.returncode:
                raise RuntimeError(out.stderr)
            ids = json.loads(out.stdout.strip().splitlines()[-1])
        c = Cluster(db_url, redis_url, huey_name, s3, common["STORAGE_URL"], ids)
        try:
            for name in "ab":
                log_dir = tmp / name
                server = Server(envs[name], free_port(), workers=workers, threads=threads, log_dir=log_dir)
                c.nodes.append(Node(name, envs[name], server, tmp / name / "uploads", log_dir))
                server.start()
            yield c
        finally:
            for node in c.nodes:
                node.stop_consumer()
                node.server.stop()
            _redis_clear(redis_url, huey_name)
