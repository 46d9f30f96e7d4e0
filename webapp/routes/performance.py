"""Helper performance pages: my month / my year, the village and unit rankings, closing months,
spot checks and exports. Every lookup goes through services.access (via services.performance)."""
from datetime import date
from functools import partial

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..htmx import render
from ..models import SATISFACTION_LEVELS, SPOT_RESULTS
from ..security import requires
from ..services import access, lookups, performance, permissions, policy_problems, sanctions
from ..services.assessment import sources, spot_effects
from ..services.errors import Conflict, ValidationFailed
from ..services.sheet_export import to_csv, to_xlsx
from ..web import params, rules
from ..web.writes import attempt, done

bp = Blueprint("performance", __name__, url_prefix="/performance")
bp.add_app_template_global(spot_effects.satisfaction_by_village, "satisfaction_by_village")
bp.add_app_template_global(policy_problems.for_viewer, "policy_problems_for")
bp.add_app_template_global(lambda: sources.helper_rules(rules.current()), "score_sources")

def _rating() -> str | None:
    return params.choice_arg("rating", performance.RATINGS, "等级应为 优秀、合格 或 不合格。", source=request.args)


def _rated(results: list, rating: str | None) -> list:
    return [r for r in results if r.rating == rating] if rating else results


def _unit_month():
    """The office admin's month ranking as asked: (month, village_id, rating, results)."""
    month, village_id, rating = params.month_arg(), params.id_arg("village_id"), _rating()
    return month, village_id, rating, _rated(performance.month_results(rules.scoring(), current_user, month, village_id), rating)


def _unit_quarter():
    """The office admin's quarter ranking as asked: (quarter, village_id, rating, months, results)."""
    quarter, village_id, rating = params.quarter_arg(), params.id_arg("village_id"), _rating()
    months, results = performance.quarter_results(rules.scoring(), current_user, quarter, village_id)
    return quarter, village_id, rating, months, _rated(results, rating)


@bp.get("/")
@login_required
def index():
    if permissions.administers_unit(current_user):
        return redirect(url_for("performance.unit"))
    if permissions.can_rank_village(current_user):
        return redirect(url_for("performance.village"))
    return redirect(url_for("performance.my_month"))


# ---------------------------------------------------------------- one helper

@bp.get("/me")
@requires(permissions.records_visits)
def my_month():
    return _helper_month_page(current_user)


@bp.get("/me/year")
@requires(permissions.records_visits)
def my_year():
    return _helper_year_page(current_user)


@bp.get("/helpers/<int:helper_id>")
@requires(permissions.can_assess)
def helper_month(helper_id: int):
    p = performance.period(params.month_arg())
    return _helper_month_page(access.assessed_helper(current_user, helper_id, p.start, p.end))


@bp.get("/helpers/<int:helper_id>/year")
@requires(permissions.can_assess)
def helper_year(helper_id: int):
    year = params.year_arg(source=request.args)
    return _helper_year_page(access.assessed_helper(current_user, helper_id, date(year, 1, 1), date(year, 12, 31)))


def _helper_month_page(helper):
    month = params.month_arg()
    result = performance.helper_month(rules.scoring(), current_user, helper, month)
    return render("performance/month.html", "performance/_month.html", helper=helper, month=month, result=result,
                  own=helper.id == current_user.id)


def _helper_year_page(helper):
    year = params.year_arg(source=request.args)
    data = performance.helper_year(rules.scoring(), current_user, helper, year)
    return render_template("performance/year.html", helper=helper, year=year, data=data,
                           own=helper.id == current_user.id)


# ---------------------------------------------------------------- rankings

@bp.get("/village")
@requires(permissions.can_rank_village)
def village():
    month = params.month_arg()
    results = performance.month_results(rules.scoring(), current_user, month)
    return render("performance/village.html", "performance/_ranking.html", month=month, results=results,
                  villages=performance.village_names(results), detail=True)


@bp.get("/unit")
@requires(permissions.administers_unit)
def unit():
    month, village_id, rating, results = _unit_month()
    period = performance.period(month)
    # a township's 1,000 helpers are pages of RANKING_PAGE_SIZE (all of them in the exports)
    size = max(1, current_app.config["RANKING_PAGE_SIZE"])
    page_count = max(1, -(-len(results) // size))
    page_no = min(params.int_arg("page", default=1, lo=1), page_count)
    total, results = len(results), results[(page_no - 1) * size:page_no * size]
    return render("performance/unit.html", "performance/_ranking.html", month=month, results=results,
                  total=total, page_no=page_no, page_count=page_count, exports=True,  # on the pager's pages too
                  village_id=village_id, rating=rating, ratings=performance.RATINGS,
                  all_villages=lookups.villages(current_user), villages=performance.village_names(results),
                  closure=performance.closure(current_user.unit_id, period.key), detail=True,
                  log=performance.closure_log(current_user.unit_id, period.key), ended=period.ended)


@bp.get("/unit/quarter")
@requires(permissions.administers_unit)
def unit_quarter():
    quarter, village_id, rating, months, results = _unit_quarter()
    return render_template("performance/quarter.html", quarter=quarter, months=months, results=results,
                           village_id=village_id, rating=rating, ratings=performance.RATINGS,
                           all_villages=lookups.villages(current_user), villages=performance.village_names(results))


# ---------------------------------------------------------------- exports

def _download(kind: str, name: str, headers, rows) -> Response:
    fmt = (request.args.get("format") or "csv").strip().lower()
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("格式应为 csv 或 xlsx。", field="format")
    if fmt == "xlsx":
        body = to_xlsx(headers, rows, title=name)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
    resp = Response(body, mimetype=mime)
    ascii_name = f"{kind}-{name}.{fmt}"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\""
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/unit/export")
@requires(permissions.administers_unit)
def export_month():
    month, _, _, results = _unit_month()
    rows = performance.month_rows(results, performance.village_names(results))
    return _download("performance", performance.period(month).key, performance.MONTH_HEADERS, rows)


@bp.get("/unit/quarter/export")
@requires(permissions.administers_unit)
def export_quarter():
    quarter, _, _, months, results = _unit_quarter()
    rows = performance.quarter_rows(months, results, performance.village_names(results))
    return _download("performance", quarter, performance.quarter_headers(months), rows)


# ---------------------------------------------------------------- closing a month

def _month_action(action, *args):
    """Close, reopen or recompute the month; back to the unit's ranking (or the error page leading there)."""
    month = params.month_arg()
    _, err = attempt(action, current_user, month, *args)
    return done(err, url_for("performance.unit", month=month), status=422)


@bp.post("/unit/close")
@requires(permissions.administers_unit)
def close_month():
    return _month_action(partial(performance.close_month, rules.scoring()))


@bp.post("/unit/reopen")
@requires(permissions.administers_unit)
def reopen_month():
    return _month_action(performance.reopen_month, request.form.get("reason", ""))


@bp.post("/unit/recompute")
@requires(permissions.administers_unit)
def recompute_month():
    return _month_action(partial(performance.recompute_month, rules.scoring()), request.form.get("reason", ""))


# ---------------------------------------------------------------- spot checks

@bp.get("/spot-checks")
@requires(permissions.administers_unit)
def spot_checks():
    return _spot_checks_page(params.month_arg())


def _spot_checks_page(month: str, failed=None, form=None, status: int = 200, draw_error=None):
    """The month's draw; `failed` (an item) is shown with its error and the input kept; `draw_error`
    beside the draw form (a re-draw without its confirmation)."""
    key = performance.period(month).key
    draws = performance.draws(current_user.unit_id, key, with_helpers=True)
    current = next((d for d in draws if not d.superseded), None)
    check = performance.reproduce(current) if current else None
    return render_template("performance/spot_checks.html", month=key, draws=draws, current=current, check=check,
                           results=SPOT_RESULTS, levels=SATISFACTION_LEVELS, failed=failed, kept=form or {},
                           draw_error=draw_error,
                           default_ratio=rules.scoring().spot_check_ratio), status


@bp.post("/spot-checks/draw")
@requires(permissions.administers_unit)
def spot_check_draw():
    """A month that has a draw is drawn again only with the confirm step's `replace=1` (else 409, inline)."""
    month = params.month_arg()
    _, err = attempt(performance.draw, rules.scoring(), current_user, month, request.form.get("seed"),
                     replace=request.form.get("replace") == "1")
    if isinstance(err, Conflict):
        return _spot_checks_page(month, status=err.status, draw_error=err.message)
    return done(err, url_for("performance.spot_checks", month=month))


@bp.post("/spot-checks/items/<int:item_id>")
@requires(permissions.administers_unit)
def spot_check_result(item_id: int):
    """One helper's check; a missing note or a wrong choice comes back inline, the input kept (422)."""
    item = access.spot_check_item(current_user, item_id)
    form = request.form
    _, err = attempt(spot_effects.record_check, current_user, item, form.get("result", ""), form.get("note", ""),
                     form.get("satisfaction", ""), form.get("satisfaction_note", ""), form.get("fake") == "1",
                     only=ValidationFailed)
    if err is not None:
        return _spot_checks_page(item.draw.month, failed=(item.id, err), form=form, status=422)
    return done(None, url_for("performance.spot_checks", month=item.draw.month) + f"#item-{item.id}")


# ---------------------------------------------------------------- 弄虚作假 confirmed

@bp.post("/visits/<int:visit_id>/fake")
@requires(permissions.can_sanction)
def confirm_fake_visit(visit_id: int):
    """A reviewer confirms a visit record is fake: 004 第九条(四)2 for the helper that month."""
    visit = access.review_visit(current_user, visit_id)
    back = url_for("village.helpers_work") if permissions.can_review(current_user) else url_for(
        "visits.show", visit_id=visit.id)
    _, err = attempt(sanctions.confirm_fake_visit, current_user, visit, request.form.get("fake_note", ""))
    return done(err, back)
