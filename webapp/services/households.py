"""Household lists with their visit summary."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Household, Pairing, User, Visit
from . import access
from .calendar import local_today, month_utc_range


@dataclass
class HouseholdRow:
    household: Household
    last_visit: datetime | None
    visits_this_month: int
    helper: User | None = None


def listing(user: User, village_id: int | None = None, only=None) -> list[HouseholdRow]:
    """The households the user may see, each with the last visit, this month's visits and the helper;
    `only` (a select of household ids, e.g. one page of a search) narrows them."""
    today = local_today()
    start, end = month_utc_range(today.year, today.month)
    in_month = (Visit.checked_in_at >= start) & (Visit.checked_in_at < end)
    shown = access.households(user).with_only_columns(Household.id)
    if village_id is not None:
        shown = shown.where(Household.village_id == village_id)
    if only is not None:
        shown = shown.where(Household.id.in_(only))
    # only the listed households' visits: the database cannot push the join into the GROUP BY, so
    # without this every visit of the installation is aggregated (seconds at province size)
    visits = (
        select(Visit.household_id, func.max(Visit.checked_in_at).label("last"),
               func.sum(case((in_month, 1), else_=0)).label("month"))
        .where(Visit.household_id.in_(shown))
        .group_by(Visit.household_id)
        .subquery()
    )
    current = aliased(Pairing)
    q = (
        access.households(user)
        .add_columns(visits.c.last, visits.c.month, User)
        .outerjoin(visits, visits.c.household_id == Household.id)
        .outerjoin(current, (current.household_id == Household.id) & current.end_date.is_(None))
        .outerjoin(User, User.id == current.helper_id)
        .order_by(Household.village_id, Household.head_name, Household.id)
    )
    if village_id is not None:
        q = q.where(Household.village_id == village_id)
    if only is not None:
        q = q.where(Household.id.in_(only))
    return [HouseholdRow(hh, last, int(month or 0), helper) for hh, last, month, helper in db.session.execute(q).all()]


def row(user: User, household: Household) -> HouseholdRow:
    """One household's row of listing() (the office's 调整 form)."""
    return listing(user, only=select(Household.id).where(Household.id == household.id))[0]
