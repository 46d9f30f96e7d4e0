"""Engine settings per backend: SQLite pragmas and immediate write transactions."""
import sqlite3
from collections.abc import MutableMapping
from contextvars import ContextVar, Token

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 20000

# How SQLite transactions begin in this context: "IMMEDIATE" (take the write lock at once: a
# transaction that reads and then writes) or "DEFERRED" (a page that only reads). The caller
# decides (webapp/web/transactions.py for requests, by method); the CLI and jobs keep IMMEDIATE.
IMMEDIATE, DEFERRED = "IMMEDIATE", "DEFERRED"
_begin_mode: ContextVar[str] = ContextVar("bangfu_begin_mode", default=IMMEDIATE)


def begin_transactions(mode: str) -> Token:
    """Begin this context's SQLite transactions `mode` (IMMEDIATE or DEFERRED) until `reset_begin`."""
    if mode not in (IMMEDIATE, DEFERRED):
        raise ValueError(f"unknown transaction mode {mode!r}")
    return _begin_mode.set(mode)


def reset_begin(token: Token) -> None:
    _begin_mode.reset(token)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # let SQLAlchemy emit BEGIN itself (the documented pysqlite recipe)
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # how long a write waits for the lock before "database is locked". SQLite's busy handler polls
    # (every 100 ms after the first few tries), so under a burst an early waiter can keep losing
    # to newcomers: 5 s was not enough for 200 helpers arriving at once on 4 workers × 4 threads
    # (bench/load.py), 20 s is, and stays below gunicorn's 30 s worker timeout. The app's engine
    # sets its configured value after this (init_engine).
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A transaction that reads and then writes must hold the write lock from the start,
    # or SQLite answers "database is locked" at once. Page reads stay deferred.
    if _begin_mode.get() == DEFERRED:
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- ending a transaction that has only read, before slow work -------------------------------

WROTE = "bangfu_wrote"


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    if not state.is_select:  # insert/update/delete statements run through the session
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def end_read_transaction(*keep: object) -> bool:
    """End the session's transaction before slow CPU work (hashing a password, decoding a photo)
    when it has only read so far.

    On SQLite a write request's first query (often the login check) begins with BEGIN IMMEDIATE,
    which takes the database's single write lock until commit. Holding it through 100 ms or more
    of CPU makes a burst of such requests queue behind each other until one waits out
    busy_timeout: "database is locked". The next query begins a new transaction.

    Loaded objects are expired (read again in the new transaction), except those in `keep`,
    which keep the values read so far. Does nothing (returns False) if anything was written or
    flushed, or inside a savepoint: those writes must stay in one transaction."""
    from .extensions import db

    session = db.session()
    if (session.in_nested_transaction() or session.info.get(WROTE)
            or session.new or session.dirty or session.deleted):
        return False
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    kept = {id(obj) for obj in keep}
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)
    return True


def lock(entity, row_id: int) -> None:
    """Hold the row's lock till the commit, so that requests sent at once about one record (a double
    tap, two tabs) run one after the other and the later ones see what the first stored. PostgreSQL;
    on SQLite a write request holds the database's write lock already (BEGIN IMMEDIATE)."""
    from .extensions import db

    db.session.execute(select(entity.id).where(entity.id == row_id).with_for_update(key_share=True))


def locked(record):
    """`record` re-read under its row lock (as `lock`, in the same statement): a decision about it
    sent at the same moment as another waits for the first and sees what it stored."""
    from .extensions import db

    db.session.refresh(record, with_for_update={"key_share": True})
    return record


def configure(config: MutableMapping) -> None:
    """The engine options in the app's config, before the engine is made."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    opts = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("postgresql"):
        opts.setdefault("pool_pre_ping", True)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = opts


def init_engine(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """The app's engine, once made: its SQLite connections wait `busy_timeout_ms` for the write lock
    (SQLITE_BUSY_TIMEOUT_MS). Runs after the pragmas every connection gets (an engine's own listeners
    follow those of its class)."""
    if engine.dialect.name != "sqlite":
        return
    busy = int(busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _busy_timeout(dbapi_connection, connection_record):
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout={busy}")
        cur.close()
