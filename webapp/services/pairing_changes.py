"""Pairing changes under a county: the township proposes with its reason, the county approves or
refuses with a reason (001: "所有干部结对帮扶的调整必须镇上报县扶贫攻坚指挥部同意后方可调整，不得私自更改").

A township without a county in the installation (Unit.parent_id empty) changes pairings at once, as
before. A first pairing of an unpaired household is not an adjustment (调整) and takes effect at once;
changing or ending a current pairing waits for the county.
"""
from datetime import datetime, timezone

from sqlalchemy import Select, func, select

from .. import database
from ..extensions import db
from ..models import Household, Pairing, PairingChange, PairingChangeStatus, Unit, User
from . import audit, pairings, permissions
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


def _pending_to(helper_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(PairingChange).where(
        PairingChange.to_helper_id == helper_id, PairingChange.status == PairingChangeStatus.PENDING)) or 0


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
    if current is None or not needs_approval(household.village.unit):
        if helper is None:
            return pairings.end(household, by, reason)
        return pairings.assign(household, helper, by, reason, rules)
    if helper is not None and current.helper_id == helper.id:
        raise ValidationFailed(f"这户现由 {helper.display_name} 帮扶，无需调整。", field="helper")
    if pending_for(household.id) is not None:
        raise ValidationFailed("这户已有一项待县里审批的结对调整，请等县里审批后再提。", field="helper")
    if helper is not None and pairings.load(helper.id) + _pending_to(helper.id) >= rules.household_limit:
        raise ValidationFailed(f"{helper.display_name} 已帮扶（含待审批）{rules.household_limit} 户，达到上限。", field="helper")
    change = PairingChange(unit_id=household.village.unit_id, household_id=household.id, from_helper_id=current.helper_id,
                           to_helper_id=helper.id if helper else None, reason=reason, proposed_by_id=by.id)
    db.session.add(change)
    db.session.flush()
    audit.record(by, "pairing.propose", "pairing_change", change.id, household_id=household.id,
                 to_helper_id=change.to_helper_id, reason=reason)
    return change


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
