"""Background tasks on Huey.

The queue is chosen from the environment when this module is imported, so the web processes
and the consumer agree without an app:

- default: SqliteHuey, its file in the instance folder (HUEY_SQLITE_PATH overrides), run by
  `huey_consumer webapp.tasks.huey` beside the server (`make run` starts it);
- HUEY_REDIS_URL=redis://host:6379/0: RedisHuey, the same queue for several machines: every
  server's web processes enqueue, any server's consumer runs a task (once: Redis hands each task
  to one consumer). HUEY_NAME (default "bangfu") names the queue, so two installations may
  share one Redis. Run the periodic task on one consumer only (`huey_consumer … --no-periodic`
  on the others; it is harmless twice, but pointless);
- HUEY_IMMEDIATE (app config, True in tests): `enqueue` runs tasks at once in the calling process.

Tasks run inside a Flask app context: the calling app's in immediate mode, else one app per
consumer process.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab


def _instance_path() -> Path:
    return Path(os.environ.get("INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance")


def _make_huey():
    redis_url = os.environ.get("HUEY_REDIS_URL")
    name = os.environ.get("HUEY_NAME") or "bangfu"
    if redis_url:
        return RedisHuey(name, url=redis_url)
    path = Path(os.environ.get("HUEY_SQLITE_PATH") or _instance_path() / "huey.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path))


huey = _make_huey()
_consumer_app: Flask | None = None


def enqueue(task, *args) -> None:
    """Queue the task for the consumer, or run it now when the app's HUEY_IMMEDIATE is set (decided
    per call, from the calling app's config: several apps may live in one process, as in the tests)."""
    if has_app_context() and current_app.config.get("HUEY_IMMEDIATE"):
        task.call_local(*args)
    else:
        task(*args)


def _app() -> Flask:
    global _consumer_app
    if has_app_context():
        return current_app._get_current_object()  # immediate mode: the caller's app
    if _consumer_app is None:
        from . import create_app

        _consumer_app = create_app()
    return _consumer_app


@huey.task()
def print_diaries(job_id: int) -> None:
    """Render a batch print job (services/printing/jobs.run) in this worker."""
    from .extensions import db
    from .services.printing import jobs as printjobs
    from .web import rules

    with _app().app_context():
        try:
            printjobs.run(job_id, rules.printing())
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="*/15"))
def purge_print_results() -> None:
    """Delete batch results past their expiry; fail jobs whose worker died mid-job."""
    from .extensions import db
    from .services.printing import jobs as printjobs
    from .web import rules

    with _app().app_context():
        try:
            printjobs.purge_expired()
            printjobs.fail_stale(rules.printing())
            db.session.commit()
        finally:
            db.session.remove()
