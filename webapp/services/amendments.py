"""Correcting a returned visit: while a visit is 退回, its helper may amend the
notes and answer the first secretary's comment (and add photos through the photo endpoint). The
check-in time and position never change: that needs a new visit. Every amendment is kept as
history (who, when, the text before and after, the reply, the comment it answers) and puts the
visit back to the first secretary (已整改待复核), who accepts it or returns it again.

Idempotent like visits: the amendment's client_uuid with the same content is a replay.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import database
from ..extensions import db
from ..models import ReviewStatus, User, Visit, VisitAmendment
from . import access, audit
from .calendar import now_utc
from .errors import Conflict, ValidationFailed

WHY_NOT = {
    ReviewStatus.PENDING: "这次走访尚未被退回（待审阅），不能修改；如需更正请新建一次走访。",
    ReviewStatus.REVIEWED: "这次走访已审阅，没有被退回，不能修改。",
    ReviewStatus.FIXED: "这次走访已整改，正在等待第一书记复核，不能再次修改。",
}


@dataclass
class Amended:
    amendment: VisitAmendment
    visit: Visit
    created: bool


def _digest(visit_uuid: str, notes: str | None, reply: str) -> str:
    raw = json.dumps({"visit": visit_uuid, "notes": notes, "reply": reply}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(existing: VisitAmendment, visit: Visit, user: User, digest: str) -> Amended:
    if existing.visit_id != visit.id or existing.author_id != user.id:
        raise Conflict("这个 client_uuid 已用于另一条修改。", field="client_uuid")
    if existing.content_hash != digest:
        raise Conflict("同一 client_uuid 已提交过内容不同的修改，未作变更。", field="client_uuid")
    return Amended(existing, visit, created=False)


def amend(user: User, visit_uuid: str, data: dict[str, Any]) -> Amended:
    """Store an amendment of the caller's returned visit (data as validated by AmendmentIn).
    Must be the first write of its transaction (a concurrent duplicate rolls it back)."""
    visit = database.locked(access.own_visit_by_uuid(user, visit_uuid))  # two at once: the second sees 已整改
    client_uuid = str(data["client_uuid"])
    notes = data.get("notes")
    notes = notes.strip() if notes is not None else None
    reply = (data.get("reply") or "").strip()
    digest = _digest(visit_uuid, notes, reply)
    existing = db.session.scalar(select(VisitAmendment).where(VisitAmendment.client_uuid == client_uuid))
    if existing is not None:
        return _replay(existing, visit, user, digest)
    if visit.review_status != ReviewStatus.RETURNED:
        raise Conflict(WHY_NOT.get(visit.review_status, "只有被退回的走访可以修改。"), field="client_uuid")
    if (notes is None or notes == visit.notes) and not reply:
        raise ValidationFailed("请修改走访内容（notes）或回复第一书记的批注（reply）。", field="notes")
    row = VisitAmendment(client_uuid=client_uuid, visit_id=visit.id, author_id=user.id, created_at=now_utc(),
                         notes_before=visit.notes, notes_after=notes if notes is not None else visit.notes,
                         reply=reply, review_comment=visit.review_comment or "", content_hash=digest)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(VisitAmendment).where(VisitAmendment.client_uuid == client_uuid))
        if existing is None:
            raise
        return _replay(existing, access.own_visit_by_uuid(user, visit_uuid), user, digest)
    visit.notes = row.notes_after
    visit.review_status = ReviewStatus.FIXED
    db.session.flush()
    audit.record(user, "visit.amended", "visit", visit.id, amendment_id=row.id,
                 notes_changed=row.notes_before != row.notes_after, reply=reply)
    return Amended(row, visit, created=True)


def changes(a: VisitAmendment) -> list[str]:
    out = []
    if a.notes_before != a.notes_after:
        out.append("notes")
    if a.reply:
        out.append("reply")
    return out
