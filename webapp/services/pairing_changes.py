"""Pairing changes under a county: the township proposes with its reason, the county approves or
refuses with a reason (001: "所有干部结对帮扶的调整必须镇上报县扶贫攻坚指挥部同意后方可调整，不得私自更改").

A township without a county in the installation (Unit.parent_id empty) changes pairings at once, as
before. A first pairing of an unpaired household is not an adjustment (调整) and takes effect at once;
changing or ending a current pairing waits for the county. A change waiting for the county counts
against the household limit of the helper it would give the household to (`counted`), on the
office's pairing form and in a roster import alike; both propose through `propose`.
"""
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Select, func, insert, select

from .. import database
from ..extensions import db
from ..models import Household, Pairing, PairingChange, PairingChangeStatus, Unit, User
from . import audit, pairings, permissions
from .batches import chunks
from .county import needs_approval
from .errors import Forbidden, NotFound, ValidationFailed
from .rules import PairingRules

TEXT_MAX = 500  # a reason or the county's note


def _text(raw: str, field: str) -> str:
    text = (raw or "").strip()
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"最多 {TEXT_MAX} 字。", field=field)
    return text


def pending_for(household_id: int) -> PairingChange | None:
    return db.session.scalar(select(PairingChange).where(PairingChange.household_id == household_id,
                                                         PairingChange.status == PairingChangeStatus.PENDING))


def pending_households(household_ids: Iterable[int]) -> set[int]:
    """Those of the households with a change waiting for the county."""
    waiting: set[int] = set()
    for chunk in chunks(sorted(set(household_ids))):
        waiting.update(db.session.scalars(select(PairingChange.household_id).where(
            PairingChange.household_id.in_(chunk), PairingChange.status == PairingChangeStatus.PENDING)))
    return waiting


def counted(helper_ids: Iterable[int]) -> dict[int, int]:
    """helper id → the households that count against the helper's limit (PairingRules.household_limit):
    those the helper holds now and those a change waiting for the county would give them."""
    ids = sorted(set(helper_ids))
    held = pairings.loads(ids)
    for chunk in chunks(ids):
        for helper_id, n in db.session.execute(select(PairingChange.to_helper_id, func.count()).where(
                PairingChange.to_helper_id.in_(chunk), PairingChange.status == PairingChangeStatus.PENDING)
                .group_by(PairingChange.to_helper_id)):
            held[helper_id] = held.get(helper_id, 0) + n
    return held


def _check_room(gaining: Counter, rules: PairingRules) -> None:
    """helper id → households to give them: over the limit, counting the changes waiting, is refused.
    The helpers' rows are locked first, so that two requests giving one helper households are counted
    one after the other."""
    for chunk in chunks(sorted(gaining)):
        db.session.execute(select(User.id).where(User.id.in_(chunk)).order_by(User.id).with_for_update(key_share=True))
    held = counted(gaining)
    for helper_id, n in gaining.items():
        if held.get(helper_id, 0) + n > rules.household_limit:
            name = db.session.get(User, helper_id).display_name
            raise ValidationFailed(f"{name} 已帮扶（含待审批）{rules.household_limit} 户，达到上限。", field="helper")


@dataclass(frozen=True)
class Proposal:
    """A current pairing to change: the household from its helper to another (None: to end it)."""
    household_id: int
    from_helper_id: int
    to_helper_id: int | None


def propose(unit_id: int, proposals: list[Proposal], by: User | None, reason: str, rules: PairingRules,
            now: datetime | None = None) -> list[int]:
    """Send the changes to the county, with their audit entries (a few statements for any number). A
    household with a change already waiting keeps that one: its proposal is left out. A helper they
    would take over the limit, counting the changes waiting: ValidationFailed, nothing stored.
    Returns the ids of the changes made."""
    now = now or datetime.now(timezone.utc)
    waiting = pending_households(p.household_id for p in proposals)
    proposals = [p for p in proposals if p.household_id not in waiting]
    gaining = Counter(p.to_helper_id for p in proposals if p.to_helper_id is not None)
    _check_room(gaining, rules)
    by_id = by.id if by else None
    rows = [{"unit_id": unit_id, "household_id": p.household_id, "from_helper_id": p.from_helper_id,
             "to_helper_id": p.to_helper_id, "reason": reason, "status": PairingChangeStatus.PENDING,
             "proposed_by_id": by_id, "proposed_at": now} for p in proposals]
    table = PairingChange.__table__
    made, logs = [], []
    for chunk in chunks(rows, 2000):
        for change_id, household_id, to_helper_id in db.session.execute(
                insert(table).returning(table.c.id, table.c.household_id, table.c.to_helper_id), chunk):
            made.append(change_id)
            logs.append(audit.entry(by_id, now, "pairing.propose", "pairing_change", change_id,
                                    household_id=household_id, to_helper_id=to_helper_id, reason=reason))
    audit.record_many(logs)
    return made


def request(household: Household, helper: User | None, by: User, reason: str,
            rules: PairingRules) -> PairingChange | Pairing | None:
    """The office's pairing form: a proposal to the county when one is needed, else the change itself."""
    reason = _text(reason, "reason")
    if not reason:
        raise ValidationFailed("请填写调整原因。", field="reason")
    if helper is not None:
        pairings.check_helper(helper)
    database.lock(Household, household.id)  # one proposal at a time per household
    current = pairings.current(household.id)
    county = needs_approval(household.village.unit)
    if current is None or not county:
        if helper is None:
            return pairings.end(household, by, reason)
        if county:  # a first pairing: the changes waiting for the county count too
            _check_room(Counter([helper.id]), rules)
        return pairings.assign(household, helper, by, reason, rules)
    if helper is not None and current.helper_id == helper.id:
        raise ValidationFailed(f"这户现由 {helper.display_name} 帮扶，无需调整。", field="helper")
    made = propose(household.village.unit_id, [Proposal(household.id, current.helper_id, helper.id if helper else None)],
                   by, reason, rules)
    if not made:
        raise ValidationFailed("这户已有一项待县里审批的结对调整，请等县里审批后再提。", field="helper")
    return db.session.get(PairingChange, made[0])


def for_county(user: User) -> Select:
    """Changes of the county admin's townships, pending first."""
    if not permissions.administers_county(user):
        return select(PairingChange).where(False)
    units = select(Unit.id).where(Unit.parent_id == user.unit_id)
    return select(PairingChange).where(PairingChange.unit_id.in_(units)).order_by(
        (PairingChange.status != PairingChangeStatus.PENDING), PairingChange.id.desc())


def for_unit(unit_id: int) -> Select:
    """A township's own changes (its office's pairing page), newest first."""
    return select(PairingChange).where(PairingChange.unit_id == unit_id).order_by(PairingChange.id.desc())


def change(user: User, change_id: int) -> PairingChange:
    # locked till the commit: two decisions sent at once are taken one after the other (the second is refused)
    found = db.session.scalar(for_county(user).where(PairingChange.id == change_id).with_for_update(of=PairingChange))
    if found is None:
        raise NotFound("没有这项结对调整，或您无权审批。")
    return found


def decide(item: PairingChange, by: User, approve: bool, note: str, rules: PairingRules) -> PairingChange:
    """The county approves (the change takes effect now) or refuses with its reason."""
    if not permissions.administers_county(by):
        raise Forbidden("只有县扶贫攻坚指挥部可以审批结对调整。")
    if item.status != PairingChangeStatus.PENDING:
        raise ValidationFailed("这项调整已审批过。")
    note = _text(note, "note")
    if not approve and not note:
        raise ValidationFailed("请填写不同意的理由。", field="note")
    if approve:
        current = pairings.current(item.household_id)
        if (current.helper_id if current else None) != item.from_helper_id:
            raise ValidationFailed("这户的结对已经变动，请乡里重新提出调整。")
        reason = f"{item.reason}（县审批同意）"
        if item.to_helper is None:
            pairings.end(item.household, by, reason)
        else:
            pairings.assign(item.household, item.to_helper, by, reason, rules)
    item.status = PairingChangeStatus.APPROVED if approve else PairingChangeStatus.REJECTED
    item.decided_by_id, item.decided_at, item.decision_note = by.id, datetime.now(timezone.utc), note or None
    audit.record(by, "pairing.approve" if approve else "pairing.reject", "pairing_change", item.id,
                 household_id=item.household_id, note=note)
    return item
