"""Lookups that pages and API answers need beside their main service call, each starting from
what the user may see."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import TEAM_ROLES, Household, Leave, LeaveStatus, Pairing, Role, User, Village, Visit
from . import access, permissions
from .errors import NotFound


def villages(user: User) -> list[Village]:
    """The villages the user may see (an office admin: the unit's)."""
    return list(db.session.scalars(access.villages(user)))


def villages_to_pick(user: User) -> list[Village]:
    """The village picker on team pages: only an office admin chooses a village."""
    return villages(user) if permissions.administers_unit(user) else []


def village_team(village_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.village_id == village_id, User.role.in_(TEAM_ROLES)).order_by(User.role, User.id)))


def households_per_village(user: User) -> dict[int, int]:
    """Households per village the user may see."""
    return dict(db.session.execute(
        select(Household.village_id, func.count())
        .where(Household.village_id.in_(access.villages(user).with_only_columns(Village.id)))
        .group_by(Household.village_id)).all())


def open_pairings_per_helper(user: User) -> dict[int, int]:
    """Current pairings per helper the user may see."""
    return dict(db.session.execute(
        select(Pairing.helper_id, func.count())
        .where(Pairing.end_date.is_(None), Pairing.helper_id.in_(access.users(user).with_only_columns(User.id)))
        .group_by(Pairing.helper_id)).all())


def active_helpers(user: User) -> list[User]:
    return list(db.session.scalars(access.users(user).where(User.role == Role.HELPER, User.active.is_(True))))


def people(user: User) -> list[User]:
    return list(db.session.scalars(access.users(user)))


def my_leaves(user: User, limit: int = 50) -> list[Leave]:
    return list(db.session.scalars(
        access.leaves(user).where(Leave.user_id == user.id)
        .order_by(Leave.start_date.desc(), Leave.id.desc()).limit(limit)))


def leaves_to_decide(user: User) -> list[Leave]:
    return list(db.session.scalars(access.leaves_to_decide(user).options(joinedload(Leave.user))))


def pending_leave_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(access.leaves_to_decide(user).subquery())) or 0


def leaves_decided_by(user: User, limit: int = 20) -> list[Leave]:
    return list(db.session.scalars(
        access.leaves(user).where(Leave.approver_id == user.id, Leave.status != LeaveStatus.PENDING)
        .options(joinedload(Leave.user)).order_by(Leave.decided_at.desc()).limit(limit)))


def my_households(user: User) -> list[Household]:
    """The households the user may see, by head's name (a helper: their current households)."""
    return list(db.session.scalars(access.households(user).order_by(Household.head_name, Household.id)))


def visit_by_uuid(user: User, client_uuid: str) -> Visit:
    """One of the user's visible visits by its client_uuid (the outbox asks what arrived)."""
    found = db.session.scalar(access.visits(user).where(Visit.client_uuid == client_uuid))
    if found is None:
        raise NotFound("没有这次走访，或您无权查看。")
    return found
