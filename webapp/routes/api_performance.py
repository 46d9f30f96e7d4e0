"""JSON API v1: helpers' monthly performance, scoped by role like the pages."""
from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..jsonapi import login_required
from ..schemas.performance import month_json
from ..services import performance
from ..web import params, rules

bp = Blueprint("api_performance", __name__, url_prefix="/api/v1")


@bp.get("/performance")
@login_required
def month():
    """GET /api/v1/performance?month=YYYY-MM[&village_id=] → the month of every helper the caller may see.

    helper: themself; first secretary: helpers paired with households of their village; office
    admin: the helpers of their unit (village_id narrows to one of their villages); others: none.
    """
    month = params.month_arg(source=request.args)
    results = performance.month_results(rules.scoring(), current_user, month, params.id_arg("village_id", request.args))
    resp = jsonify(month_json(performance.period(month).key, results))
    resp.headers["Cache-Control"] = "no-store"
    return resp
