"""Visit pages: the check-in form, a visit, the household's history and task list, the helper's month.

The form saves through the JSON API (POST /api/v1/visits, then one POST per photo), the same
requests the offline outbox replays; these routes only render.
"""
from flask import Blueprint, current_app, has_request_context, render_template, request
from flask_login import current_user, login_required

from ..htmx import form_status, render
from ..models import MEASURE_CATEGORIES, Household
from ..schemas import visits as visit_schemas
from ..services import access, measures, permissions, subsidies, verification, visit_flags, visits
from ..services.calendar import local_today, month_key
from ..services.errors import ValidationFailed
from ..web import params, rules
from ..web.writes import attempt

bp = Blueprint("visits", __name__)


@bp.record_once
def _template_globals(state):
    # globals (not context) so imported macros see them too: every template (the household page,
    # the secretary's review, the printed diary) shows a visit's marks the same way
    state.app.jinja_env.globals.update(
        visit_badges=_badges, checklist_items=visits.CHECKLIST, subsidy_label=subsidies.label,
        visit_flag_details=_flag_details, visit_verification=verification.summary,
        visit_flag_texts=visit_flags.details)


def _badges(visit) -> list[tuple[str, str, str]]:
    return visits.badges(visit, rules.visits())


def _flag_details(visit) -> list[dict]:
    """The flags' evidence for the viewer (links only to what they may see)."""
    if not has_request_context():
        return visit_flags.details(visit)
    viewer = current_user if current_user.is_authenticated else None
    return visit_schemas.flag_details_for(visit, viewer)


def household_context(hh: Household) -> dict:
    """What the household page shows of visits: the task list, the history, the check-in entry."""
    can_plan = access.can_plan(current_user, hh)  # a helper: exactly their current households
    return {
        "measures": measures.for_household(hh.id),
        "can_plan": can_plan,
        "can_visit": permissions.records_visits(current_user) and can_plan,
        "history": visits.history(current_user, hh.id),
        "categories": MEASURE_CATEGORIES,
        "measure_errors": {},
        "measure_form": {},
    }


@bp.get("/households/<int:household_id>/visits/new")
@login_required
def new(household_id: int):
    hh = access.visitable_household(current_user, household_id)
    cfg, visit_rules = current_app.config, rules.visits()
    return render_template(
        "visits/new.html", hh=hh, planned=measures.planned(hh.id), students=visits.students(hh, visit_rules),
        answers=subsidies.ANSWERS, geofence_m=visits.geofence_m(hh, visit_rules), accuracy_flag_m=cfg["GPS_ACCURACY_FLAG_M"],
        max_photos=cfg["MAX_PHOTOS_PER_VISIT"], long_edge=cfg["PHOTO_LONG_EDGE"], max_bytes=cfg["PHOTO_MAX_BYTES"],
    )


@bp.get("/households/<int:household_id>/visits")
@login_required
def history(household_id: int):
    hh = access.household(current_user, household_id)
    return render("visits/history.html", "visits/_history.html", hh=hh, history=visits.history(current_user, hh.id))


@bp.route("/households/<int:household_id>/measures", methods=["GET", "POST"])
@login_required
def measure_list(household_id: int):
    hh = access.household(current_user, household_id)
    err = None
    if request.method == "POST":
        _, err = attempt(measures.add, current_user, hh, request.form.get("category", ""),
                         request.form.get("title", ""), request.form.get("due_date", ""), only=ValidationFailed)
    errors = err.errors if err else {}
    ctx = {"hh": hh, "measures": measures.for_household(hh.id), "can_plan": access.can_plan(current_user, hh),
           "categories": MEASURE_CATEGORIES, "measure_errors": errors,
           "measure_form": request.form if errors else {}}
    return render("visits/measures.html", "visits/_measures.html", **ctx), form_status(err is None)


@bp.get("/visits/<int:visit_id>")
@login_required
def show(visit_id: int):
    visit = access.visit(current_user, visit_id)
    return render_template("visits/show.html", visit=visit, hh=visit.household,
                           students={m.id: m for m in visit.household.members})


@bp.get("/visits/month")
@login_required
def month():
    year, mon = map(int, params.month_arg(source=request.args).split("-"))
    helper_id = params.id_arg("helper_id", request.args)
    if helper_id is not None and helper_id != current_user.id:
        helper = access.person(current_user, helper_id)
    elif permissions.records_visits(current_user):
        helper = current_user
    else:
        raise ValidationFailed("请选择帮扶责任人。", field="helper_id")
    rows, month_visits = visits.helper_month(helper, year, mon, viewer=current_user)
    prev_m = f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"
    next_m = f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"
    return render("visits/month.html", "visits/_month.html", helper=helper, rows=rows, visits=month_visits,
                  month=f"{year}-{mon:02d}", prev_month=prev_m,
                  next_month=next_m if f"{year}-{mon:02d}" < month_key(local_today()) else None)
