"""Villages of a unit."""
from sqlalchemy import select

from ..extensions import db
from ..models import Unit, User, Village
from . import audit
from .errors import ValidationFailed


def save(unit: Unit, by: User, name: str, latitude: float | None, longitude: float | None,
         geofence_m: int | None, village: Village | None = None) -> Village:
    """geofence_m None: the configured VILLAGE_GEOFENCE_M applies."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = ["请填写村名（不超过 100 字）。"]
    else:
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
    if errors:
        raise ValidationFailed("村信息有误。", errors=errors)
    if village is None:
        village = Village(unit_id=unit.id, name=name)
        db.session.add(village)
    village.name, village.latitude, village.longitude, village.geofence_m = name, latitude, longitude, geofence_m
    db.session.flush()
    audit.record(by, "village.save", "village", village.id, name=name)
    return village
