"""A real gunicorn (separate worker processes) on 127.0.0.1 serving the test database, for tests
whose point is concurrency across processes or a crash of the server. Started and stopped (or
SIGKILLed and restarted) through live.py's Server; its error log is read afterwards."""
from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Iterator

from .live import Server, free_port, instance_env


@contextlib.contextmanager
def live_gunicorn(app, tmp_path: Path, workers: int = 4, threads: int = 4) -> Iterator[Server]:
    env = instance_env(tmp_path / "instance", app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["UPLOAD_DIR"]))
    server = Server(env, free_port(), workers=workers, threads=threads, log_dir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def log_problems(tmp_path: Path) -> list[str]:
    """Tracebacks and lock errors in the server's error log (empty when it ran clean)."""
    log = tmp_path / "gunicorn-error.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    found = re.findall(r"^\S*(?:Error|Exception)\S*: .*$", text, re.M)  # a traceback's last line
    found += re.findall(r"^.*\[ERROR\].*$", text, re.M)
    found += [m for m in re.findall(r"^.*database is locked.*$", text, re.M) if m not in found]
    return found
