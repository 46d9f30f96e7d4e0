"""Password login with a failure limit per username and per address."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from .. import database
from ..extensions import db
from ..models import LoginAttempt, User
from .errors import DomainError
from .timeutil import now_utc


class TooManyAttempts(DomainError):
    status = 429


class BadCredentials(DomainError):
    status = 401


def _recent_failures(username: str, ip: str) -> tuple[int, int]:
    since = now_utc() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    by_user = db.session.scalar(select(func.count()).where(LoginAttempt.username == username, LoginAttempt.at >= since))
    by_ip = db.session.scalar(select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.at >= since))
    return by_user or 0, by_ip or 0


def authenticate(username: str, password: str, ip: str) -> User:
    """Return the user, or raise. Failures are recorded; the caller commits either way."""
    username = (username or "").strip()[:64]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    by_user, by_ip = _recent_failures(username, ip)
    # an address gets more tries than a username: a school may share one address
    if by_user >= limit or by_ip >= limit * 4:
        raise TooManyAttempts(f"登录失败次数过多，请 {current_app.config['LOGIN_WINDOW_MINUTES']} 分钟后再试。")
    user = db.session.scalar(select(User).where(User.username == username))
    # the password hash costs ~100 ms of CPU: not while holding SQLite's write lock
    database.end_read_transaction(user)
    if user is None or not user.check_password(password or "") or not user.active:
        db.session.add(LoginAttempt(username=username, ip=ip))
        raise BadCredentials("用户名或密码错误。")
    db.session.execute(delete(LoginAttempt).where(or_(LoginAttempt.username == username)))
    return user
