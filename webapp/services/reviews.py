"""The first secretary's review of helpers' visits in the village (批注, 退回整改), and the helper's side.

States (Visit.review_status): pending → reviewed (已阅, optional comment) or returned (退回整改,
comment required); returned → fixed (the helper says it is corrected) → reviewed or returned again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import database
from ..extensions import db
from ..models import Household, ReviewStatus, User, Village, Visit
from . import access, audit, households, permissions
from .calendar import local_today, month_utc_range, now_utc
from .errors import Conflict, Forbidden, ValidationFailed

REVIEW_LABELS = {ReviewStatus.PENDING: "待审阅", ReviewStatus.REVIEWED: "已阅", ReviewStatus.RETURNED: "已退回",
                 ReviewStatus.FIXED: "已整改待复核"}
REVIEW_BADGE = {ReviewStatus.PENDING: "warn", ReviewStatus.REVIEWED: "ok", ReviewStatus.RETURNED: "bad",
                ReviewStatus.FIXED: "warn"}
ACTIONS = (ReviewStatus.REVIEWED, ReviewStatus.RETURNED)
COMMENT_MAX = 500


def review(user: User, visit_id: int, action: str, comment: str | None) -> Visit:
    """The village's first secretary marks a visit reviewed (with an optional 批注) or sends it back."""
    if not permissions.can_review(user):
        raise Forbidden("只有本村第一书记可以审阅走访。")
    visit = database.locked(access.review_visit(user, visit_id))
    if action not in ACTIONS:
        raise ValidationFailed("请选择“已阅”或“退回整改”。", field="action")
    comment = (comment or "").strip()
    if action == ReviewStatus.RETURNED and not comment:
        raise ValidationFailed("退回整改时请写明要改什么。", field="comment")
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(f"批注不超过 {COMMENT_MAX} 字。", field="comment")
    visit.review_status = action
    visit.review_comment = comment or None
    visit.reviewed_by_id = user.id
    visit.reviewed_at = now_utc()
    db.session.flush()
    audit.record(user, f"visit.{action}", "visit", visit.id, comment=comment)
    return visit


def mark_fixed(user: User, visit_id: int) -> Visit:
    """The helper tells the first secretary a returned visit has been corrected."""
    visit = database.locked(access.review_visit(user, visit_id))
    if visit.helper_id != user.id:
        raise Forbidden("只有走访的帮扶责任人可以标记整改。")
    if visit.review_status != ReviewStatus.RETURNED:
        raise Conflict("只有被退回的走访可以标记为已整改。")
    visit.review_status = ReviewStatus.FIXED
    db.session.flush()
    audit.record(user, "visit.fixed", "visit", visit.id)
    return visit


def feedback(user: User, limit: int = 50) -> list[Visit]:
    """A helper's visits the first secretary has looked at: returned first, then the rest, newest first."""
    q = (access.review_visits(user)
         .where(Visit.helper_id == user.id, Visit.review_status != ReviewStatus.PENDING)
         .options(joinedload(Visit.household), joinedload(Visit.reviewed_by))
         .order_by(Visit.reviewed_at.desc(), Visit.id.desc()).limit(limit))
    rows = list(db.session.scalars(q).unique())
    return sorted(rows, key=lambda v: 0 if v.review_status == ReviewStatus.RETURNED else 1)


def returned_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(
        access.review_visits(user).where(Visit.helper_id == user.id, Visit.review_status == ReviewStatus.RETURNED).subquery()
    )) or 0


@dataclass
class HelperGap:
    helper: User | None
    households: list[Household]
    paired: int


@dataclass
class HelpersWork:
    village: Village
    month: str
    unvisited: list[HelperGap] = field(default_factory=list)
    recent: list[Visit] = field(default_factory=list)
    flagged: list[Visit] = field(default_factory=list)
    to_recheck: list[Visit] = field(default_factory=list)
    visits_this_month: int = 0
    pending: int = 0


def helpers_work(user: User, village: Village, recent_shown: int, today: date | None = None) -> HelpersWork:
    """This month in the village: households not yet visited (by helper), recent visits, flagged
    visits, and visits the helper has fixed and that wait for another look."""
    today = today or local_today()
    work = HelpersWork(village, f"{today.year:04d}-{today.month:02d}")
    groups: dict[int | None, HelperGap] = {}
    for row in households.listing(user, village_id=village.id):
        key = row.helper.id if row.helper else None
        gap = groups.setdefault(key, HelperGap(row.helper, [], 0))
        gap.paired += 1
        if not row.visits_this_month:
            gap.households.append(row.household)
    work.unvisited = sorted((g for g in groups.values() if g.households),
                            key=lambda g: (g.helper is None, -len(g.households), g.helper.display_name if g.helper else ""))
    start, end = month_utc_range(today.year, today.month)
    scoped = access.review_visits(user).where(Household.village_id == village.id)
    # the month's visits as three columns (the counts and which ones are shown); only the shown
    # visits are loaded whole, with what their cards read (no query per card)
    marks = db.session.execute(
        scoped.with_only_columns(Visit.id, Visit.review_status, Visit.flags)
        .where(Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .order_by(Visit.checked_in_at.desc(), Visit.id.desc())).all()
    work.visits_this_month = len(marks)
    work.pending = sum(1 for m in marks if m.review_status == ReviewStatus.PENDING)
    # a flagged visit is shown once, under 异常 (a second copy would go stale after a decision)
    flagged_ids = [m.id for m in marks if m.flags]
    recent_ids = [m.id for m in marks if not m.flags][:recent_shown]  # RECENT_VISITS_SHOWN
    base = scoped.options(joinedload(Visit.household), joinedload(Visit.helper), selectinload(Visit.photos),
                          selectinload(Visit.amendments), selectinload(Visit.signature))
    wanted = flagged_ids + recent_ids
    loaded = {v.id: v for v in db.session.scalars(base.where(Visit.id.in_(wanted))).unique()} if wanted else {}
    work.flagged = [loaded[i] for i in flagged_ids]
    work.recent = [loaded[i] for i in recent_ids]
    work.to_recheck = list(db.session.scalars(
        base.where(Visit.review_status == ReviewStatus.FIXED).order_by(Visit.checked_in_at.desc())).unique())
    return work
