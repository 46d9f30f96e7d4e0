"""Households and villages a user may see, and where they may record a visit or plan a measure."""
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import TEAM_ROLES, Household, Pairing, Role, User, Village
from ..errors import Forbidden
from .found import one


def households(user: User) -> Select:
    q = select(Household)
    if user.role == Role.HELPER:
        return q.join(Pairing, Pairing.household_id == Household.id).where(
            Pairing.helper_id == user.id, Pairing.end_date.is_(None),
            Household.village_id.in_(_unit_villages(user.unit_id)),
        )
    if user.role in TEAM_ROLES:
        return q.where(Household.village_id == user.village_id)
    if user.role == Role.OFFICE_ADMIN:
        return q.join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id)
    return q.where(False)


def _unit_villages(unit_id: int) -> Select:
    return select(Village.id).where(Village.unit_id == unit_id)


def household(user: User, household_id: int) -> Household:
    return one(households(user).where(Household.id == household_id), "没有这户，或您无权查看。")


def villages(user: User) -> Select:
    q = select(Village).order_by(Village.id)
    if user.role == Role.OFFICE_ADMIN:
        return q.where(Village.unit_id == user.unit_id)
    if user.role in TEAM_ROLES:
        return q.where(Village.id == user.village_id)
    return q.where(False)


def village(user: User, village_id: int) -> Village:
    return one(villages(user).where(Village.id == village_id), "没有这个村，或您无权查看。")


def visitable_household(user: User, household_id: int) -> Household:
    """A household the user may record a visit at: helpers, at their currently paired households."""
    if user.role != Role.HELPER:
        raise Forbidden("只有帮扶责任人可以登记走访。")
    # 404, like every household outside the user's scope
    return one(households(user).where(Household.id == household_id)
               .options(joinedload(Household.village).joinedload(Village.unit)),
               "这户不是您当前结对的帮扶户，不能登记走访。", field="household_id")


def can_plan(user: User, household: Household) -> bool:
    """Who may add measures to a household's plan: its current helper, the village's first
    secretary and the unit's office admin (all of whom can see the household)."""
    if user.role == Role.HELPER:
        return db.session.scalar(households(user).where(Household.id == household.id)) is not None
    if user.role == Role.FIRST_SECRETARY:
        return user.village_id == household.village_id
    if user.role == Role.OFFICE_ADMIN:
        return household.village.unit_id == user.unit_id
    return False
