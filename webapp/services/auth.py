"""Password checks with limits that no anonymous client can turn against other people.

Login failures are counted (services/login_limits.py) under three keys within a window
(LOGIN_WINDOW_MINUTES, 15 min by default, starting at the first failure):

- per (username, address): LOGIN_MAX_FAILURES (5). Reached: that address is refused (429) for
  that username; the owner elsewhere is not affected.
- per address: LOGIN_MAX_FAILURES_PER_ADDRESS (20), any usernames. Reached: that address is
  refused for every username; other addresses are not affected.
- per username: LOGIN_MAX_FAILURES_PER_USERNAME (10), from any addresses (guessing spread over
  many addresses). Reached: the username is refused on browsers that have never logged in to it.

A browser that has logged in to the username before carries a signed device cookie naming it
(routes/auth.py): it is counted only per (username, address), so neither a flood of failures for
that username nor one from its shared address can lock its owner out. The cookie names the
account's password too (a digest of its hash): after a password change old browsers are new again.

Every password check — found user, unknown user or deactivated user — costs one hash, so the time
of a failure does not tell whether the username exists. The hash runs outside any transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from . import login_limits
from .calendar import now_utc
from .errors import DomainError
from .login_limits import Limit

MAX_ADDRESS = 64


class TooManyAttempts(DomainError):
    status = 429


class BadCredentials(DomainError):
    status = 401


class WrongPassword(DomainError):
    status = 422


@dataclass(frozen=True)
class LoginSettings:
    per_pair: int = 5
    per_username: int = 10
    per_address: int = 20
    window_minutes: float = 15
    device_days: float = 180

    @classmethod
    def from_config(cls, cfg: Mapping) -> LoginSettings:
        return cls(per_pair=int(cfg["LOGIN_MAX_FAILURES"]),
                   per_username=int(cfg.get("LOGIN_MAX_FAILURES_PER_USERNAME", cls.per_username)),
                   per_address=int(cfg.get("LOGIN_MAX_FAILURES_PER_ADDRESS", cls.per_address)),
                   window_minutes=float(cfg["LOGIN_WINDOW_MINUTES"]),
                   device_days=float(cfg.get("LOGIN_DEVICE_COOKIE_DAYS", cls.device_days)))

    @property
    def device_seconds(self) -> int:
        return int(self.device_days * 86400)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def wait_text(self) -> str:
        return f"{self.window_minutes:g} 分钟"


def normalise_username(raw: str | None) -> str:
    """The form of a username that logins match and limits count: full-width letters folded,
    spaces trimmed, lower case ("Helper01 " is helper01)."""
    return unicodedata.normalize("NFKC", raw or "").strip().lower()[:64]


def find_user(username: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.username) == normalise_username(username))
                              .order_by(User.id)).first()


def stamp_login(user: User) -> None:
    """The login time carried by the session id and the remember cookie (security.load_user)."""
    user.login_issued = int(time.time())


def device_tag(user: User) -> str:
    """What a device cookie holds for an account: changes when its password changes."""
    return hashlib.sha256(f"device:{user.password_hash}".encode()).hexdigest()[:20]


def _trusted(name: str, tag: str | None) -> bool:
    if not tag:
        return False
    user = find_user(name)
    return user is not None and user.active and hmac.compare_digest(tag, device_tag(user))


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made the way real ones are (same method and cost), checked for unknown users."""
    if "h" not in _DUMMY:
        _DUMMY["h"] = generate_password_hash("no such account: the same cost as a real check")
    return _DUMMY["h"]


def _reserve_or_refuse(limits: list[Limit], settings: LoginSettings) -> None:
    hit = login_limits.reserve(limits, settings.window, now_utc())
    if hit is not None:
        db.session.rollback()
        raise TooManyAttempts(hit.what.format(wait=settings.wait_text))


def login_limits_for(username: str, address: str, trusted: bool, settings: LoginSettings) -> list[Limit]:
    address = (address or "")[:MAX_ADDRESS]
    limits = [Limit(f"ua:{username}|{address}", settings.per_pair, "登录失败次数过多，请 {wait}后再试。")]
    if not trusted:
        limits += [Limit(f"u:{username}", settings.per_username,
                         "该账号近期登录失败次数过多，请 {wait}后再试，或在以前登录过的设备上登录。"),
                   Limit(f"a:{address}", settings.per_address, "本网络登录失败次数过多，请 {wait}后再试。")]
    return limits


def authenticate(username: str, password: str, address: str, device: str | None,
                 settings: LoginSettings) -> User:
    """Return the user, or raise TooManyAttempts / BadCredentials.

    `device`: what the browser's signed device cookie holds for this username, if anything (see
    device_tag). Commits the reservation before the hash (the failure counts at once); the caller
    commits the rest."""
    name = normalise_username(username)
    limits = login_limits_for(name, address, _trusted(name, device), settings)
    _reserve_or_refuse(limits, settings)
    user = find_user(name)
    stored = user.password_hash if user is not None and user.active else None
    db.session.commit()  # the reservation is seen by every other request; no lock held while hashing
    ok = check_password_hash(stored or _dummy_hash(), password or "")
    if not (ok and stored):
        raise BadCredentials("用户名或密码错误。")
    login_limits.release(limits, forget=(limits[0].key,))
    return user


def verify_password(user: User, password: str, settings: LoginSettings) -> None:
    """An account's own password re-entered (changing it, resetting another office admin's):
    limited per account like a login. Raises WrongPassword or TooManyAttempts. The hash runs
    outside any transaction (ends the request's read transaction, or commits the reservation)."""
    limits = [Limit(f"pw:{user.id}", settings.per_pair, "密码错误次数过多，请 {wait}后再试。")]
    stored = user.password_hash
    _reserve_or_refuse(limits, settings)
    db.session.commit()
    if not check_password_hash(stored, password or ""):
        raise WrongPassword("当前密码不正确。")
    login_limits.release(limits, forget=(limits[0].key,))
    db.session.commit()  # the bookkeeping of the limit, apart from what the caller writes next
