"""Office admin: villages, users, pairings, roster import."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import ROLE_LABELS, ROLES, Household, Pairing, User, Village
from ..schemas.validators import MAX_ID
from ..security import role_required
from ..services import access, households, pairings, users, villages
from ..services.errors import DomainError, ValidationFailed
from ..services.roster import RosterFormatError, import_roster

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("office_admin")
def _only_admins():
    return None


def _float(name: str) -> float | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationFailed("请输入数字。", field=name) from None


def _int(name: str, default: int | None = None) -> int | None:
    raw = (request.form.get(name) or request.args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed("请输入整数。", field=name) from None
    if abs(value) > MAX_ID:  # would overflow the INTEGER column / query parameter
        raise ValidationFailed("数值超出范围。", field=name)
    return value


@bp.get("/")
def index():
    counts = dict(db.session.execute(
        select(Household.village_id, func.count())
        .where(Household.village_id.in_(access.villages(current_user).with_only_columns(Village.id)))
        .group_by(Household.village_id)
    ).all())
    vs = db.session.scalars(access.villages(current_user)).all()
    return render_template("admin/index.html", villages=vs, counts=counts)


@bp.route("/villages", methods=["GET", "POST"])
def village_list():
    errors = {}
    if request.method == "POST":
        try:
            target = access.village(current_user, _int("village_id")) if request.form.get("village_id") else None
            villages.save(current_user.unit, current_user, request.form.get("name", ""), _float("latitude"),
                          _float("longitude"), _int("geofence_m", 2000), target)
            db.session.commit()
            return redirect(url_for("admin.village_list"))
        except ValidationFailed as err:
            db.session.rollback()
            errors = err.errors
    vs = db.session.scalars(access.villages(current_user)).all()
    return render_template("admin/villages.html", villages=vs, errors=errors, form=request.form), 422 if errors else 200


@bp.route("/users", methods=["GET", "POST"])
def user_list():
    errors = {}
    if request.method == "POST":
        try:
            village = access.village(current_user, _int("village_id")) if request.form.get("village_id") else None
            users.create(request.form.get("username", ""), request.form.get("display_name", ""),
                         request.form.get("role", ""), request.form.get("password", ""), current_user.unit,
                         village, by=current_user, phone=request.form.get("phone") or None)
            db.session.commit()
            return redirect(url_for("admin.user_list"))
        except ValidationFailed as err:
            db.session.rollback()
            errors = err.errors
    people = db.session.scalars(access.users(current_user)).all()
    loads = dict(db.session.execute(
        select(Pairing.helper_id, func.count())
        .where(Pairing.end_date.is_(None), Pairing.helper_id.in_(access.users(current_user).with_only_columns(User.id)))
        .group_by(Pairing.helper_id)
    ).all())
    vs = db.session.scalars(access.villages(current_user)).all()
    return render_template("admin/users.html", people=people, loads=loads, villages=vs, roles=ROLES,
                           role_labels=ROLE_LABELS, errors=errors, form=request.form), 422 if errors else 200


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    person = access.person(current_user, user_id)
    if person.id == current_user.id:
        raise ValidationFailed("不能停用自己的账号。")
    users.set_active(person, request.form.get("active") == "1", current_user)
    db.session.commit()
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int):
    person = access.person(current_user, user_id)
    users.change_password(person, request.form.get("password", ""), current_user)
    db.session.commit()
    return redirect(url_for("admin.user_list"))


@bp.get("/pairings")
def pairing_list():
    village_id = _int("village_id")
    if village_id is not None:
        village_id = access.village(current_user, village_id).id  # another unit's village: 404
    rows = households.listing(current_user, village_id=village_id)
    helpers = db.session.scalars(access.users(current_user).where(User.role == "helper", User.active.is_(True))).all()
    vs = db.session.scalars(access.villages(current_user)).all()
    return render_template("admin/pairings.html", rows=rows, helpers=helpers, villages=vs, village_id=village_id,
                           limit=pairings.limit())


@bp.post("/households/<int:household_id>/pairing")
def change_pairing(household_id: int):
    hh = access.household(current_user, household_id)
    reason = request.form.get("reason", "")
    try:
        if request.form.get("helper_id"):
            helper = access.person(current_user, _int("helper_id"))
            pairings.assign(hh, helper, current_user, reason)
        else:
            if not reason.strip():
                raise ValidationFailed("请填写调整原因。", field="reason")
            pairings.end(hh, current_user, reason)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render_template("error.html", code=err.status, message=err.message,
                               back=url_for("households.show", household_id=hh.id)), err.status
    return redirect(url_for("households.show", household_id=hh.id))


@bp.route("/roster", methods=["GET", "POST"])
def roster():
    if request.method == "GET":
        return render_template("admin/roster.html")
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return render_template("admin/roster.html", format_error="请选择花名册文件（.xlsx 或 .csv）。"), 400
    try:
        result = import_roster(files, current_user.unit, current_user,
                               create_villages=request.form.get("create_villages") == "1")
    except RosterFormatError as err:
        db.session.rollback()
        return render_template("admin/roster.html", format_error=str(err)), 400
    if not result.ok:
        db.session.rollback()
        return render_template("admin/roster.html", result=result), 422
    db.session.commit()
    return render_template("admin/roster.html", result=result)
