"""What the server would flag if this check-in were saved now, and why.

Read-only: a transient Visit (never added to the session) goes through the same flag functions
as a stored one, so the phone is told before 保存走访 exactly what will be marked. Photos are
compared only once uploaded (the phone says beforehand when it reuses a picture it already sent).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import User, Visit
from . import access, geo, visit_flags, visits
from .calendar import now_utc, tz
from .rules import VisitRules

REPEAT_HOURS = 2  # "刚才已保存过一次": the same household again within this long
NEEDS_REASON = ("outside_geofence", "poor_accuracy")


@dataclass
class Preview:
    flags: list[str]
    flag_details: list[dict[str, Any]]
    distance_m: float | None
    radius_m: int
    accuracy_limit_m: float
    last_here: dict[str, Any] | None = None
    needs_reason: bool = field(init=False)

    def __post_init__(self) -> None:
        self.needs_reason = any(f in NEEDS_REASON for f in self.flags)


def _when(value: datetime) -> str:
    return value.astimezone(tz()).strftime("%m-%d %H:%M")


def _span(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes} 分钟" if minutes < 120 else f"{hours:.1f} 小时"


def _travel(visit: Visit, other: Visit, rules: VisitRules) -> dict[str, Any]:
    """The travel evidence with the other visit's time and place (its household)."""
    km = geo.haversine_m(visit.latitude, visit.longitude, other.latitude, other.longitude) / 1000
    hours = abs((visit.checked_in_at - other.checked_in_at).total_seconds()) / 3600
    kmh = km / hours if hours else None
    limit = rules.max_travel_kmh
    side = "上一次" if other.checked_in_at <= visit.checked_in_at else "下一次"
    speed = f"约 {kmh:.0f} 公里/小时" if kmh is not None else "时间相同"
    return {
        "code": "impossible_travel", "label": visits.FLAGS["impossible_travel"],
        "text": (f"与{side}走访（{other.household.head_name}户，{_when(other.checked_in_at)}）相距 {km:.1f} 公里，"
                 f"只隔 {_span(hours)}，{speed}，超过 {limit:g} 公里/小时"),
        "other_visit_id": other.id, "other_household": other.household.head_name,
        "other_checked_in_at": other.checked_in_at.astimezone(timezone.utc).isoformat(),
        "km": round(km, 1), "hours": round(hours, 2), "kmh": round(kmh, 1) if kmh is not None else None, "limit_kmh": limit,
    }


def _with_evidence(visit: Visit, rules: VisitRules) -> list[dict[str, Any]]:
    """Every pattern of services/visit_flags.py (same spot included) in its words; travel also
    names the other visit's household."""
    out = []
    for code, ev in visit_flags.compute(visit, rules).items():
        other = db.session.get(Visit, ev["visit_id"]) if code == "impossible_travel" and ev.get("visit_id") else None
        if other is not None:
            out.append(_travel(visit, other, rules))
        else:
            out.append({"code": code, "label": visit_flags.FLAGS[code], "text": visit_flags.describe(code, ev), **ev})
    return out


def _last_here(user: User, household_id: int, checked_in_at: datetime) -> dict[str, Any] | None:
    """The caller's visit to this household within REPEAT_HOURS of this check-in, if any."""
    window = timedelta(hours=REPEAT_HOURS)
    last = db.session.scalar(
        select(Visit).where(Visit.helper_id == user.id, Visit.household_id == household_id,
                            Visit.checked_in_at > checked_in_at - window, Visit.checked_in_at < checked_in_at + window)
        .order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(1))
    if last is None:
        return None
    return {"visit_id": last.id, "client_uuid": last.client_uuid,
            "checked_in_at": last.checked_in_at.astimezone(timezone.utc).isoformat(),
            "minutes_ago": round((checked_in_at - last.checked_in_at).total_seconds() / 60),
            "text": f"刚才已保存过一次（{_when(last.checked_in_at)}）"}


def preview(user: User, household_id: int, checked_in_at: datetime, latitude: float, longitude: float,
            accuracy_m: float, rules: VisitRules, now: datetime | None = None) -> Preview:
    """The would-be flags of a check-in at one of the user's paired households (404 otherwise)."""
    household = access.visitable_household(user, household_id)
    now = now or now_utc()
    radius = visits.geofence_m(household, rules)
    # id 0: no stored visit has it (the window queries compare ids); it is never added to the session
    visit = Visit(id=0, household_id=household.id, helper_id=user.id, checked_in_at=checked_in_at, received_at=now,
                  latitude=latitude, longitude=longitude, accuracy_m=accuracy_m, flags=[])
    visit.household = household
    if household.has_location:
        visit.distance_m = geo.haversine_m(latitude, longitude, household.latitude, household.longitude)
        visit.within_geofence = visit.distance_m <= radius
    details = _with_evidence(visit, rules)
    codes = {d["code"] for d in details}
    return Preview([c for c in visits.FLAGS if c in codes], details,
                   round(visit.distance_m, 1) if visit.distance_m is not None else None, radius,
                   rules.gps_accuracy_flag_m, _last_here(user, household.id, checked_in_at))
