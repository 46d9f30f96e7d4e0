"""Login and logout."""
import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..services import auth, users
from ..services.errors import DomainError

bp = Blueprint("auth", __name__)

DEVICE_COOKIE = "bangfu_device"
DEVICE_NAMES = 5  # usernames one browser is trusted for (a shared office computer)


def safe_next(target: str | None) -> str:
    """Only a same-site path: one leading '/', no '//', no backslash, no control character or
    space anywhere (browsers drop tabs and newlines, so '/\\t/evil' would become '//evil')."""
    target = target or ""
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) <= 2000
            and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target)):
        try:
            parts = urlsplit(target)
        except ValueError:
            return url_for("main.home")
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="bangfu-login-device")


def _device_max_age() -> int:
    return auth.LoginSettings.from_config(current_app.config).device_seconds


def known_accounts() -> dict[str, str]:
    """The accounts this browser has logged in to before: username → device tag (a signed cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        pairs = _devices().loads(raw, max_age=_device_max_age())
    except BadSignature:
        return {}
    if not isinstance(pairs, list):
        return {}
    return {p[0]: p[1] for p in pairs[:DEVICE_NAMES]
            if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)}


def _remember_device(resp, name: str, tag: str) -> None:
    pairs = [[name, tag]] + [[n, t] for n, t in known_accounts().items() if n != name]
    resp.set_cookie(DEVICE_COOKIE, _devices().dumps(pairs[:DEVICE_NAMES]), max_age=_device_max_age(),
                    httponly=True, samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("main.home"))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    name = auth.normalise_username(request.form.get("username"))
    try:
        user = auth.authenticate(name, request.form.get("password", ""), request.remote_addr or "",
                                 known_accounts().get(name), auth.LoginSettings.from_config(current_app.config))
    except DomainError as err:
        db.session.commit()
        return render_template("auth/login.html", error=err.message, username=request.form.get("username", ""),
                               next=request.form.get("next", "")), err.status
    db.session.commit()
    target = safe_next(request.form.get("next"))
    # a new session (and CSRF token): nothing planted before the login survives it
    session.clear()
    g.pop("csrf_token", None)
    auth.stamp_login(user)  # the login time: part of the session id and the remember cookie
    login_user(user, remember=True)
    resp = redirect(target)
    _remember_device(resp, name, auth.device_tag(user))
    return resp


@bp.post("/logout")
@login_required
def logout():
    users.end_sessions(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
