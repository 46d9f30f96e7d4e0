"""The village team's home, the first secretary's team table and calendars, and helpers' work."""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from .. import htmx
from ..security import requires
from ..services import access, attendance, households, lookups, permissions, review_queue, reviews, verification
from ..services.calendar import Period, local_today, parse_period
from ..web import params, rules
from ..web.writes import attempt, done, fragment_or_done

bp = Blueprint("village", __name__, url_prefix="/village")


@bp.get("/")
@requires(permissions.in_team)
def home():
    rows = households.listing(current_user)
    team = lookups.village_team(current_user.village_id)
    helpers: dict[int, tuple] = {}
    for r in rows:
        if r.helper is not None:
            n, visited = helpers.get(r.helper.id, (r.helper, 0, 0))[1:]
            helpers[r.helper.id] = (r.helper, n + 1, visited + (1 if r.visits_this_month else 0))
    return render_template("village/home.html", rows=rows, team=team, helpers=list(helpers.values()))


# --- the first secretary's view of the team and of helpers' work ---------------------------------
def _village_arg() -> int | None:
    return params.id_arg("village_id", request.args)


def _period() -> Period:
    """`?month=YYYY-MM` or `?quarter=YYYY-Qn`; neither: the current month."""
    return parse_period(params.month_arg(source=request.args, default=False),
                                   params.quarter_arg(source=request.args, default=False))


def _period_urls(period: Period, args: dict) -> dict[str, str]:
    """The team page's switches: this month, the quarter, the previous and the next period."""
    key, today = period.kind, local_today()
    month = today if period.start <= today <= period.end else period.start
    return {
        "month": url_for("village.team", month=month.strftime("%Y-%m"), **args),
        "quarter": url_for("village.team", quarter=period.quarter().key, **args),
        "prev": url_for("village.team", **{key: period.previous().key}, **args),
        "next": url_for("village.team", **{key: period.next().key}, **args),
    }


@bp.get("/team")
@requires(permissions.can_oversee_team)
def team():
    """The team for a month (?month=YYYY-MM) or a quarter (?quarter=YYYY-Qn)."""
    village = access.attendance_village(current_user, _village_arg())
    period = _period()
    args = {"village_id": village.id} if permissions.administers_unit(current_user) else {}
    team = attendance.team_summary(rules.attendance(), village, period)
    return htmx.render("village/team.html", "village/_team.html", team=team,
                       pending=lookups.pending_leave_count(current_user), urls=_period_urls(period, args),
                       villages=lookups.villages_to_pick(current_user))


@bp.get("/team/<int:user_id>/calendar")
@requires(permissions.can_oversee_team)
def member_calendar(user_id: int):
    person = access.team_person(current_user, user_id)
    period = parse_period(month=params.month_arg(source=request.args, default=False))
    summary = attendance.member_summary(rules.attendance(), person, period)
    return htmx.render("village/member.html", "attendance/_calendar.html", summary=summary,
                       weeks=attendance.calendar_weeks(summary.days), cal_endpoint="village.member_calendar",
                       cal_args={"user_id": person.id})


@bp.get("/helpers")
@requires(permissions.can_oversee_team)
def helpers_work():
    """Helpers' work in the village this month: households not yet visited, recent and flagged visits."""
    village = access.attendance_village(current_user, _village_arg())
    work = reviews.helpers_work(current_user, village, rules.visits().recent_shown)
    return render_template("village/helpers.html", work=work, queue_counts=review_queue.counts(current_user, village),
                           queue_labels=review_queue.FILTERS,
                           queue_args={} if current_user.village_id == village.id else {"village_id": village.id})


def _queue(source, after: int | None = None, at: int | None = None) -> review_queue.Queue:
    """The review queue for `?filter=&helper_id=&after=` (or the same fields of a decision's form)."""
    village = access.attendance_village(current_user, params.id_arg("village_id", source))
    return review_queue.build(current_user, village,
                              params.choice_arg("filter", review_queue.FILTERS, review_queue.FILTER_MSG,
                                                review_queue.DEFAULT_FILTER, source),
                              params.id_arg("helper_id", source), after=after or params.id_arg("after", source), at=at)


@bp.get("/helpers/queue")
@requires(permissions.can_oversee_team)
def review_queue_page():
    """One visit at a time with 下一条; htmx gets the queue fragment alone (filters, counts, the visit)."""
    return htmx.render("village/queue.html", "village/_queue.html", q=_queue(request.args))


def _decided(visit_id: int, err, **context):
    """After a decision taken in the queue (its form has `filter`): the next visit with fresh counts,
    or the same visit with the error beside the form; None when the decision came from elsewhere."""
    if "filter" not in request.form:
        return None
    if err is None:
        q = _queue(request.form, after=visit_id)
        if htmx.is_htmx():
            return render_template("village/_queue.html", q=q)
        return htmx.redirect_to(url_for("village.review_queue_page", **q.args(after=visit_id)))
    q = _queue(request.form, at=visit_id)
    if htmx.is_htmx():
        return render_template("village/_queue.html", q=q, **context)
    return done(err, url_for("village.review_queue_page", **q.args(at=visit_id)), status=422)


@bp.post("/visits/<int:visit_id>/review")
@requires(permissions.can_review)
def review_visit(visit_id: int):
    visit, err = attempt(reviews.review, current_user, visit_id, request.form.get("action", ""),
                         request.form.get("comment"), reraise=(403, 404))
    comment = request.form.get("comment", "")
    return _decided(visit_id, err, error=err and err.message, comment=comment) or fragment_or_done(
        err, url_for("village.helpers_work"), "village/_review_visit.html", status=422,
        visit=visit or access.review_visit(current_user, visit_id), comment=comment)


@bp.post("/visits/<int:visit_id>/verify")
@requires(permissions.can_verify)
def verify_visit(visit_id: int):
    """Accept a flagged visit (已核实, with a note): from then on it counts."""
    visit, err = attempt(verification.verify, current_user, visit_id, request.form.get("note"), reraise=(403, 404))
    queued = _decided(visit_id, err, verify_error=err and err.message)
    if queued is not None:
        return queued
    if htmx.is_htmx():
        return render_template("village/_review_visit.html", visit=visit or access.review_visit(current_user, visit_id),
                               verify_error=err and err.message)
    return done(err, url_for("village.helpers_work"), status=422)
