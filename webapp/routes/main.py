"""Home page per role, and the account page."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services import auth, households, permissions, users
from ..services.errors import DomainError

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    if permissions.administers_unit(current_user):
        return redirect(url_for("admin.index"))
    if permissions.administers_county(current_user):
        return redirect(url_for("county.index"))
    if permissions.in_team(current_user):
        return redirect(url_for("village.home"))
    return render_template("helper/home.html", rows=households.listing(current_user))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    error, status = None, 200
    if request.method == "POST":
        try:
            users.check_password_rules(request.form.get("new_password", ""))
            # limited per account, hashed outside the write transaction (services/auth.py)
            auth.verify_password(current_user, request.form.get("old_password", ""),
                                 auth.LoginSettings.from_config(current_app.config))
            users.change_password(current_user, request.form.get("new_password", ""), current_user)
            db.session.commit()
            return redirect(url_for("auth.login"))
        except auth.WrongPassword:
            db.session.rollback()
            error, status = "原密码不正确。", 422
        except DomainError as err:
            db.session.rollback()
            error, status = err.message, err.status
    return render_template("account.html", error=error), status
