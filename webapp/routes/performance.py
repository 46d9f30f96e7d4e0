"""Helper performance pages: my month / my year, the village and unit rankings, closing months,
spot checks and exports. Every lookup goes through services.access (via services.performance)."""
from datetime import date

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..htmx import redirect_to, render
from ..models import SPOT_RESULTS
from ..security import role_required
from ..services import access, performance
from ..services.errors import DomainError, ValidationFailed
from ..services.sheet_export import to_csv, to_xlsx
from ..services.timeutil import local_today, month_key, quarter_of

bp = Blueprint("performance", __name__, url_prefix="/performance")

ASSESSORS = ("first_secretary", "office_admin")


def _month() -> str:
    return (request.values.get("month") or "").strip() or month_key(local_today())


def _quarter() -> str:
    raw = (request.values.get("quarter") or "").strip()
    if raw:
        return raw
    y, q = quarter_of(local_today())
    return f"{y}-Q{q}"


def _year() -> int:
    raw = (request.args.get("year") or "").strip()
    if not raw:
        return local_today().year
    if not (raw.isascii() and raw.isdigit()) or not 2000 <= int(raw) <= 2100:
        raise ValidationFailed("年份格式应为 YYYY。", field="year")
    return int(raw)


def _int_arg(name: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationFailed("请输入整数。", field=name)
    return int(raw)


def _rating() -> str | None:
    raw = (request.args.get("rating") or "").strip()
    if raw and raw not in performance.RATINGS:
        raise ValidationFailed("等级应为 优秀、合格 或 不合格。", field="rating")
    return raw or None


@bp.get("/")
@login_required
def index():
    if current_user.role == "office_admin":
        return redirect(url_for("performance.unit"))
    if current_user.role == "first_secretary":
        return redirect(url_for("performance.village"))
    return redirect(url_for("performance.my_month"))


# ---------------------------------------------------------------- one helper

@bp.get("/me")
@role_required("helper")
def my_month():
    return _helper_month_page(current_user)


@bp.get("/me/year")
@role_required("helper")
def my_year():
    return _helper_year_page(current_user)


@bp.get("/helpers/<int(max=2147483647):helper_id>")
@role_required(*ASSESSORS)
def helper_month(helper_id: int):
    p = performance.period(_month())
    return _helper_month_page(access.assessed_helper(current_user, helper_id, p.first, p.last))


@bp.get("/helpers/<int(max=2147483647):helper_id>/year")
@role_required(*ASSESSORS)
def helper_year(helper_id: int):
    year = _year()
    return _helper_year_page(access.assessed_helper(current_user, helper_id, date(year, 1, 1), date(year, 12, 31)))


def _helper_month_page(helper):
    month = _month()
    result = performance.helper_month(current_user, helper, month)
    return render("performance/month.html", "performance/_month.html", helper=helper, month=month, result=result,
                  own=helper.id == current_user.id)


def _helper_year_page(helper):
    year = _year()
    data = performance.helper_year(current_user, helper, year)
    return render_template("performance/year.html", helper=helper, year=year, data=data,
                           own=helper.id == current_user.id)


# ---------------------------------------------------------------- rankings

@bp.get("/village")
@role_required("first_secretary")
def village():
    month = _month()
    results = performance.month_results(current_user, month)
    return render("performance/village.html", "performance/_ranking.html", month=month, results=results,
                  villages=performance.village_names(results), detail=True)


@bp.get("/unit")
@role_required("office_admin")
def unit():
    month = _month()
    village_id, rating = _int_arg("village_id"), _rating()
    results = performance.month_results(current_user, month, village_id)
    if rating:
        results = [r for r in results if r.rating == rating]
    closure = performance.closure(current_user.unit_id, performance.period(month).key)
    villages = db.session.scalars(access.villages(current_user)).all()
    return render("performance/unit.html", "performance/_ranking.html", month=month, results=results,
                  village_id=village_id, rating=rating, ratings=performance.RATINGS, all_villages=villages,
                  villages=performance.village_names(results), closure=closure, detail=True,
                  log=performance.closure_log(current_user.unit_id, performance.period(month).key),
                  ended=performance.period(month).ended)


@bp.get("/unit/quarter")
@role_required("office_admin")
def unit_quarter():
    quarter = _quarter()
    village_id, rating = _int_arg("village_id"), _rating()
    months, results = performance.quarter_results(current_user, quarter, village_id)
    if rating:
        results = [r for r in results if r.rating == rating]
    villages = db.session.scalars(access.villages(current_user)).all()
    return render_template("performance/quarter.html", quarter=quarter, months=months, results=results,
                           village_id=village_id, rating=rating, ratings=performance.RATINGS, all_villages=villages,
                           villages=performance.village_names(results))


# ---------------------------------------------------------------- exports

def _download(kind: str, name: str, headers, rows) -> Response:
    fmt = (request.args.get("format") or "csv").lower()
    if fmt == "xlsx":
        body = to_xlsx(headers, rows, title=name)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        raise ValidationFailed("格式应为 csv 或 xlsx。", field="format")
    resp = Response(body, mimetype=mime)
    ascii_name = f"{kind}-{name}.{fmt}"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\""
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/unit/export")
@role_required("office_admin")
def export_month():
    month = _month()
    village_id, rating = _int_arg("village_id"), _rating()
    results = performance.month_results(current_user, month, village_id)
    if rating:
        results = [r for r in results if r.rating == rating]
    rows = performance.month_rows(results, performance.village_names(results))
    return _download("performance", performance.period(month).key, performance.MONTH_HEADERS, rows)


@bp.get("/unit/quarter/export")
@role_required("office_admin")
def export_quarter():
    quarter = _quarter()
    village_id, rating = _int_arg("village_id"), _rating()
    months, results = performance.quarter_results(current_user, quarter, village_id)
    if rating:
        results = [r for r in results if r.rating == rating]
    rows = performance.quarter_rows(months, results, performance.village_names(results))
    return _download("performance", quarter, performance.quarter_headers(months), rows)


# ---------------------------------------------------------------- closing a month

def _back_to_unit(month: str, error: str | None = None):
    if error:
        return render_template("error.html", code=422, message=error, back=url_for("performance.unit", month=month)), 422
    return redirect_to(url_for("performance.unit", month=month))


@bp.post("/unit/close")
@role_required("office_admin")
def close_month():
    month = _month()
    try:
        performance.close_month(current_user, month)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _back_to_unit(month, err.message)
    return _back_to_unit(month)


@bp.post("/unit/reopen")
@role_required("office_admin")
def reopen_month():
    month = _month()
    try:
        performance.reopen_month(current_user, month, request.form.get("reason", ""))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _back_to_unit(month, err.message)
    return _back_to_unit(month)


@bp.post("/unit/recompute")
@role_required("office_admin")
def recompute_month():
    month = _month()
    try:
        performance.recompute_month(current_user, month, request.form.get("reason", ""))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _back_to_unit(month, err.message)
    return _back_to_unit(month)


# ---------------------------------------------------------------- spot checks

@bp.get("/spot-checks")
@role_required("office_admin")
def spot_checks():
    month = _month()
    key = performance.period(month).key
    draws = performance.draws(current_user.unit_id, key, with_helpers=True)
    current = next((d for d in draws if not d.superseded), None)
    check = performance.reproduce(current) if current else None
    return render_template("performance/spot_checks.html", month=key, draws=draws, current=current, check=check,
                           results=SPOT_RESULTS,
                           default_ratio=performance.spot_check_ratio())


@bp.post("/spot-checks/draw")
@role_required("office_admin")
def spot_check_draw():
    month = _month()
    try:
        performance.draw(current_user, month, request.form.get("seed"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_template("error.html", code=err.status, message=err.message,
                               back=url_for("performance.spot_checks", month=month)), err.status
    return redirect_to(url_for("performance.spot_checks", month=month))


@bp.post("/spot-checks/items/<int(max=2147483647):item_id>")
@role_required("office_admin")
def spot_check_result(item_id: int):
    item = access.spot_check_item(current_user, item_id)
    month = item.draw.month
    try:
        performance.record_result(current_user, item, request.form.get("result", ""), request.form.get("note", ""))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_template("error.html", code=err.status, message=err.message,
                               back=url_for("performance.spot_checks", month=month)), err.status
    return redirect_to(url_for("performance.spot_checks", month=month) + f"#item-{item.id}")
