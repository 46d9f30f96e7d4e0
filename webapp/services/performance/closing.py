"""Closing a month: the unit's month stored as a snapshot (MonthClosure + MonthResult), reopened
and recomputed only explicitly, each step written to the audit log."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, insert, select

from ... import database
from ...extensions import db
from ...models import AuditLog, MonthClosure, MonthResult, Unit, User
from .. import access, audit, permissions
from ..errors import Conflict, NotFound, ValidationFailed
from .month import period
from .rules import ScoringRules
from .scoring import compute_month, one_unit


def closure(unit_id: int, key: str) -> MonthClosure | None:
    return db.session.scalar(select(MonthClosure).where(MonthClosure.unit_id == unit_id, MonthClosure.month == key))


def is_closed(unit_id: int, key: str) -> bool:
    c = closure(unit_id, key)
    return bool(c and c.closed)


def require_admin(user: User) -> None:
    if not permissions.administers_unit(user):
        raise NotFound("您无权操作。")


def _snapshot(rules: ScoringRules, c: MonthClosure, by: User, now: datetime | None) -> dict[int, tuple[float, float]]:
    """Replace the closure's results with a fresh computation; returns {helper: (old, new)} for changed scores."""
    old = dict(db.session.execute(select(MonthResult.helper_id, MonthResult.score).where(MonthResult.closure_id == c.id)).all())
    scope = access.helper_ids(by)
    results = compute_month(rules, c.month, scope, now, wide=one_unit())
    db.session.execute(delete(MonthResult).where(MonthResult.closure_id == c.id))
    if results:
        db.session.execute(insert(MonthResult), [
            {"closure_id": c.id, "helper_id": r.helper_id, "score": r.score, "rating": r.rating, "data": r.to_data()}
            for r in results
        ])
    new = {r.helper_id: r.score for r in results}
    return {h: (old.get(h), new.get(h)) for h in set(old) | set(new) if old.get(h) != new.get(h)}


def _changes(changes: dict[int, tuple[float, float]], limit: int = 500) -> list[dict[str, Any]]:
    return [{"helper_id": h, "old": o, "new": n} for h, (o, n) in sorted(changes.items())[:limit]]


def close_month(rules: ScoringRules, by: User, month: str, now: datetime | None = None) -> MonthClosure:
    """Store the unit's month as a snapshot; later edits to the records do not change it."""
    require_admin(by)
    p = period(month, now)
    if not p.ended:
        raise ValidationFailed("这个月还没有结束，不能关账。", field="month")
    # the unit's lock, as a spot-check draw takes it: a re-draw sent meanwhile waits, then finds the
    # month closed, and the snapshot counts the draw that stays current (a second close: 已经关账)
    database.lock(Unit, by.unit_id)
    c = closure(by.unit_id, p.key)
    if c is not None and c.closed:
        raise Conflict("这个月已经关账。要修改请先重新打开。")
    if c is None:
        c = MonthClosure(unit_id=by.unit_id, month=p.key)
        db.session.add(c)
    c.closed, c.closed_by_id, c.closed_at = True, by.id, datetime.now(timezone.utc)
    db.session.flush()
    changes = _snapshot(rules, c, by, now)
    count = db.session.scalar(select(func.count()).select_from(MonthResult).where(MonthResult.closure_id == c.id))
    audit.record(by, "month.close", "month_closure", c.id, month=p.key, helpers=count, changes=_changes(changes))
    return c


def reopen_month(by: User, month: str, reason: str) -> MonthClosure:
    """Open a closed month again: pages show the live computation until it is closed again."""
    require_admin(by)
    p = period(month)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写重新打开的原因。", field="reason")
    c = closure(by.unit_id, p.key)
    if c is None or not c.closed:
        raise Conflict("这个月没有关账。")
    c.closed = False
    audit.record(by, "month.reopen", "month_closure", c.id, month=p.key, reason=reason)
    return c


def recompute_month(rules: ScoringRules, by: User, month: str, reason: str,
                    now: datetime | None = None) -> dict[int, tuple[float, float]]:
    """Replace a closed month's snapshot with a fresh computation, logging every changed score."""
    require_admin(by)
    p = period(month, now)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写重新计算的原因。", field="reason")
    c = closure(by.unit_id, p.key)
    if c is None or not c.closed:
        raise Conflict("这个月没有关账，页面上已是实时结果。")
    changes = _snapshot(rules, c, by, now)
    c.closed_by_id, c.closed_at = by.id, datetime.now(timezone.utc)
    audit.record(by, "month.recompute", "month_closure", c.id, month=p.key, reason=reason, changes=_changes(changes),
                 changed=len(changes))
    return changes


def closure_log(unit_id: int, key: str) -> list[AuditLog]:
    c = closure(unit_id, key)
    if c is None:
        return []
    return db.session.scalars(
        select(AuditLog).where(AuditLog.entity == "month_closure", AuditLog.entity_id == c.id).order_by(AuditLog.id.desc())
    ).all()
