"""What each user may see: one query per resource that starts from the user.

Routes never load a household, a helper or a village by id without going through here.
"""
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Household, Pairing, User, Village
from .errors import NotFound


def households(user: User) -> Select:
    q = select(Household)
    if user.role == "helper":
        return q.join(Pairing, Pairing.household_id == Household.id).where(
            Pairing.helper_id == user.id, Pairing.end_date.is_(None)
        )
    if user.role in ("team_member", "first_secretary"):
        return q.where(Household.village_id == user.village_id)
    if user.role == "office_admin":
        return q.join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id)
    return q.where(False)


def household(user: User, household_id: int) -> Household:
    found = db.session.scalar(households(user).where(Household.id == household_id))
    if found is None:
        raise NotFound("没有这户，或您无权查看。")
    return found


def villages(user: User) -> Select:
    q = select(Village).order_by(Village.id)
    if user.role == "office_admin":
        return q.where(Village.unit_id == user.unit_id)
    if user.role in ("team_member", "first_secretary"):
        return q.where(Village.id == user.village_id)
    return q.where(False)


def village(user: User, village_id: int) -> Village:
    found = db.session.scalar(villages(user).where(Village.id == village_id))
    if found is None:
        raise NotFound("没有这个村，或您无权查看。")
    return found


def users(user: User) -> Select:
    """People whose records the user may read (helpers' months, team attendance)."""
    q = select(User).order_by(User.id)
    if user.role == "office_admin":
        return q.where(User.unit_id == user.unit_id)
    if user.role == "first_secretary":
        # the team, and the helpers paired with households of the village
        paired = (
            select(Pairing.helper_id)
            .join(Household, Household.id == Pairing.household_id)
            .where(Household.village_id == user.village_id, Pairing.end_date.is_(None))
        )
        return q.where((User.village_id == user.village_id) | User.id.in_(paired))
    return q.where(User.id == user.id)


def person(user: User, user_id: int) -> User:
    found = db.session.scalar(users(user).where(User.id == user_id))
    if found is None:
        raise NotFound("没有这个人，或您无权查看。")
    return found


def can_see_full_id(user: User) -> bool:
    return user.role in ("office_admin", "first_secretary")
