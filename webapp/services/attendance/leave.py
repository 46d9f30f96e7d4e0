"""Leave (请假): requests in half days, who decides them, cancelling and returning (销假)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ... import database
from ...extensions import db
from ...models import LEAVE_KINDS, TEAM_ROLES, Leave, LeaveStatus, Role, User
from .. import audit
from ..calendar import local_date, local_today, now_utc, tz
from ..errors import Conflict, Forbidden, ValidationFailed
from .rules import AttendanceRules, WorkCalendar

LEAVE_STATUS_LABELS = {LeaveStatus.PENDING: "待审批", LeaveStatus.APPROVED: "已批准", LeaveStatus.REJECTED: "未批准",
                       LeaveStatus.CANCELLED: "已撤销"}


def _slots(leave: Leave) -> tuple[int, int]:
    """The leave as half-day slots [start, end): slot 2n is the morning of day n, 2n+1 the afternoon.

    Leave stops at the return (销假): the return day is not leave, or only its morning if the
    member came back in the afternoon."""
    start = 2 * leave.start_date.toordinal() + (1 if leave.start_half else 0)
    end = 2 * leave.end_date.toordinal() + (1 if leave.end_half else 2)
    if leave.returned_at is not None:
        back = leave.returned_at.astimezone(tz())
        end = min(end, 2 * back.date().toordinal() + (1 if back.hour >= 12 else 0))
    return start, max(start, end)


def leave_by_day(leave: Leave) -> dict[date, float]:
    """Fraction of each day (0.5 or 1) covered by the leave."""
    start, end = _slots(leave)
    out: dict[date, float] = {}
    for slot in range(start, end):
        d = date.fromordinal(slot // 2)
        out[d] = out.get(d, 0) + 0.5
    return out


def leave_days(rules: AttendanceRules, leave: Leave) -> float:
    """Working days the leave takes (weekends and holidays inside it are not counted)."""
    cal = WorkCalendar.of(rules)
    return sum(f for d, f in leave_by_day(leave).items() if cal.is_working(d))


def request_leave(rules: AttendanceRules, user: User, *, start_date: date | None, end_date: date | None, kind: str,
                  reason: str, start_half: bool = False, end_half: bool = False) -> Leave:
    """A leave request (请假): dates with half days, kind, reason. Starts pending.

    A date of None was not given or not a date (schemas.attendance.leave_request_args reads the form)."""
    if user.role not in TEAM_ROLES or user.village_id is None:
        raise Forbidden("只有驻村工作队员和第一书记需要请假。")
    errors: dict[str, list[str]] = {}
    start, end = start_date, end_date
    for name, value in (("start_date", start), ("end_date", end)):
        if value is None:
            errors[name] = ["请填写日期（YYYY-MM-DD）。"]
    kind, reason = (kind or "").strip(), (reason or "").strip()
    if kind not in LEAVE_KINDS:
        errors["kind"] = ["请选择请假类型：" + "、".join(LEAVE_KINDS) + "。"]
    if len(reason) < 2 or len(reason) > 500:
        errors["reason"] = ["请填写请假事由（2–500 字）。"]
    if start and end:
        if end < start:
            errors["end_date"] = ["结束日期不能早于开始日期。"]
        elif start == end and start_half and end_half:
            errors["end_half"] = ["同一天不能既下午开始又上午结束。"]
        elif (end - start).days > 366:
            errors["end_date"] = ["一次请假不能超过一年。"]
        backdate = rules.leave_backdate_days
        if start < local_today() - timedelta(days=backdate):
            errors["start_date"] = [f"只能补请 {backdate} 天内的假。"]
    if errors:
        raise ValidationFailed("请假信息有误。", errors=errors)
    leave = Leave(user_id=user.id, start_date=start, end_date=end, start_half=start_half, end_half=end_half,
                  kind=kind, reason=reason, status=LeaveStatus.PENDING)
    a_start, a_end = _slots(leave)
    database.lock(User, user.id)  # two requests sent at once: the second sees the first and overlaps it
    others = db.session.scalars(select(Leave).where(
        Leave.user_id == user.id, Leave.status.in_((LeaveStatus.PENDING, LeaveStatus.APPROVED)),
        Leave.start_date <= end, Leave.end_date >= start,
    ))
    for other in others:
        b_start, b_end = _slots(other)
        if a_start < b_end and b_start < a_end:
            raise ValidationFailed("请假信息有误。", errors={"start_date": [
                f"与已有的请假（{other.start_date}–{other.end_date}，{LEAVE_STATUS_LABELS[other.status]}）重叠。"]})
    db.session.add(leave)
    db.session.flush()
    audit.record(user, "leave.request", "leave", leave.id, start=str(start), end=str(end), kind=kind)
    return leave


def _has_first_secretary(village_id: int | None) -> bool:
    if village_id is None:
        return False
    return db.session.scalar(select(User.id).where(
        User.village_id == village_id, User.role == Role.FIRST_SECRETARY, User.active.is_(True)).limit(1)) is not None


def can_decide(user: User, leave: Leave) -> bool:
    """Who approves: a team member's leave goes to the village's first secretary (to the office
    admin when the village has none); a first secretary's own leave goes to the office admin."""
    requester = leave.user
    if requester.id == user.id:
        return False
    if requester.role == Role.TEAM_MEMBER:
        if user.role == Role.FIRST_SECRETARY:
            return user.village_id is not None and user.village_id == requester.village_id
        if user.role == Role.OFFICE_ADMIN:
            return user.unit_id == requester.unit_id and not _has_first_secretary(requester.village_id)
        return False
    if requester.role == Role.FIRST_SECRETARY:
        return user.role == Role.OFFICE_ADMIN and user.unit_id == requester.unit_id
    return False


def decide(user: User, leave: Leave, approve: bool, comment: str | None) -> Leave:
    """Approve or reject a pending leave, with a comment (required to reject)."""
    leave = database.locked(leave)
    if not can_decide(user, leave):
        raise Forbidden("您不能审批这条请假。")
    if leave.status != LeaveStatus.PENDING:
        raise Conflict(f"这条请假已{LEAVE_STATUS_LABELS.get(leave.status, leave.status)}，不能再审批。")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed("请写明不批准的理由。", field="comment")
    if len(comment) > 500:
        raise ValidationFailed("审批意见不超过 500 字。", field="comment")
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
    leave.approver_id = user.id
    leave.decided_at = now_utc()
    leave.comment = comment or None
    db.session.flush()
    audit.record(user, f"leave.{leave.status}", "leave", leave.id, comment=comment)
    return leave


def cancel(user: User, leave: Leave) -> Leave:
    """The requester withdraws a pending leave, or an approved one that has not started."""
    if leave.user_id != user.id:
        raise Forbidden("只能撤销自己的请假。")
    leave = database.locked(leave)
    started = leave.start_date <= local_today()
    if leave.status not in (LeaveStatus.PENDING, LeaveStatus.APPROVED) or (leave.status == LeaveStatus.APPROVED and started):
        raise Conflict("这条请假不能再撤销（已开始的假请销假）。")
    leave.status = LeaveStatus.CANCELLED
    db.session.flush()
    audit.record(user, "leave.cancel", "leave", leave.id)
    return leave


def record_return(user: User, leave: Leave, at: datetime | None = None) -> Leave:
    """销假: the member is back. Recorded by the member or by whoever approves their leave."""
    if leave.user_id != user.id and not can_decide(user, leave):
        raise Forbidden("您不能为这条请假销假。")
    leave = database.locked(leave)
    if leave.status != LeaveStatus.APPROVED:
        raise Conflict("只有已批准的请假可以销假。")
    if leave.returned_at is not None:
        raise Conflict("这条请假已经销假。")
    at = at or now_utc()
    if local_date(at) < leave.start_date:
        raise Conflict("假期还没有开始；不休假请撤销。")
    leave.returned_at = at
    db.session.flush()
    audit.record(user, "leave.return", "leave", leave.id, at=at.isoformat())
    return leave


def can_return(user: User, leave: Leave, today: date | None = None) -> bool:
    today = today or local_today()
    return (leave.status == LeaveStatus.APPROVED and leave.returned_at is None and leave.start_date <= today
            and (leave.user_id == user.id or can_decide(user, leave)))


def can_cancel(user: User, leave: Leave, today: date | None = None) -> bool:
    today = today or local_today()
    return leave.user_id == user.id and (
        leave.status == LeaveStatus.PENDING or (leave.status == LeaveStatus.APPROVED and leave.start_date > today))


def approved_leave(user_ids: list[int], start: date, end: date) -> dict[int, dict[date, tuple[float, str]]]:
    out: dict[int, dict[date, tuple[float, str]]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    leaves = db.session.scalars(select(Leave).where(
        Leave.user_id.in_(user_ids), Leave.status == LeaveStatus.APPROVED, Leave.start_date <= end, Leave.end_date >= start))
    for leave in leaves:
        for d, frac in leave_by_day(leave).items():
            if start <= d <= end:
                prev = out[leave.user_id].get(d, (0.0, leave.kind))[0]
                out[leave.user_id][d] = (min(1.0, prev + frac), leave.kind)
    return out
