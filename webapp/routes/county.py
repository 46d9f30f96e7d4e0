"""The county office (县扶贫攻坚指挥部): its townships read-only, and pairing changes to approve.

    GET  /county/                          townships, pairing changes (pending first)
    POST /county/pairing-changes/<id>      approve or refuse (with a reason) one change
    GET  /county/units/<id>                one township: month ranking, villages' quarter, recent visits
"""
from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Visit
from ..security import requires
from ..services import access, county, pairing_changes, performance, permissions
from ..web import params, rules
from ..web.writes import attempt, done

bp = Blueprint("county", __name__, url_prefix="/county")


@bp.before_request
@requires(permissions.administers_county)
def _only_county():
    return None


@bp.get("/")
def index():
    return render_template("county/index.html", rows=county.overview(current_user),
                           changes=db.session.scalars(pairing_changes.for_county(current_user).limit(50)).all())


@bp.post("/pairing-changes/<int:change_id>")
def decide(change_id: int):
    item = pairing_changes.change(current_user, change_id)
    decision = params.choice_arg("decision", ("approve", "reject"), "请选择同意或不同意。", source=request.form)
    _, err = attempt(pairing_changes.decide, item, current_user, decision == "approve", request.form.get("note", ""),
                     rules.pairings())
    return done(err, url_for("county.index"))


@bp.get("/units/<int:unit_id>")
def township(unit_id: int):
    viewer = county.view(current_user, unit_id)
    month = params.month_arg()
    results = performance.month_results(rules.scoring(), viewer, month)
    visits = db.session.scalars(access.visits(viewer).order_by(Visit.checked_in_at.desc())
                                .limit(current_app.config["RECENT_VISITS_SHOWN"])).all()
    return render_template("county/township.html", unit=viewer.unit, month=month, results=results,
                           villages=performance.village_names(results), visits=visits)
