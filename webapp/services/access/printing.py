"""Printed documents: whose monthly diary a user may print, and batch print jobs. The attendance
sheet uses attendance_village, like the attendance pages."""
from sqlalchemy import Select, select

from ...models import PrintJob, Role, User
from .. import permissions
from .found import one
from .people import users


def diary_helpers(user: User) -> Select:
    """Helpers whose monthly diary the user may print: a helper their own, a first secretary
    the helpers of the village's households, an office admin every helper of the unit."""
    if not permissions.can_print_diaries(user):
        return select(User).where(False)
    return users(user).where(User.role == Role.HELPER)


def diary_helper(user: User, helper_id: int) -> User:
    return one(diary_helpers(user).where(User.id == helper_id), "没有这名帮扶责任人，或您无权打印其帮扶日志。")


def print_jobs(user: User) -> Select:
    """Batch print jobs: an office admin sees those of the unit's office admins."""
    if user.role != Role.OFFICE_ADMIN:
        return select(PrintJob).where(False)
    admins = select(User.id).where(User.unit_id == user.unit_id, User.role == Role.OFFICE_ADMIN)
    return select(PrintJob).where(PrintJob.requested_by_id.in_(admins)).order_by(PrintJob.id.desc())


def print_job(user: User, job_id: int):
    return one(print_jobs(user).where(PrintJob.id == job_id), "没有这个打印任务，或您无权查看。")
