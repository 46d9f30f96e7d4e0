"""The village team's home, the first secretary's team table and calendars, and helpers' work."""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import htmx
from ..extensions import db
from ..models import TEAM_ROLES, User
from ..security import role_required
from ..services import access, attendance, households, reviews
from ..services.errors import DomainError
from ..services.timeutil import local_today

bp = Blueprint("secretary", __name__, url_prefix="/village")


@bp.get("/")
@role_required(*TEAM_ROLES)
def home():
    rows = households.listing(current_user)
    team = db.session.scalars(
        select(User).where(User.village_id == current_user.village_id, User.role.in_(TEAM_ROLES)).order_by(User.role, User.id)
    ).all()
    helpers: dict[int, tuple] = {}
    for r in rows:
        if r.helper is not None:
            n, visited = helpers.get(r.helper.id, (r.helper, 0, 0))[1:]
            helpers[r.helper.id] = (r.helper, n + 1, visited + (1 if r.visits_this_month else 0))
    return render_template("secretary/home.html", rows=rows, team=team, helpers=list(helpers.values()))


# --- the first secretary's view of the team and of helpers' work (issue 5) ----------------------
VIEWERS = ("first_secretary", "office_admin")


def _village_arg() -> int | None:
    raw = request.args.get("village_id", "")
    return int(raw) if raw.isdigit() else None


@bp.get("/team")
@role_required(*VIEWERS)
def team():
    """The team for a month (?month=YYYY-MM) or a quarter (?quarter=YYYY-Qn)."""
    village = access.attendance_village(current_user, _village_arg())
    period = attendance.parse_period(request.args.get("month"), request.args.get("quarter"))
    summary = attendance.team_summary(village, period)
    pending = db.session.scalar(select(func.count()).select_from(access.leaves_to_decide(current_user).subquery())) or 0
    args = {"village_id": village.id} if current_user.role == "office_admin" else {}
    villages = db.session.scalars(access.villages(current_user)).all() if current_user.role == "office_admin" else []
    key, today = period.kind, local_today()
    urls = {
        "month": url_for("secretary.team", month=(today if period.start <= today <= period.end else period.start)
                         .strftime("%Y-%m"), **args),
        "quarter": url_for("secretary.team", quarter=period.quarter().key, **args),
        "prev": url_for("secretary.team", **{key: period.previous().key}, **args),
        "next": url_for("secretary.team", **{key: period.next().key}, **args),
    }
    return htmx.render("secretary/team.html", "secretary/_team.html", t=summary, pending=pending, urls=urls,
                       villages=villages)


@bp.get("/team/<int:user_id>/calendar")
@role_required(*VIEWERS)
def member_calendar(user_id: int):
    person = access.team_person(current_user, user_id)
    period = attendance.parse_period(month=request.args.get("month"))
    summary = attendance.member_summary(person, period)
    return htmx.render("secretary/member.html", "attendance/_calendar.html", s=summary,
                       weeks=attendance.calendar_weeks(summary.days), cal_endpoint="secretary.member_calendar",
                       cal_args={"user_id": person.id})


@bp.get("/helpers")
@role_required(*VIEWERS)
def helpers_work():
    """Helpers' work in the village this month: households not yet visited, recent and flagged visits."""
    village = access.attendance_village(current_user, _village_arg())
    work = reviews.helpers_work(current_user, village)
    return render_template("secretary/helpers.html", work=work)


@bp.post("/visits/<int:visit_id>/review")
@role_required("first_secretary")
def review_visit(visit_id: int):
    error = None
    try:
        visit = reviews.review(current_user, visit_id, request.form.get("action", ""), request.form.get("comment"))
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404):
            raise
        error = err.message
        visit = access.review_visit(current_user, visit_id)
    else:
        db.session.commit()
    if not htmx.is_htmx():
        if error:
            return render_template("error.html", code=422, message=error), 422
        return htmx.redirect_to(url_for("secretary.helpers_work"))
    return render_template("secretary/_review_visit.html", v=visit, error=error, comment=request.form.get("comment", ""))
