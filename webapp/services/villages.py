"""Villages of a unit: name, centre and check-in radius.

A village made by the roster import has no centre, so its team's check-ins cannot count as days in
the village. The office sets one here; a village without one is offered the middle (median) of its
located households as a proposal. Coordinates may be typed in WGS-84 (a phone's GPS) or GCJ-02
(picked on 高德 / 腾讯 maps); they are stored in WGS-84. A changed centre or radius recounts the
month's check-ins (inside / outside) and is written to the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import select

from .. import database
from ..extensions import db
from ..models import Checkin, Household, Unit, User, Village
from . import access, attendance, audit, geo
from .calendar import local_today, month_utc_range
from .errors import ValidationFailed

COORD_SYSTEMS = {"wgs84": "WGS-84（手机定位、GPS 设备）", "gcj02": "GCJ-02（在高德、腾讯地图上取的点）",
                 "bd09": "BD-09（在百度地图上取的点）"}
COORD_MSG = "坐标系应为 WGS-84、GCJ-02 或 BD-09。"


def save(unit: Unit, by: User, name: str, latitude: float | None, longitude: float | None,
         geofence_m: int | None, village: Village | None = None, coord_system: str = "wgs84",
         rules: attendance.AttendanceRules | None = None) -> Village:
    """Create or change a village (geofence_m None: the configured VILLAGE_GEOFENCE_M applies);
    `rules` (the attendance rules) recount the month's check-ins when the centre or radius of an
    existing village changes."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = ["请填写村名（不超过 100 字）。"]
    else:
        database.lock(Unit, unit.id)  # one save at a time per unit: a second with the same name sees the first's
        clash = db.session.scalar(select(Village).where(Village.unit_id == unit.id, Village.name == name))
        if clash is not None and clash is not village:
            errors["name"] = [f"村名「{name}」已存在。"]
    if (latitude is None) != (longitude is None):
        errors["latitude"] = ["经度和纬度要么都填，要么都空。"]
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = ["纬度应在 -90 到 90 之间。"]
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = ["经度应在 -180 到 180 之间。"]
    if geofence_m is not None and not 50 <= geofence_m <= 20000:
        errors["geofence_m"] = ["签到范围应在 50–20000 米之间。"]
    if coord_system not in COORD_SYSTEMS:
        errors["coord_system"] = [COORD_MSG]
    if errors:
        raise ValidationFailed("村信息有误。", errors=errors)
    if latitude is not None and longitude is not None:
        latitude, longitude = geo.to_wgs84(latitude, longitude, coord_system)
    before = None if village is None else (village.latitude, village.longitude, village.geofence_m)
    if village is None:
        village = Village(unit_id=unit.id, name=name)
        db.session.add(village)
    village.name, village.latitude, village.longitude, village.geofence_m = name, latitude, longitude, geofence_m
    db.session.flush()
    audit.record(by, "village.save", "village", village.id, name=name)
    if before is not None and before != (latitude, longitude, geofence_m) and rules is not None:
        recounted = recount_checkins(rules, village)
        audit.record(by, "village.centre", "village", village.id, coord_system=coord_system, recounted=recounted,
                     before={"latitude": before[0], "longitude": before[1], "geofence_m": before[2]},
                     after={"latitude": latitude, "longitude": longitude, "geofence_m": geofence_m})
    return village


def recount_checkins(rules: attendance.AttendanceRules, village: Village, today: date | None = None) -> int:
    """This month's check-ins in the village measured again against its centre and radius;
    returns how many changed (inside ↔ outside or distance)."""
    today = today or local_today()
    start, end = month_utc_range(today.year, today.month)
    changed = 0
    for c in db.session.scalars(select(Checkin).where(Checkin.village_id == village.id, Checkin.checked_in_at >= start,
                                                      Checkin.checked_in_at < end)):
        distance, inside = attendance.locate(rules, village, c.latitude, c.longitude)
        if (distance, inside) != (c.distance_m, c.within_geofence):
            c.distance_m, c.within_geofence = distance, inside
            changed += 1
    db.session.flush()
    return changed


@dataclass
class Proposal:
    latitude: float
    longitude: float
    households: int


def proposed_centre(village: Village) -> Proposal | None:
    """The middle (median, so one household placed far off does not move it) of the village's
    located households, in WGS-84; None when none is located."""
    points = db.session.execute(select(Household.latitude, Household.longitude).where(
        Household.village_id == village.id, Household.latitude.is_not(None), Household.longitude.is_not(None))).all()
    if not points:
        return None
    return Proposal(round(median(p[0] for p in points), 6), round(median(p[1] for p in points), 6), len(points))


def without_centre(user: User) -> list[Village]:
    """The unit's villages with no centre yet (the office home lists them)."""
    return list(db.session.scalars(access.villages(user).where(Village.latitude.is_(None))))
