"""The office home's month at a glance: what waits for the township office this month,
each figure scoped to the admin's unit first (services.access) and counted in SQL.

- leave waiting for the office's decision (the approvals page);
- per village: households not visited yet this month (the village's 帮扶工作 page), visits waiting
  for review and flagged visits waiting for 核实 (the review queue, filtered) — the queue's own
  conditions, so the figures are the ones the queue shows;
- batch print jobs queued, running, or failed this month (the printing page);
- helpers whose month so far carries a flag (本月暂计 while the month is open): the performance
  services' flags (services.performance.month_results, the unit ranking's own computation), computed
  once, in at_risk(): the page loads that figure after itself (a second at 10,000 households);
- villages still without a confirmed centre (the villages page).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, distinct, func

from ..extensions import db
from ..models import Household, PrintJob, PrintJobStatus, User, Village, Visit
from . import access, lookups, performance, review_queue, villages
from .calendar import local_today, month_utc_range
from .performance.rules import ScoringRules

AT_RISK_SHOWN = 5
JOB_STATUSES = (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING, PrintJobStatus.FAILED)


@dataclass
class VillageMonth:
    village: Village
    households: int = 0
    unvisited: int = 0
    pending: int = 0  # 待审阅
    unverified: int = 0  # 待核实


@dataclass
class MonthGlance:
    month: str
    leave_pending: int
    villages: list[VillageMonth]
    jobs: dict[str, int]
    without_centre: list[Village] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(v, name) for v in self.villages)


def _per_village(q: Select, counted) -> dict[int, int]:
    return {v: int(n) for v, n in db.session.execute(
        q.with_only_columns(Household.village_id, counted).group_by(Household.village_id))}


def _village_counts(user: User, today: date) -> list[VillageMonth]:
    """Each count is a WHERE the visit indexes serve, per village of the admin's township:
    households less those visited this month (index household_id, checked_in_at), visits
    待审阅 (the same index's review_status) and 待核实 (the partial index ix_visit_unverified)."""
    start, end = month_utc_range(today.year, today.month)
    listed = {v.id: VillageMonth(v) for v in lookups.villages(user)}
    shown = access.households(user)
    households = _per_village(shown, func.count())
    visited = _per_village(shown.join(Visit, Visit.household_id == Household.id)
                           .where(Visit.checked_in_at >= start, Visit.checked_in_at < end),
                           func.count(distinct(Visit.household_id)))
    conds = review_queue.conditions(today)
    pending = _per_village(access.review_visits(user).where(conds["pending"]), func.count())
    unverified = _per_village(access.review_visits(user).where(conds["unverified"]), func.count())
    for village_id, row in listed.items():
        row.households = households.get(village_id, 0)
        row.unvisited = row.households - visited.get(village_id, 0)
        row.pending, row.unverified = pending.get(village_id, 0), unverified.get(village_id, 0)
    return list(listed.values())


def _jobs(user: User, today: date) -> dict[str, int]:
    start, _ = month_utc_range(today.year, today.month)
    jobs = access.print_jobs(user).order_by(None)
    counted = dict(db.session.execute(
        jobs.with_only_columns(PrintJob.status, func.count())
        .where(PrintJob.status.in_(JOB_STATUSES))
        .where((PrintJob.status != PrintJobStatus.FAILED) | (PrintJob.created_at >= start))
        .group_by(PrintJob.status)).all())
    return {s.value: int(counted.get(s, 0)) for s in JOB_STATUSES}


def build(user: User, today: date | None = None) -> MonthGlance:
    """This month at a glance for an office admin (empty figures for anyone else: access scopes them),
    but for the helpers at risk (at_risk(): the month's performance, loaded after the page)."""
    today = today or local_today()
    return MonthGlance(month=f"{today.year:04d}-{today.month:02d}", leave_pending=lookups.pending_leave_count(user),
                       villages=_village_counts(user, today), jobs=_jobs(user, today),
                       without_centre=villages.without_centre(user))


@dataclass
class AtRisk:
    month: str
    provisional: bool  # the month is still open: its flags read 本月暂计
    helpers: list  # HelperMonth with flags, most flags first

    @property
    def shown(self) -> list:
        return self.helpers[:AT_RISK_SHOWN]


def at_risk(rules: ScoringRules, user: User, today: date | None = None) -> AtRisk:
    """Helpers whose month so far carries a flag: the unit ranking's own computation (month_results),
    once. At 10,000 households it takes about a second (bench/office_home.py): the office home loads
    it after the page."""
    today = today or local_today()
    month = f"{today.year:04d}-{today.month:02d}"
    results = performance.month_results(rules, user, month)
    return AtRisk(month, not results or any(not r.closed for r in results),
                  sorted((r for r in results if r.flags), key=lambda r: (-len(r.flags), r.display_name)))
