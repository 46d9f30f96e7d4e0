"""Creating and managing accounts."""
import re

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .. import database
from ..extensions import db
from ..models import COUNTY_KIND, ROLES, TEAM_ROLES, Role, Unit, User, Village
from . import audit
from .errors import ValidationFailed

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"密码至少 {MIN_PASSWORD} 位。", field="password")


def create(username: str, display_name: str, role: str, password: str, unit: Unit,
           village: Village | None = None, by: User | None = None, phone: str | None = None) -> User:
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    # the hash is slow: made before the checks, outside the transaction that inserts the account
    database.end_read_transaction()
    hashed = generate_password_hash(password) if len(password or "") >= MIN_PASSWORD else ""
    if not USERNAME_RE.match(username):
        errors["username"] = ["用户名只能用 2–64 位字母、数字、下划线、点或横线。"]
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):  # logins ignore case
        errors["username"] = [f"用户名 {username} 已存在。"]
    if not display_name or len(display_name) > 64:
        errors["display_name"] = ["请填写姓名（不超过 64 字）。"]
    if role not in ROLES:
        errors["role"] = ["角色无效。"]
    elif (role == Role.COUNTY_ADMIN) != (unit.kind == COUNTY_KIND):  # a township never makes a county account
        errors["role"] = ["县级账号只能建在县单位，乡镇账号只能建在乡镇单位。"]
    if role in TEAM_ROLES and village is None:
        errors["village"] = ["驻村工作队员和第一书记必须指定所驻村。"]
    if village is not None and village.unit_id != unit.id:
        errors["village"] = ["该村不属于本单位。"]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [f"密码至少 {MIN_PASSWORD} 位。"]
    if errors:
        raise ValidationFailed("账号信息有误。", errors=errors)
    user = User(username=username, display_name=display_name, role=role, unit_id=unit.id,
                village_id=village.id if village and role in TEAM_ROLES else None, phone=phone,
                password_hash=hashed)
    db.session.add(user)
    db.session.flush()
    audit.record(by, "user.create", "user", user.id, username=username, role=role)
    return user


def set_active(user: User, active: bool, by: User) -> None:
    user.active = active
    user.session_version += 1  # ends every session of the account
    audit.record(by, "user.activate" if active else "user.deactivate", "user", user.id)


def change_password(user: User, password: str, by: User) -> None:
    check_password_rules(password)
    # the hash is slow: not inside the write transaction (SQLite's one write lock). Objects read
    # so far are read again afterwards, so the version below is the current one.
    database.end_read_transaction()
    hashed = generate_password_hash(password)
    user.session_version += 1
    user.password_hash = hashed
    audit.record(by, "user.password", "user", user.id)


def end_sessions(user: User) -> None:
    user.session_version += 1
