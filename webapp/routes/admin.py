"""Office admin: villages, users, pairings (roster import: routes/roster.py, on this blueprint)."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from .. import htmx
from ..extensions import db
from ..models import ROLE_LABELS, TOWNSHIP_ROLES
from ..security import requires
from ..services import access, auth, households, lists, lookups, month_glance, pairing_changes, permissions, users, villages
from ..services.errors import ValidationFailed
from ..web import params, rules
from ..web.writes import attempt, done

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@requires(permissions.administers_unit)
def _only_admins():
    return None


@bp.get("/")
def index():
    return render_template("admin/index.html", villages=lookups.villages(current_user),
                           counts=lookups.households_per_village(current_user),
                           glance=month_glance.build(current_user))


@bp.get("/glance/at-risk")
def glance_at_risk():
    """The home's helpers at risk of a flag: the month's performance, loaded after the page (htmx)."""
    return render_template("admin/_glance_at_risk.html", at_risk=month_glance.at_risk(rules.scoring(), current_user))


def _save_village() -> None:
    village_id = params.id_arg("village_id", request.form)
    target = access.village(current_user, village_id) if village_id else None
    villages.save(current_user.unit, current_user, request.form.get("name", ""),
                  params.float_arg("latitude", request.form), params.float_arg("longitude", request.form),
                  params.int_arg("geofence_m", source=request.form), target,
                  params.choice_arg("coord_system", villages.COORD_SYSTEMS, villages.COORD_MSG, "wgs84", request.form),
                  rules.attendance())


@bp.route("/villages", methods=["GET", "POST"])
def village_list():
    err = attempt(_save_village, only=ValidationFailed)[1] if request.method == "POST" else None
    if request.method == "POST" and err is None:
        return redirect(url_for("admin.village_list"))
    listed = lookups.villages(current_user)
    return render_template("admin/villages.html", villages=listed, proposals={v.id: villages.proposed_centre(v) for v in listed},
                           systems=villages.COORD_SYSTEMS, errors=err.errors if err else {}, form=request.form), \
        422 if err else 200


def _create_user() -> None:
    village_id = params.id_arg("village_id", request.form)
    village = access.village(current_user, village_id) if village_id else None
    users.create(request.form.get("username", ""), request.form.get("display_name", ""),
                 request.form.get("role", ""), request.form.get("password", ""), current_user.unit,
                 village, by=current_user, phone=request.form.get("phone") or None)


@bp.route("/users", methods=["GET", "POST"])
def user_list():
    err = attempt(_create_user, only=ValidationFailed)[1] if request.method == "POST" else None
    if request.method == "POST" and err is None:
        return redirect(url_for("admin.user_list"))
    listed = lists.people(current_user, params.text_arg("q", lists.SEARCH_MAX, request.args),
                          params.page_arg(source=request.args))
    resp = htmx.render("admin/users.html", "admin/_people.html", listed=listed, people=listed.items,
                       loads=lookups.open_pairings_per_helper(current_user), villages=lookups.villages(current_user),
                       roles=TOWNSHIP_ROLES, role_labels=ROLE_LABELS, errors=err.errors if err else {}, form=request.form)
    resp.status_code = 422 if err else 200
    return resp


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
    users.check_password_rules(request.form.get("password", ""))
    if permissions.administers_unit(person):  # one's own or another admin's: own password first, as on /account
        try:
            auth.verify_password(current_user, request.form.get("current_password", ""),
                                 auth.LoginSettings.from_config(current_app.config))
        except auth.WrongPassword:
            raise ValidationFailed("您自己的当前密码不正确。", field="current_password") from None
        person = access.person(current_user, user_id)  # read again after the check's transactions
    users.change_password(person, request.form.get("password", ""), current_user)
    db.session.commit()
    return redirect(url_for("admin.user_list"))


@bp.get("/pairings")
def pairing_list():
    village_id = params.id_arg("village_id", request.args)
    if village_id is not None:
        village_id = access.village(current_user, village_id).id  # another unit's village: 404
    listed = lists.pairings(current_user, village_id, params.text_arg("q", lists.SEARCH_MAX, request.args),
                            params.page_arg(source=request.args))
    return htmx.render("admin/pairings.html", "admin/_pairings.html", listed=listed, rows=listed.items,
                       villages=lookups.villages(current_user), village_id=village_id,
                       limit=rules.pairings().household_limit, county=current_user.unit.parent_id is not None,
                       changes=db.session.scalars(pairing_changes.for_unit(current_user.unit_id).limit(20)).all())


@bp.get("/households/<int:household_id>/pairing")
def pairing_form(household_id: int):
    """One household's 调整 form (helpers to choose from): htmx puts it in the list's row."""
    row = households.row(current_user, access.household(current_user, household_id))
    return htmx.render("admin/pairing_form.html", "admin/_pairing_form.html", r=row,
                       helpers=lookups.active_helpers(current_user), loads=lookups.open_pairings_per_helper(current_user))


def _pair_or_end(hh, reason: str) -> None:
    """At once, or proposed to the county when the township has one (services/pairing_changes.py)."""
    helper_id = params.id_arg("helper_id", request.form)
    helper = access.person(current_user, helper_id) if helper_id is not None else None
    pairing_changes.request(hh, helper, current_user, reason, rules.pairings())


@bp.post("/households/<int:household_id>/pairing")
def change_pairing(household_id: int):
    hh = access.household(current_user, household_id)
    _, err = attempt(_pair_or_end, hh, request.form.get("reason", ""))
    return done(err, url_for("households.show", household_id=hh.id))
