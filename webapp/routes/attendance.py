"""Work-team pages: 驻村签到, leave requests (请假/销假), my calendar, and leave approvals."""
from flask import Blueprint, abort, make_response, render_template, request, send_file, url_for
from flask_login import current_user

from .. import htmx
from ..models import LEAVE_KINDS, Leave
from ..schemas.attendance import leave_request_args
from ..security import requires
from ..services import access, attendance, checkin_count, lookups, permissions, storage
from ..services.calendar import local_today, parse_period, period_containing
from ..web import params, rules
from ..web.writes import attempt, error_page

bp = Blueprint("attendance", __name__, url_prefix="/attendance")
bp.add_app_template_global(lambda: checkin_count.explanation(rules.attendance()), "checkin_rule")

@bp.get("/")
@requires(permissions.in_team)
def checkin_page():
    today = local_today()
    village = current_user.village
    me = attendance.member_summary(rules.attendance(), current_user, period_containing("quarter", today), today)
    return render_template(
        "attendance/checkin.html", village=village, radius=attendance.geofence_m(rules.attendance(), village),
        checkins=attendance.checkins_on(current_user, today), progress=me.progress, today=today,
    )


@bp.get("/today")
@requires(permissions.in_team)
def today_fragment():
    today = local_today()
    me = attendance.member_summary(rules.attendance(), current_user, period_containing("quarter", today), today)
    return render_template("attendance/_today.html", checkins=attendance.checkins_on(current_user, today),
                           progress=me.progress, today=today)


@bp.get("/calendar")
@requires(permissions.in_team)
def my_calendar():
    period = parse_period(month=params.month_arg(source=request.args, default=False))
    summary = attendance.member_summary(rules.attendance(), current_user, period)
    return htmx.render("attendance/calendar.html", "attendance/_calendar.html", summary=summary,
                       weeks=attendance.calendar_weeks(summary.days), cal_endpoint="attendance.my_calendar",
                       cal_args={})


# --- leave ------------------------------------------------------------------------------------

def _leave_page(errors=None, form=None, created=None):
    ok = not errors
    return htmx.render("attendance/leave.html", "attendance/_leave_panel.html", leaves=lookups.my_leaves(current_user),
                       errors=errors or {}, form=form or {}, kinds=LEAVE_KINDS, created=created,
                       today=local_today()), htmx.form_status(ok)


@bp.get("/leave")
@requires(permissions.in_team)
def leave_page():
    return _leave_page()


@bp.post("/leave")
@requires(permissions.in_team)
def leave_request():
    created, err = attempt(attendance.request_leave, rules.attendance(), current_user, reraise=(403,),
                           **leave_request_args(request.form))
    return _leave_page(err.errors, request.form) if err else _leave_page(created=created)


def _leave_item(leave: Leave, error: str | None = None):
    resp = make_response(render_template("attendance/_leave_item.html", leave=leave, error=error,
                                         today=local_today()), 200)
    resp.headers["Vary"] = "HX-Request"
    return resp


def _after_leave_action(leave_id: int, err=None):
    """The leave's card for htmx (with the error beside it), else the error page or the list."""
    leave = access.leave(current_user, leave_id)
    if htmx.is_htmx():
        return _leave_item(leave, err and err.message)
    if err:
        return error_page(err.message, err.status)
    target = "attendance.leave_page" if leave.user_id == current_user.id else "attendance.approvals"
    return htmx.redirect_to(url_for(target))


@bp.post("/leave/<int:leave_id>/cancel")
@requires(permissions.in_team)
def leave_cancel(leave_id: int):
    _, err = attempt(attendance.cancel, current_user, access.leave(current_user, leave_id))
    return _after_leave_action(leave_id, err)


@bp.post("/leave/<int:leave_id>/return")
@requires(permissions.can_see_team_attendance)
def leave_return(leave_id: int):
    _, err = attempt(attendance.record_return, current_user, access.leave(current_user, leave_id))
    return _after_leave_action(leave_id, err)


@bp.get("/approvals")
@requires(permissions.can_decide_leave)
def approvals():
    return render_template("attendance/approvals.html", pending=lookups.leaves_to_decide(current_user),
                           decided=lookups.leaves_decided_by(current_user), villages=lookups.villages_to_pick(current_user),
                           today=local_today())


@bp.post("/leave/<int:leave_id>/decide")
@requires(permissions.can_decide_leave)
def leave_decide(leave_id: int):
    leave = access.leave(current_user, leave_id)
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400)
    _, err = attempt(attendance.decide, current_user, leave, decision == "approve", request.form.get("comment"),
                     reraise=(403,))
    return _after_leave_action(leave_id, err)


@bp.app_context_processor
def _leave_helpers():
    """Used by attendance/_leave_item.html wherever it is included."""

    def can_decide_leave(lv: Leave) -> bool:
        return current_user.is_authenticated and attendance.can_decide(current_user, lv)

    def can_cancel_leave(lv: Leave) -> bool:
        return current_user.is_authenticated and attendance.can_cancel(current_user, lv)

    def can_return_leave(lv: Leave) -> bool:
        return current_user.is_authenticated and attendance.can_return(current_user, lv)

    return {"can_decide_leave": can_decide_leave, "can_cancel_leave": can_cancel_leave,
            "can_return_leave": can_return_leave, "leave_days": lambda lv: attendance.leave_days(rules.attendance(), lv),
            "leave_status_labels": attendance.LEAVE_STATUS_LABELS}


@bp.get("/checkins/<int:checkin_id>/photo")
@bp.get("/checkins/<int:checkin_id>/photo/thumb", defaults={"thumb": True})
@requires(permissions.can_see_team_attendance)
def checkin_photo(checkin_id: int, thumb: bool = False):
    """A check-in's photo, for those who may read the member's attendance; never a static file."""
    key = access.checkin_photo_key(current_user, checkin_id, thumb)
    try:
        f = storage.get().open(key)
    except FileNotFoundError:
        abort(404)
    resp = send_file(f, mimetype="image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=604800, immutable"
    return resp
