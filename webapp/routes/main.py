"""Home page per role, and the account page."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services import households, users
from ..services.errors import DomainError

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    if current_user.role == "office_admin":
        return redirect(url_for("admin.index"))
    if current_user.role in ("team_member", "first_secretary"):
        return redirect(url_for("secretary.home"))
    return render_template("helper/home.html", rows=households.listing(current_user))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    error = None
    if request.method == "POST":
        if not current_user.check_password(request.form.get("old_password", "")):
            error = "原密码不正确。"
        else:
            try:
                users.change_password(current_user, request.form.get("new_password", ""), current_user)
                db.session.commit()
                return redirect(url_for("auth.login"))
            except DomainError as err:
                error = err.message
    return render_template("account.html", error=error), 422 if error else 200
