"""The first secretary's review queue: one visit at a time, a filter (待审阅 / 待核实 / 已退回 /
待复核 / 本月全部, optionally one helper), the counts of every filter, and 下一条.

The queue is newest first; `after` is the visit just seen or decided, so the next one is the one
checked in before it (keyset on checked_in_at, id): a decision that takes a visit out of the
filter does not make the queue skip or repeat one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Household, ReviewStatus, User, Village, Visit
from . import access, permissions
from .calendar import local_today, month_utc_range
from .performance.sql import json_nonempty

FILTERS = {"pending": "待审阅", "unverified": "待核实", "returned": "已退回", "fixed": "待复核", "all": "本月全部"}
DEFAULT_FILTER = "pending"
FILTER_MSG = "筛选应为：" + "、".join(FILTERS.values()) + "。"
HOUSEHOLD_RECENT = 3


def conditions(today: date) -> dict:
    """Each filter's condition on a visit (also the office home's counts: services.month_glance)."""
    start, end = month_utc_range(today.year, today.month)
    return {
        "pending": Visit.review_status == ReviewStatus.PENDING,
        "unverified": and_(json_nonempty(Visit.flags), Visit.verified_at.is_(None)),
        "returned": Visit.review_status == ReviewStatus.RETURNED,
        "fixed": Visit.review_status == ReviewStatus.FIXED,
        "all": and_(Visit.checked_in_at >= start, Visit.checked_in_at < end),
    }


@dataclass
class Queue:
    village: Village
    filter: str
    helper_id: int | None
    counts: dict[str, int]
    helpers: list[User]
    own_village: bool = True
    visit: Visit | None = None
    position: int = 0
    household_recent: list[Visit] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.counts[self.filter]

    @property
    def labels(self) -> dict[str, str]:
        return FILTERS

    def args(self, **over) -> dict:
        """The queue's address parameters (the village only for the office), with `over` on top."""
        out = {"filter": self.filter, "helper_id": self.helper_id,
               "village_id": None if self.own_village else self.village.id}
        out.update(over)
        return {k: v for k, v in out.items() if v is not None}


def _base(user: User, village: Village, helper_id: int | None) -> Select:
    q = access.review_visits(user).where(Household.village_id == village.id)
    return q if helper_id is None else q.where(Visit.helper_id == helper_id)


def _counts(base: Select, conds: dict) -> dict[str, int]:
    row = db.session.execute(base.with_only_columns(
        *(func.coalesce(func.sum(case((c, 1), else_=0)), 0).label(k) for k, c in conds.items()))).one()
    return {k: int(n) for k, n in row._mapping.items()}


def counts(user: User, village: Village, today: date | None = None) -> dict[str, int]:
    """How many visits each filter holds (the village page's links into the queue)."""
    return _counts(_base(user, village, None), conditions(today or local_today()))


def _count(q: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(q.subquery())) or 0


def build(user: User, village: Village, filter: str = DEFAULT_FILTER, helper_id: int | None = None,
          after: int | None = None, at: int | None = None, today: date | None = None) -> Queue:
    """The queue at visit `at`, or at the visit after `after` (neither: its first), with every
    filter's count."""
    conds = conditions(today or local_today())
    base = _base(user, village, helper_id)
    queue = Queue(village, filter, helper_id, _counts(base, conds), _helpers(user, village), user.village_id == village.id)
    listed = base.where(conds[filter])
    order = (Visit.checked_in_at.desc(), Visit.id.desc())
    if at is not None:
        listed = base.where(Visit.id == at)
    elif after is not None:
        prev = db.session.scalar(_base(user, village, helper_id).where(Visit.id == after))
        if prev is not None:
            listed = listed.where(or_(Visit.checked_in_at < prev.checked_in_at,
                                      and_(Visit.checked_in_at == prev.checked_in_at, Visit.id < prev.id)))
    queue.visit = db.session.scalars(
        listed.options(joinedload(Visit.household), joinedload(Visit.helper), selectinload(Visit.photos))
        .order_by(*order).limit(1)).unique().first()
    if queue.visit is not None:
        v = queue.visit
        queue.position = queue.total - _count(base.where(conds[filter]).where(
            or_(Visit.checked_in_at < v.checked_in_at, and_(Visit.checked_in_at == v.checked_in_at, Visit.id < v.id))))
        queue.household_recent = list(db.session.scalars(
            access.review_visits(user).where(Visit.household_id == v.household_id, Visit.id != v.id)
            .options(joinedload(Visit.helper)).order_by(*order).limit(HOUSEHOLD_RECENT)).unique())
    return queue


def _helpers(user: User, village: Village) -> list[User]:
    """Helpers with a visit in the village (the helper filter's choices)."""
    ids = select(Visit.helper_id).join(Household, Household.id == Visit.household_id).where(
        Household.village_id == village.id).distinct()
    if not permissions.can_verify(user):
        return []
    return list(db.session.scalars(
        select(User).where(User.id.in_(ids), User.unit_id == village.unit_id).order_by(User.display_name)))
