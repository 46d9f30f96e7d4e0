"""Counters of failed password checks, one row per key, reserved atomically before the check.

A password check first *reserves* one failure on every key it is counted under, in one write
transaction: an UPDATE that adds one only while the key is under its limit (or its window has
passed). The reservation is committed before the password is hashed, so parallel guesses see
each other's in-flight checks: 24 parallel wrong guesses for one key check at most `limit`
passwords. A successful check gives its reservation back (`release`).

Atomic on both backends without locks taken by hand: SQLite runs write transactions one at a
time (BEGIN IMMEDIATE), and PostgreSQL re-evaluates the UPDATE's WHERE on the newest row version
after waiting for a concurrent update of the same row (READ COMMITTED). Keys are taken one after
the other in a fixed order, so two reservations never wait on each other in a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update

from ..extensions import db
from ..models import LoginLimit
from ..models.types import UTCDateTime


@dataclass(frozen=True)
class Limit:
    key: str
    max_failures: int
    what: str = ""  # which limit, for the message when it is reached


def _insert_missing(key: str, now: datetime) -> None:
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(LoginLimit).values(key=key, window_start=now, failures=0)
                       .on_conflict_do_nothing(index_elements=["key"]))


def reserve(limits: list[Limit], window: timedelta, now: datetime) -> Limit | None:
    """Count one failure under every limit, or none: returns the first limit already reached (the
    caller rolls back, so nothing is counted), or None when all were counted. The caller commits
    before the password check."""
    cutoff = now - window
    stale = LoginLimit.window_start < cutoff
    # one key after the other, in key order: rows are locked in the same order by everyone
    for lim in sorted(limits, key=lambda lim: lim.key):
        _insert_missing(lim.key, now)
        done = db.session.execute(
            update(LoginLimit)
            .where(LoginLimit.key == lim.key, (LoginLimit.failures < lim.max_failures) | stale)
            .values(failures=case((stale, 1), else_=LoginLimit.failures + 1),
                    window_start=case((stale, literal(now, UTCDateTime())), else_=LoginLimit.window_start))
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            return lim
    # rows whose window has passed; PostgreSQL skips rows another reservation holds (no waiting)
    old = select(LoginLimit.key).where(stale).limit(500).with_for_update(skip_locked=True)
    db.session.execute(delete(LoginLimit).where(LoginLimit.key.in_(old))
                       .execution_options(synchronize_session=False))
    return None


def release(limits: list[Limit], forget: tuple[str, ...] = ()) -> None:
    """Give back a reservation after a successful check; keys in `forget` start again from zero."""
    for lim in sorted(limits, key=lambda lim: lim.key):
        if lim.key in forget:
            db.session.execute(delete(LoginLimit).where(LoginLimit.key == lim.key)
                               .execution_options(synchronize_session=False))
        else:
            db.session.execute(update(LoginLimit).where(LoginLimit.key == lim.key, LoginLimit.failures > 0)
                               .values(failures=LoginLimit.failures - 1)
                               .execution_options(synchronize_session=False))


def failures(key: str) -> int:
    row = db.session.get(LoginLimit, key)
    return row.failures if row else 0
