"""What each user may see: one query per resource that starts from the user.

Routes never load a household, a helper or a village by id without going through here. Every
query is scoped by the user's unit first, then village, then pairing: a record of another unit
(township) is never found, whatever id is named, so it answers 404 like any record out of scope.
"""
from datetime import date

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Household, Pairing, SpotCheckDraw, SpotCheckItem, User, Village
from .errors import NotFound


def households(user: User) -> Select:
    q = select(Household)
    if user.role == "helper":
        return q.join(Pairing, Pairing.household_id == Household.id).where(
            Pairing.helper_id == user.id, Pairing.end_date.is_(None),
            Household.village_id.in_(_unit_villages(user.unit_id)),
        )
    if user.role in ("team_member", "first_secretary"):
        return q.where(Household.village_id == user.village_id)
    if user.role == "office_admin":
        return q.join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id)
    return q.where(False)


def _unit_villages(unit_id: int) -> Select:
    return select(Village.id).where(Village.unit_id == unit_id)


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
        return q.where(User.unit_id == user.unit_id, (User.village_id == user.village_id) | User.id.in_(paired))
    return q.where(User.id == user.id)


def person(user: User, user_id: int) -> User:
    found = db.session.scalar(users(user).where(User.id == user_id))
    if found is None:
        raise NotFound("没有这个人，或您无权查看。")
    return found


def can_see_full_id(user: User) -> bool:
    return user.role in ("office_admin", "first_secretary")


# --- performance: the helpers whose months a user may read ---

def helper_ids(user: User, first: date | None = None, last: date | None = None, village_id: int | None = None) -> Select:
    """Ids of the helpers whose assessment the user may read.

    helper: only themself; first secretary: helpers paired with households of their village
    (pairings overlapping [first, last], or current ones without dates); office admin: the helpers
    of their unit; everyone else: nobody. village_id narrows to helpers paired with that village's
    households in the period (a village the user may see).
    """
    q = select(User.id).where(User.role == "helper")
    if user.role == "helper":
        q = q.where(User.id == user.id)
    elif user.role == "office_admin":
        q = q.where(User.unit_id == user.unit_id)
    elif user.role == "first_secretary" and user.village_id is not None:
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
    found = db.session.scalar(select(User).where(User.id == helper_id, User.id.in_(helper_ids(user, first, last))))
    if found is None:
        raise NotFound("没有这个帮扶责任人，或您无权查看。")
    return found


def spot_check_item(user: User, item_id: int) -> SpotCheckItem:
    """A sampled helper of a spot-check draw of the office admin's own unit."""
    q = select(SpotCheckItem).join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckItem.draw_id).where(SpotCheckItem.id == item_id)
    found = db.session.scalar(q.where(SpotCheckDraw.unit_id == user.unit_id)) if user.role == "office_admin" else None
    if found is None:
        raise NotFound("没有这条抽查记录，或您无权操作。")
    return found


# --- visits and photos ---
# A visit is seen by the helper who made it, by the team of the household's village, and by the
# office admins of the unit the village belongs to. Its photos follow the visit.
from ..models import Photo, Visit  # noqa: E402


def visits(user: User) -> Select:
    q = select(Visit)
    if user.role == "helper":
        return q.where(Visit.helper_id == user.id)
    if user.role in ("team_member", "first_secretary") and user.village_id is not None:
        return q.join(Household, Household.id == Visit.household_id).where(Household.village_id == user.village_id)
    if user.role == "office_admin":
        return (q.join(Household, Household.id == Visit.household_id)
                .join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id))
    return q.where(False)


def visit(user: User, visit_id: int) -> Visit:
    found = db.session.scalar(visits(user).where(Visit.id == visit_id))
    if found is None:
        raise NotFound("没有这次走访，或您无权查看。")
    return found


def photos(user: User) -> Select:
    """The photos the user may open at the photo routes (those of the visits they may see)."""
    return select(Photo).where(Photo.visit_id.in_(visits(user).with_only_columns(Visit.id)))


def visible_visit_ids(user: User, ids: set[int]) -> set[int]:
    """Which of these visits the user may see (flag evidence links only to those)."""
    if not ids:
        return set()
    return set(db.session.scalars(visits(user).with_only_columns(Visit.id).where(Visit.id.in_(sorted(ids)))))


def photo(user: User, photo_id: int) -> Photo:
    found = db.session.scalar(photos(user).where(Photo.id == photo_id))
    if found is None:
        raise NotFound("没有这张照片，或您无权查看。")
    return found


def own_visit_by_uuid(user: User, client_uuid: str) -> Visit:
    """The caller's own visit by its client_uuid (photos are added only by the visit's helper)."""
    found = db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid, Visit.helper_id == user.id))
    if found is None:
        raise NotFound("没有这次走访（请先上传走访记录），或您无权操作。")
    return found


def visitable_household(user: User, household_id: int) -> Household:
    """A household the user may record a visit at: helpers, at their currently paired households."""
    from .errors import Forbidden

    if user.role != "helper":
        raise Forbidden("只有帮扶责任人可以登记走访。")
    from sqlalchemy.orm import joinedload

    found = db.session.scalar(households(user).where(Household.id == household_id)
                              .options(joinedload(Household.village).joinedload(Village.unit)))
    if found is None:  # 404, like every household outside the user's scope
        raise NotFound("这户不是您当前结对的帮扶户，不能登记走访。", field="household_id")
    return found


def can_plan(user: User, household: Household) -> bool:
    """Who may add measures to a household's plan: its current helper, the village's first
    secretary and the unit's office admin (all of whom can see the household)."""
    if user.role == "helper":
        return db.session.scalar(households(user).where(Household.id == household.id)) is not None
    if user.role == "first_secretary":
        return user.village_id == household.village_id
    if user.role == "office_admin":
        return household.village.unit_id == user.unit_id
    return False


# --- attendance: team people, leave, check-ins; the first secretary's review of visits

def team_people(user: User) -> Select:
    """Work-team people whose attendance the user may read: a team member only themself,
    a first secretary their village's team, an office admin every team of the unit."""
    from ..models import TEAM_ROLES

    q = select(User).where(User.role.in_(TEAM_ROLES)).order_by(User.id)
    if user.role == "office_admin":
        return q.where(User.unit_id == user.unit_id)
    if user.role == "first_secretary" and user.village_id is not None:
        return q.where(User.village_id == user.village_id)
    return q.where(User.id == user.id)


def team_person(user: User, user_id: int) -> User:
    found = db.session.scalar(team_people(user).where(User.id == user_id))
    if found is None:
        raise NotFound("没有这名工作队员，或您无权查看。")
    return found


def attendance_village(user: User, village_id: int | None = None) -> Village:
    """The village whose team table the user may read: a first secretary only their own,
    an office admin any village of the unit (village_id required); nobody else."""
    from .errors import Forbidden

    if user.role == "first_secretary" and user.village_id is not None:
        if village_id is not None and village_id != user.village_id:
            raise NotFound("没有这个村，或您无权查看。")
        return db.session.get(Village, user.village_id)
    if user.role == "office_admin":
        if village_id is None:
            from .errors import ValidationFailed

            raise ValidationFailed("请指定村（village_id）。", field="village_id")
        return village(user, village_id)
    raise Forbidden("只有第一书记和扶贫办可以查看工作队考勤。")


def leaves(user: User) -> Select:
    """Leave requests the user may read (the requester's own, their team's, the unit's)."""
    from ..models import Leave

    return select(Leave).where(Leave.user_id.in_(team_people(user).with_only_columns(User.id)))


def leave(user: User, leave_id: int):
    from ..models import Leave

    found = db.session.scalar(leaves(user).where(Leave.id == leave_id))
    if found is None:
        raise NotFound("没有这条请假，或您无权查看。")
    return found


def leaves_to_decide(user: User) -> Select:
    """Pending leave the user approves: a first secretary their team members'; an office admin
    the first secretaries' of the unit, and members' in villages without a first secretary."""
    from sqlalchemy import and_, exists
    from sqlalchemy.orm import aliased

    from ..models import Leave

    requester = aliased(User)
    q = select(Leave).join(requester, requester.id == Leave.user_id).where(
        Leave.status == "pending", requester.id != user.id).order_by(Leave.start_date, Leave.id)
    if user.role == "first_secretary" and user.village_id is not None:
        return q.where(requester.role == "team_member", requester.village_id == user.village_id)
    if user.role == "office_admin":
        secretary = aliased(User)
        has_secretary = exists().where(secretary.village_id == requester.village_id,
                                       secretary.role == "first_secretary", secretary.active.is_(True))
        return q.where(requester.unit_id == user.unit_id, (requester.role == "first_secretary") | and_(
            requester.role == "team_member", ~has_secretary))
    return q.where(False)


def checkins(user: User) -> Select:
    from ..models import Checkin

    return select(Checkin).where(Checkin.user_id.in_(team_people(user).with_only_columns(User.id)))


def checkin_photo_key(user: User, checkin_id: int, thumb: bool = False) -> str:
    """The storage key of a check-in's photo (or thumbnail) the user may see, else NotFound."""
    from ..models import Checkin
    from .attendance import thumb_key

    found = db.session.scalar(checkins(user).where(Checkin.id == checkin_id))
    if found is None or not found.photo_key:
        raise NotFound("没有这张签到照片，或您无权查看。")
    return thumb_key(found) if thumb else found.photo_key


def review_visits(user: User) -> Select:
    """Visits for the review workflow: a first secretary those at the village's households,
    an office admin the unit's, a helper their own."""
    from ..models import Visit

    q = select(Visit).join(Household, Household.id == Visit.household_id)
    if user.role == "first_secretary" and user.village_id is not None:
        return q.where(Household.village_id == user.village_id)
    if user.role == "office_admin":
        return q.join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id)
    if user.role == "helper":
        return q.where(Visit.helper_id == user.id)
    return q.where(False)


def review_visit(user: User, visit_id: int):
    from ..models import Visit

    found = db.session.scalar(review_visits(user).where(Visit.id == visit_id))
    if found is None:
        raise NotFound("没有这次走访，或您无权查看。")
    return found
# --- end attendance


# --- printed documents: diaries and batch print jobs; the attendance sheet uses
# attendance_village() above, like the attendance pages.

def diary_helpers(user: User) -> Select:
    """Helpers whose monthly diary the user may print: a helper their own, a first secretary
    the helpers of the village's households, an office admin every helper of the unit."""
    if user.role not in ("helper", "first_secretary", "office_admin"):
        return select(User).where(False)
    return users(user).where(User.role == "helper")


def diary_helper(user: User, helper_id: int) -> User:
    found = db.session.scalar(diary_helpers(user).where(User.id == helper_id))
    if found is None:
        raise NotFound("没有这名帮扶责任人，或您无权打印其帮扶日志。")
    return found


def print_jobs(user: User) -> Select:
    """Batch print jobs: an office admin sees those of the unit's office admins."""
    from ..models import PrintJob

    if user.role != "office_admin":
        return select(PrintJob).where(False)
    admins = select(User.id).where(User.unit_id == user.unit_id, User.role == "office_admin")
    return select(PrintJob).where(PrintJob.requested_by_id.in_(admins)).order_by(PrintJob.id.desc())


def print_job(user: User, job_id: int):
    from ..models import PrintJob

    found = db.session.scalar(print_jobs(user).where(PrintJob.id == job_id))
    if found is None:
        raise NotFound("没有这个打印任务，或您无权查看。")
    return found


def helper_visits(viewer: User, helper: User) -> Select:
    """The helper's visits as the viewer sees them (diary, month page): all of them for the helper
    themself; for anyone else only those the viewer may see anyway — a first secretary the visits to
    their own village's households, an office admin those to their own unit's — so a helper shared
    by two villages shows each village only its own visits."""
    if viewer.id == helper.id:
        return select(Visit).where(Visit.helper_id == helper.id)
    return visits(viewer).where(Visit.helper_id == helper.id)


def helper_households(viewer: User, helper: User) -> Select | None:
    """Ids of the households whose rows the viewer may see on a helper's diary or month page
    (None: no narrowing, the helper looking at their own)."""
    if viewer.id == helper.id:
        return None
    return households(viewer).with_only_columns(Household.id)
# --- end printed documents
