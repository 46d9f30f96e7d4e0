"""Login, roles, and the headers every response carries."""
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import LoginManager, current_user

from .extensions import db
from .models import User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)


def load_user(user_id: str):
    """The user of a session or remember cookie "<id>:<session version>:<login time>": refused once
    the version has moved on (logout, password change, deactivation) or the login is older than
    REMEMBER_COOKIE_DURATION (30 days), whatever the browser keeps."""
    try:
        uid, version, issued = (int(x) for x in user_id.split(":"))
    except ValueError:
        return None
    lifetime = current_app.config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=30)
    if isinstance(lifetime, (int, float)):
        lifetime = timedelta(seconds=lifetime)
    now = time.time()
    if not now - lifetime.total_seconds() < issued <= now + 60:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    user.login_issued = issued
    return user


def requires(permission: Callable[[User], bool]):
    """Only users for whom the permission (services/permissions) holds may call the view; others
    get 403 (anonymous: the login page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not permission(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _warn_forwarded_without_proxy_count():
    """Behind a proxy with PROXY_COUNT=0 every client has the proxy's address: the login limits
    per address would then count everyone together. Said once per process."""
    if "X-Forwarded-For" in request.headers and not current_app.extensions.get("bangfu_xff_warned"):
        current_app.extensions["bangfu_xff_warned"] = True
        current_app.logger.warning(
            "X-Forwarded-For received but PROXY_COUNT is 0: every client is counted as %s for the "
            "login limits. Set PROXY_COUNT to the number of proxies in front of the app (README: "
            "HTTPS in the field).", request.remote_addr)


def _headers(response):
    h = response.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        h.setdefault("Content-Security-Policy", CSP)
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: on an HTTPS request every cookie is marked Secure.

    Flask writes the session cookie (and Flask-Login the remember cookie) after the
    after_request handlers, so the flag is added on the way out, below Flask.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [(k, v + "; Secure" if k.lower() == "set-cookie" and "; secure" not in v.lower() else v)
                       for k, v in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def init_app(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.after_request(_headers)
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if not proxies:
        app.before_request(_warn_forwarded_without_proxy_count)
    else:  # behind Caddy/nginx: trust their X-Forwarded-For/-Proto/-Host, so HTTPS is seen
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
