"""People whose records a user may read: helpers (their months, assessments), the work team."""
from datetime import date

from sqlalchemy import Select, select

from ...models import TEAM_ROLES, Household, Pairing, Role, SpotCheckDraw, SpotCheckItem, User
from .found import one


def users(user: User) -> Select:
    """People whose records the user may read (helpers' months, team attendance)."""
    q = select(User).order_by(User.id)
    if user.role == Role.OFFICE_ADMIN:
        return q.where(User.unit_id == user.unit_id)
    if user.role == Role.FIRST_SECRETARY:
        # the team, and the helpers paired with households of the village
        paired = (
            select(Pairing.helper_id)
            .join(Household, Household.id == Pairing.household_id)
            .where(Household.village_id == user.village_id, Pairing.end_date.is_(None))
        )
        return q.where(User.unit_id == user.unit_id, (User.village_id == user.village_id) | User.id.in_(paired))
    return q.where(User.id == user.id)


def person(user: User, user_id: int) -> User:
    return one(users(user).where(User.id == user_id), "没有这个人，或您无权查看。")


def helper_ids(user: User, first: date | None = None, last: date | None = None, village_id: int | None = None) -> Select:
    """Ids of the helpers whose assessment the user may read.

    helper: only themself; first secretary: helpers paired with households of their village
    (pairings overlapping [first, last], or current ones without dates); office admin: the helpers
    of their unit; everyone else: nobody. village_id narrows to helpers paired with that village's
    households in the period (a village the user may see).
    """
    q = select(User.id).where(User.role == Role.HELPER)
    if user.role == Role.HELPER:
        q = q.where(User.id == user.id)
    elif user.role == Role.OFFICE_ADMIN:
        q = q.where(User.unit_id == user.unit_id)
    elif user.role == Role.FIRST_SECRETARY and user.village_id is not None:
        q = q.where(User.unit_id == user.unit_id, User.id.in_(_paired_in(user.village_id, first, last)))
    else:
        return q.where(False)
    if village_id is not None:
        q = q.where(User.id.in_(_paired_in(village_id, first, last)))
    return q


def _paired_in(village_id: int, first: date | None, last: date | None) -> Select:
    q = (
        select(Pairing.helper_id)
        .join(Household, Household.id == Pairing.household_id)
        .where(Household.village_id == village_id)
    )
    if first is None or last is None:
        return q.where(Pairing.end_date.is_(None))
    return q.where(Pairing.start_date <= last, (Pairing.end_date.is_(None)) | (Pairing.end_date >= first))


def assessed_helper(user: User, helper_id: int, first: date | None = None, last: date | None = None) -> User:
    """One helper whose month the user may read, or NotFound."""
    return one(select(User).where(User.id == helper_id, User.id.in_(helper_ids(user, first, last))),
               "没有这个帮扶责任人，或您无权查看。")


def spot_check_item(user: User, item_id: int) -> SpotCheckItem:
    """A sampled helper of a spot-check draw of the office admin's own unit."""
    q = select(SpotCheckItem).join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckItem.draw_id).where(SpotCheckItem.id == item_id)
    if user.role != Role.OFFICE_ADMIN:
        q = q.where(False)
    return one(q.where(SpotCheckDraw.unit_id == user.unit_id), "没有这条抽查记录，或您无权操作。")


def team_people(user: User) -> Select:
    """Work-team people whose attendance the user may read: a team member only themself,
    a first secretary their village's team, an office admin every team of the unit."""
    q = select(User).where(User.role.in_(TEAM_ROLES)).order_by(User.id)
    if user.role == Role.OFFICE_ADMIN:
        return q.where(User.unit_id == user.unit_id)
    if user.role == Role.FIRST_SECRETARY and user.village_id is not None:
        return q.where(User.village_id == user.village_id)
    return q.where(User.id == user.id)


def team_person(user: User, user_id: int) -> User:
    return one(team_people(user).where(User.id == user_id), "没有这名工作队员，或您无权查看。")
