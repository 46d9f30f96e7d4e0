"""Daily caps on what one helper may record: the diary prints every visit, so these
caps bound the work one account can cause.

A helper has at most HOUSEHOLD_LIMIT (5) households; VISIT_DAILY_MAX (10) visits a day leaves
room for two visits to each, and VISIT_DAILY_TEXT_MAX (20,000) characters a day (notes, problems,
next steps and checklist notes together) holds one visit with every field full or ten long ones.
The day is the local day (TIMEZONE, Asia/Shanghai) of the visit's check-in time. A replay of a
stored visit is answered before these checks (services/visits.record), so it never counts.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import User, Visit
from .calendar import tz
from .errors import ValidationFailed


def text_length(data: Mapping[str, Any]) -> int:
    """Characters of free text in a visit as it will be stored (stripped)."""
    fields = [data.get("notes"), data.get("problems"), data.get("next_steps")]
    fields += [(ans or {}).get("note") for ans in (data.get("checklist") or {}).values()]
    return sum(len((f or "").strip()) for f in fields)


def _day(checked_in_at: datetime) -> tuple[datetime, datetime, str]:
    local = checked_in_at.astimezone(tz()).date()
    start = datetime.combine(local, time(), tzinfo=tz())
    return start, start + timedelta(days=1), f"{local.month}月{local.day}日"


def check(helper_id: int, data: Mapping[str, Any], max_visits: int, max_chars: int) -> None:
    """Refuse a new visit beyond the day's caps (422, naming checked_in_at or notes).

    On PostgreSQL the helper's row is locked first (FOR NO KEY UPDATE, until the request commits),
    so two visits sent at once are counted one after the other; SQLite's write transactions
    are one at a time already."""
    db.session.execute(select(User.id).where(User.id == helper_id).with_for_update(key_share=True))
    start, end, label = _day(data["checked_in_at"])
    rows = db.session.execute(
        select(Visit.notes, Visit.problems, Visit.next_steps, Visit.checklist)
        .where(Visit.helper_id == helper_id, Visit.checked_in_at >= start, Visit.checked_in_at < end)
    ).all()
    if len(rows) >= max_visits:
        raise ValidationFailed(
            f"{label}已记录 {len(rows)} 次走访，每人每天最多 {max_visits} 次，这次没有保存。", field="checked_in_at")
    used = sum(text_length({"notes": r.notes, "problems": r.problems, "next_steps": r.next_steps,
                            "checklist": r.checklist}) for r in rows)
    new = text_length(data)
    if used + new > max_chars:
        left = max(0, max_chars - used)
        raise ValidationFailed(
            f"{label}的走访记录文字已达上限：每人每天最多 {max_chars} 字（已写 {used} 字，这次 {new} 字，"
            f"还可写 {left} 字）。请精简后再保存。", field="notes")
