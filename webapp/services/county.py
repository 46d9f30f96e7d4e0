"""The county level above the townships (001 "镇上报县扶贫攻坚指挥部").

A county is a Unit of kind "county"; its townships are the units whose parent_id names it. A county
admin (role county_admin, unit_id = the county) sees every township of the county and only those:
reports, rankings, printing, and visits read-only. It reads a township through `TownshipView`, a
read-only stand-in for that township's office: the read services (rankings, diaries) scope by
role and unit exactly as for the township's own office. Nothing is ever written with a TownshipView.
"""
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import COUNTY_KIND, Household, PairingChange, PairingChangeStatus, Role, Unit, User, Village
from .errors import NotFound

COUNTY_ROLE = Role.COUNTY_ADMIN
OFFICE_ROLE = Role.OFFICE_ADMIN


@dataclass(frozen=True)
class TownshipView:
    """The county admin reading one township as its office would (read-only)."""

    id: int
    unit_id: int
    unit: Unit
    role: str = OFFICE_ROLE
    village_id: None = None
    username: str = ""
    display_name: str = ""


def townships(user: User) -> Select:
    """The townships the user may read: a county admin its county's, an office admin its own."""
    q = select(Unit).order_by(Unit.id)
    if user.role == COUNTY_ROLE:
        return q.where(Unit.parent_id == user.unit_id, Unit.kind != COUNTY_KIND)
    if user.role == OFFICE_ROLE:
        return q.where(Unit.id == user.unit_id)
    return q.where(False)


def township(user: User, unit_id: int) -> Unit:
    found = db.session.scalar(townships(user).where(Unit.id == unit_id))
    if found is None:
        raise NotFound("没有这个乡镇，或您无权查看。")
    return found


def view(user: User, unit_id: int) -> TownshipView:
    """A township of the county admin's county, to read as its office does (else NotFound)."""
    unit = township(user, unit_id)
    return TownshipView(id=user.id, unit_id=unit.id, unit=unit, username=user.username, display_name=user.display_name)


def needs_approval(unit: Unit) -> bool:
    """A township under a county changes pairings only with the county's approval (001)."""
    return unit.parent_id is not None


def overview(user: User) -> list[dict]:
    """Per township: villages, households, helpers and pairing changes waiting for the county."""
    units = db.session.scalars(townships(user)).all()
    ids = [u.id for u in units]
    if not ids:
        return []

    def per_unit(q) -> dict[int, int]:
        return dict(db.session.execute(q).all())

    villages = per_unit(select(Village.unit_id, func.count()).where(Village.unit_id.in_(ids)).group_by(Village.unit_id))
    households = per_unit(select(Village.unit_id, func.count()).join(Household, Household.village_id == Village.id)
                          .where(Village.unit_id.in_(ids)).group_by(Village.unit_id))
    helpers = per_unit(select(User.unit_id, func.count()).where(User.unit_id.in_(ids), User.role == Role.HELPER,
                                                                User.active.is_(True)).group_by(User.unit_id))
    pending = per_unit(select(PairingChange.unit_id, func.count()).where(PairingChange.unit_id.in_(ids),
                                                                         PairingChange.status == PairingChangeStatus.PENDING)
                       .group_by(PairingChange.unit_id))
    return [{"unit": u, "villages": villages.get(u.id, 0), "households": households.get(u.id, 0),
             "helpers": helpers.get(u.id, 0), "pending": pending.get(u.id, 0)} for u in units]


def reader(user: User, unit_id: int | None):
    """Who a read-only page reads as: a county admin one of its townships (unit_id, else NotFound) as
    that township's office does; anyone else themself."""
    if user.role == COUNTY_ROLE:
        return view(user, unit_id or 0)
    return user
