"""Attendance: the village whose team table a user reads, leave requests and check-ins."""
from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Checkin, Leave, LeaveStatus, Role, User, Village
from ..errors import Forbidden, NotFound, ValidationFailed
from .found import one
from .households import village
from .people import team_people


def attendance_village(user: User, village_id: int | None = None) -> Village:
    """The village whose team table the user may read: a first secretary only their own,
    an office admin any village of the unit (village_id required); nobody else."""
    if user.role == Role.FIRST_SECRETARY and user.village_id is not None:
        if village_id is not None and village_id != user.village_id:
            raise NotFound("没有这个村，或您无权查看。")
        return db.session.get(Village, user.village_id)
    if user.role == Role.OFFICE_ADMIN:
        if village_id is None:
            raise ValidationFailed("请指定村（village_id）。", field="village_id")
        return village(user, village_id)
    raise Forbidden("只有第一书记和扶贫办可以查看工作队考勤。")


def leaves(user: User) -> Select:
    """Leave requests the user may read (the requester's own, their team's, the unit's)."""
    return select(Leave).where(Leave.user_id.in_(team_people(user).with_only_columns(User.id)))


def leave(user: User, leave_id: int):
    return one(leaves(user).where(Leave.id == leave_id), "没有这条请假，或您无权查看。")


def leaves_to_decide(user: User) -> Select:
    """Pending leave the user approves: a first secretary their team members'; an office admin
    the first secretaries' of the unit, and members' in villages without a first secretary."""
    requester = aliased(User)
    q = select(Leave).join(requester, requester.id == Leave.user_id).where(
        Leave.status == LeaveStatus.PENDING, requester.id != user.id).order_by(Leave.start_date, Leave.id)
    if user.role == Role.FIRST_SECRETARY and user.village_id is not None:
        return q.where(requester.role == Role.TEAM_MEMBER, requester.village_id == user.village_id)
    if user.role == Role.OFFICE_ADMIN:
        secretary = aliased(User)
        has_secretary = exists().where(secretary.village_id == requester.village_id,
                                       secretary.role == Role.FIRST_SECRETARY, secretary.active.is_(True))
        return q.where(requester.unit_id == user.unit_id, (requester.role == Role.FIRST_SECRETARY) | and_(
            requester.role == Role.TEAM_MEMBER, ~has_secretary))
    return q.where(False)


def checkins(user: User) -> Select:
    return select(Checkin).where(Checkin.user_id.in_(team_people(user).with_only_columns(User.id)))


def checkin_photo_key(user: User, checkin_id: int, thumb: bool = False) -> str:
    """The storage key of a check-in's photo (or thumbnail) the user may see, else NotFound."""
    from ..attendance import thumb_key  # services.attendance imports access

    found = db.session.scalar(checkins(user).where(Checkin.id == checkin_id))
    if found is None or not found.photo_key:
        raise NotFound("没有这张签到照片，或您无权查看。")
    return thumb_key(found) if thumb else found.photo_key
