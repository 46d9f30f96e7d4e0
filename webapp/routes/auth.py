"""Login and logout."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..services import auth, users
from ..services.errors import DomainError

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("main.home"))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    try:
        user = auth.authenticate(request.form.get("username", ""), request.form.get("password", ""),
                                 request.remote_addr or "")
    except DomainError as err:
        db.session.commit()  # keep the failure count
        return render_template("auth/login.html", error=err.message, username=request.form.get("username", ""),
                               next=request.form.get("next", "")), err.status
    db.session.commit()
    login_user(user, remember=True)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@login_required
def logout():
    users.end_sessions(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
