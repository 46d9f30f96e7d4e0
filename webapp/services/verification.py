"""Settling a flagged visit: 待核实 until the first secretary or the office
accepts it (已核实, with a note); only then does it count towards coverage and the score.
Unflagged visits count at once. A flag the visit did not carry when it was accepted puts it back
to 待核实 (visit_flags.store).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from ..extensions import db
from ..models import ReviewStatus, User, Visit
from . import access, audit, permissions, visit_flags
from .calendar import now_utc
from .errors import Conflict, Forbidden, ValidationFailed

NOTE_MAX = 500


class VerificationState(StrEnum):
    """Computed from the visit (flags, verified_at), not stored."""
    PENDING = "pending"  # 待核实
    VERIFIED = "verified"  # 已核实


STATES = {VerificationState.PENDING: "待核实", VerificationState.VERIFIED: "已核实"}
NEEDED = "有异常标记，需第一书记核实后才计入走访和考核：请在记录中说明原因或补充照片，等待核实。"


def state(visit: Visit) -> VerificationState | None:
    """None (no flag: counts at once), pending (待核实) or verified (已核实)."""
    if not visit.flags:
        return None
    return VerificationState.VERIFIED if visit.verified_at is not None else VerificationState.PENDING


def counts(visit: Visit) -> bool:
    return state(visit) != VerificationState.PENDING


def summary(visit: Visit) -> dict[str, Any] | None:
    """What the API and the pages show: state, label, and what is needed or who accepted it."""
    s = state(visit)
    if s is None:
        return None
    out: dict[str, Any] = {"status": s, "label": STATES[s]}
    if s == VerificationState.PENDING:
        out["needed"] = NEEDED
        out["waiting_for"] = [d["label"] for d in visit_flags.details(visit)]
    else:
        out.update(note=visit.verify_note, at=visit.verified_at.isoformat() if visit.verified_at else None,
                   by=visit.verified_by.display_name if visit.verified_by else None)
    return out


def verify(user: User, visit_id: int, note: str | None) -> Visit:
    """The village's first secretary (or the unit's office) accepts a flagged visit with a note."""
    if not permissions.can_verify(user):
        raise Forbidden("只有本村第一书记或乡镇（单位）办公室可以核实走访。")
    visit = access.review_visit(user, visit_id)
    if visit.fake_confirmed_at is not None:
        raise Conflict("这次走访已确认弄虚作假，不能核实，也不计入走访和考核。")
    if not visit.flags:
        raise Conflict("这次走访没有异常标记，无需核实，已直接计入。")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("核实时请写明核实情况（如：已电话联系户主，确认当天入户）。", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"核实说明不超过 {NOTE_MAX} 字。", field="note")
    now = now_utc()
    visit.verified_at, visit.verified_by_id, visit.verify_note = now, user.id, note
    visit.review_status, visit.reviewed_by_id, visit.reviewed_at = ReviewStatus.REVIEWED, user.id, now
    db.session.flush()
    audit.record(user, "visit.verified", "visit", visit.id, note=note, flags=list(visit.flags))
    return visit
