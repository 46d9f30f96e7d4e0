"""Units (township offices, schools), villages and users."""
import time
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow
from .vocab import Role, check_in

ROLES = tuple(role.value for role in Role)
ROLE_LABELS = {
    Role.HELPER: "帮扶责任人",
    Role.TEAM_MEMBER: "驻村工作队员",
    Role.FIRST_SECRETARY: "驻村第一书记",
    Role.OFFICE_ADMIN: "扶贫办管理员",
    Role.COUNTY_ADMIN: "县扶贫攻坚指挥部",
}
TEAM_ROLES = (Role.TEAM_MEMBER, Role.FIRST_SECRETARY)
# the roles a township office creates on its 账号 page (a county account is made by the CLI, in a county unit)
TOWNSHIP_ROLES = tuple(r.value for r in Role if r != Role.COUNTY_ADMIN)
COUNTY_KIND = "county"  # Unit.kind of a county; its townships name it in Unit.parent_id


def effective_geofence_m(own: int | None, default: int) -> int:
    """A unit's or village's own geofence in metres, or the configured default where it has none."""
    return int(default if own is None else own)


class Unit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="township")
    geofence_m: Mapped[Optional[int]]  # visits' radius in metres; None: VISIT_GEOFENCE_M (see effective_geofence_m)
    # the head of household signs each visit on the helper's phone
    require_signature: Mapped[bool] = mapped_column(default=False, server_default=false())
    # a township's county (a Unit of kind "county"): the county approves its pairing changes (001)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)

    villages: Mapped[list["Village"]] = relationship(back_populates="unit", order_by="Village.id")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class Village(db.Model):
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_village_unit_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[Optional[float]]
    longitude: Mapped[Optional[float]]
    geofence_m: Mapped[Optional[int]]  # check-ins' radius in metres; None: VILLAGE_GEOFENCE_M

    unit: Mapped[Unit] = relationship(back_populates="villages")

    def __repr__(self) -> str:
        return f"<Village {self.name}>"


class User(UserMixin, db.Model):
    __table_args__ = (check_in("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("village.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=0)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    village: Mapped[Optional[Village]] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # the session version is part of the id: bumping it ends every old session (and remember
        # cookie). The login time is too: security.load_user refuses ids older than
        # REMEMBER_COOKIE_DURATION. A user loaded from a session keeps that session's login time.
        issued = getattr(self, "login_issued", None) or int(time.time())
        return f"{self.id}:{self.session_version}:{issued}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginLimit(db.Model):
    """Failed password checks in the current window, one counter row per key
    ('u:<username>', 'ua:<username>|<address>', 'a:<address>', 'pw:<user id>'); see
    services/login_limits.py. A check in progress counts as a failure until it succeeds."""

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    failures: Mapped[int] = mapped_column(default=0)
