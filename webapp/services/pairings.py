"""Pairing helpers with households. A change ends the old pairing and starts a new one."""
from collections.abc import Iterable
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from .. import database
from ..extensions import db
from ..models import Household, Pairing, User
from . import audit, permissions
from .batches import chunks
from .calendar import local_today
from .errors import ValidationFailed
from .rules import PairingRules


def current(household_id: int) -> Pairing | None:
    return db.session.scalar(
        select(Pairing).where(Pairing.household_id == household_id, Pairing.end_date.is_(None))
    )


def loads(helper_ids: Iterable[int]) -> dict[int, int]:
    """helper id → how many households the helper holds now (helpers without any left out)."""
    ids, held = sorted(set(helper_ids)), {}
    for chunk in chunks(ids):
        held.update(db.session.execute(select(Pairing.helper_id, func.count()).where(
            Pairing.end_date.is_(None), Pairing.helper_id.in_(chunk)).group_by(Pairing.helper_id)).all())
    return held


def load(helper_id: int) -> int:
    """How many households the helper holds now."""
    return loads([helper_id]).get(helper_id, 0)


def check_helper(helper: User | None) -> User:
    if helper is None or not permissions.records_visits(helper) or not helper.active:
        raise ValidationFailed("帮扶责任人不存在或不是帮扶责任人账号。", field="helper")
    return helper


def end(household: Household, by: User | None, reason: str, on: date | None = None) -> Pairing | None:
    pairing = current(household.id)
    if pairing is None:
        return None
    pairing.end_date = on or local_today()
    pairing.end_reason = reason
    pairing.ended_by_id = by.id if by else None
    pairing.ended_at = datetime.now(timezone.utc)
    audit.record(by, "pairing.end", "pairing", pairing.id, household_id=household.id, helper_id=pairing.helper_id, reason=reason)
    return pairing


def assign(household: Household, helper: User, by: User | None, reason: str, rules: PairingRules,
           on: date | None = None) -> Pairing:
    """Pair the household with the helper (ending any other current pairing); a helper holds at most
    rules.household_limit households."""
    check_helper(helper)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写调整原因。", field="reason")
    existing = current(household.id)
    if existing is not None and existing.helper_id == helper.id:
        return existing
    database.lock(User, helper.id)  # two pairings to one helper sent at once are counted one after the other
    if load(helper.id) >= rules.household_limit:
        raise ValidationFailed(
            f"{helper.display_name} 已帮扶 {rules.household_limit} 户，达到上限，不能再结对。", field="helper"
        )
    start = on or local_today()
    if existing is not None:
        end(household, by, reason, on=start)
    pairing = Pairing(helper_id=helper.id, household_id=household.id, start_date=start, reason=reason,
                      created_by_id=by.id if by else None)
    db.session.add(pairing)
    db.session.flush()
    audit.record(by, "pairing.start", "pairing", pairing.id, household_id=household.id, helper_id=helper.id, reason=reason)
    return pairing
