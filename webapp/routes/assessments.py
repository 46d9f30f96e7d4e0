"""The office's own assessments: villages by quarter and year (001), the helpers' quarterly
on-site assessment (004 第六条(二)), work-team checks (001, 000). The county reads them per township
(?unit_id=, services/county.py).

    GET  /assessments/villages?year=               the village ranking: quarters 20/20/20/40, year-end, standing
    POST /assessments/villages/<id>/year-end       the office enters a village's year-end assessment
    GET  /assessments/onsite?quarter=              every helper's quarter: computed score, on-site result, satisfaction
    POST /assessments/onsite/<helper_id>           the office records one helper's on-site result of the quarter
    GET  /assessments/teams                        work teams: too small, no first secretary, 召回 candidates
"""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..models import ONSITE_RESULTS, SATISFACTION_LEVELS
from ..security import requires
from ..services import access, county, onsite, performance, permissions, team_checks, village_assessment
from ..services.errors import ValidationFailed
from ..web import params, rules
from ..web.writes import attempt, done

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.app_template_global("onsite_year_basis")
def _onsite_year_basis(helper, year: int, computed: str | None) -> dict:
    return onsite.year_basis(rules.assessment(), helper, year, computed)


def _reader():
    return county.reader(current_user, params.id_arg("unit_id", request.args))


@bp.get("/villages")
@requires(permissions.can_read_office_assessments)
def villages():
    viewer, year = _reader(), params.year_arg(source=request.args)
    rows = village_assessment.year(rules.scoring(), rules.attendance(), rules.assessment(), viewer, year)
    return render_template("assessments/villages.html", year=year, rows=rows,
                           unit_id=viewer.unit_id if viewer is not current_user else None,
                           editable=permissions.administers_unit(current_user))


@bp.post("/villages/<int:village_id>/year-end")
@requires(permissions.administers_unit)
def village_year_end(village_id: int):
    village = access.village(current_user, village_id)
    year = params.year_arg(source=request.form)
    _, err = attempt(village_assessment.enter_year_end, current_user, village, year, request.form.get("score", ""),
                     request.form.get("note", ""))
    return done(err, url_for("assessments.villages", year=year))


@bp.get("/onsite")
@requires(permissions.can_read_office_assessments)
def onsite_list():
    viewer, quarter = _reader(), params.quarter_arg()
    _, results = performance.quarter_results(rules.scoring(), viewer, quarter)
    per_helper, per_village = onsite.satisfaction(quarter, {r.helper_id: r.village_id for r in results})
    return render_template("assessments/onsite.html", quarter=quarter, results=results,
                           entered=onsite.for_quarter(viewer.unit_id, quarter), per_helper=per_helper,
                           per_village=per_village, villages=performance.village_names(results),
                           unit_id=viewer.unit_id if viewer is not current_user else None,
                           editable=permissions.administers_unit(current_user), results_allowed=ONSITE_RESULTS,
                           levels=SATISFACTION_LEVELS)


@bp.post("/onsite/<int:helper_id>")
@requires(permissions.administers_unit)
def onsite_record(helper_id: int):
    quarter = params.quarter_arg(source=request.form, default=False)
    if quarter is None:
        raise ValidationFailed("请指定季度。", field="quarter")
    helper = access.assessed_helper(current_user, helper_id)
    f = request.form
    _, err = attempt(onsite.record, current_user, helper, quarter, f.get("result", ""), f.get("note", ""),
                     f.get("satisfaction", ""), f.get("satisfaction_note", ""))
    return done(err, url_for("assessments.onsite_list", quarter=quarter))


@bp.get("/teams")
@requires(permissions.can_read_office_assessments)
def teams():
    assessment = rules.assessment()
    checks = team_checks.for_office(rules.attendance(), assessment, _reader())
    return render_template("assessments/teams.html", checks=checks, recall_days=assessment.recall_absent_days)
