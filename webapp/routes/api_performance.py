"""JSON API v1: helpers' monthly performance, scoped by role like the pages."""
from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..services import performance
from ..services.errors import ValidationFailed
from ..services.timeutil import local_today, month_key

bp = Blueprint("api_performance", __name__, url_prefix="/api/v1")


@bp.get("/performance")
def month():
    """GET /api/v1/performance?month=YYYY-MM[&village_id=] → the month of every helper the caller may see.

    helper: themself; first secretary: helpers paired with households of their village; office
    admin: the helpers of their unit (village_id narrows to one of their villages); others: none.
    """
    if not current_user.is_authenticated:
        return jsonify(errors={"_auth": ["请先登录。"]}), 401
    month = (request.args.get("month") or "").strip() or month_key(local_today())
    raw_village = (request.args.get("village_id") or "").strip()
    village_id = None
    if raw_village:
        if not (raw_village.isascii() and raw_village.isdigit()) or len(raw_village) > 9:
            raise ValidationFailed("村编号应为整数。", field="village_id")
        village_id = int(raw_village)
    results = performance.month_results(current_user, month, village_id)  # DomainError → JSON 4xx
    p = performance.period(month)
    resp = jsonify(month=p.key, closed=bool(results) and all(r.closed for r in results),
                   helpers=[dict(r.api(), rank=r.rank) for r in results])
    resp.headers["Cache-Control"] = "no-store"
    return resp
