"""The office's own assessments (issue 15): villages by quarter and year (001), the helpers' quarterly
on-site assessment (004 第六条(二)), work-team checks (001, 000). The county reads them per township
(?unit_id=, services/county.py).

    GET  /assessments/villages?year=               the village ranking: quarters 20/20/20/40, year-end, standing
    POST /assessments/villages/<id>/year-end       the office enters a village's year-end assessment
"""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..security import role_required
from ..services import access, county, village_assessment
from ..web import params
from ..web.writes import attempt, done

bp = Blueprint("assessments", __name__, url_prefix="/assessments")
OFFICES = ("office_admin", county.COUNTY_ROLE)


def _reader():
    return county.reader(current_user, params.id_arg("unit_id", request.args))


@bp.get("/villages")
@role_required(*OFFICES)
def villages():
    viewer, year = _reader(), params.year_arg(source=request.args)
    return render_template("assessments/villages.html", year=year, rows=village_assessment.year(viewer, year),
                           unit_id=viewer.unit_id if viewer is not current_user else None,
                           editable=current_user.role == "office_admin")


@bp.post("/villages/<int:village_id>/year-end")
@role_required("office_admin")
def village_year_end(village_id: int):
    village = access.village(current_user, village_id)
    year = params.year_arg(source=request.form)
    _, err = attempt(village_assessment.enter_year_end, current_user, village, year, request.form.get("score", ""),
                     request.form.get("note", ""))
    return done(err, url_for("assessments.villages", year=year))
