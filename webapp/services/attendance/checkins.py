"""Check-ins in the village: where they were (geofence), stored idempotently by client_uuid, with
one optional photo."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...models import TEAM_ROLES, Checkin, User, Village
from ...models.org import effective_geofence_m
from ..calendar import local_midnight, now_utc
from ..errors import Conflict, Forbidden, ValidationFailed
from ..geo import haversine_m
from ..rules import PhotoRules
from .rules import AttendanceRules


@dataclass(frozen=True)
class CheckinIn:
    """A check-in as the phone sent it, its fields checked (schemas.attendance.load_checkin)."""

    client_uuid: str
    checked_in_at: datetime  # aware
    latitude: float
    longitude: float
    accuracy_m: float


def geofence_m(rules: AttendanceRules, village: Village) -> int:
    return effective_geofence_m(village.geofence_m, rules.village_geofence_m)


def locate(rules: AttendanceRules, village: Village, latitude: float, longitude: float) -> tuple[float | None, bool]:
    """Distance to the village centre and whether it is inside the village geofence.

    A village without a centre cannot be checked against: the check-in is kept, outside."""
    if village.latitude is None or village.longitude is None:
        return None, False
    distance = haversine_m(latitude, longitude, village.latitude, village.longitude)
    return round(distance, 1), distance <= geofence_m(rules, village)


def content_hash(user_id: int, checkin: CheckinIn) -> str:
    """sha256 of the canonical check-in: a replay with other content (or by someone else) is a conflict."""
    canonical = {
        "user_id": user_id,
        "client_uuid": str(checkin.client_uuid),
        "checked_in_at": checkin.checked_in_at.astimezone(timezone.utc).isoformat(),
        "latitude": float(checkin.latitude),
        "longitude": float(checkin.longitude),
        "accuracy_m": float(checkin.accuracy_m),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _check_time(rules: AttendanceRules, at: datetime) -> None:
    now = now_utc()
    skew, window = rules.future_skew_minutes, rules.offline_window_days
    if at > now + timedelta(minutes=skew):
        raise ValidationFailed("签到时间晚于服务器时间，请检查手机时间。", field="checked_in_at")
    if at < now - timedelta(days=window):
        raise ValidationFailed(f"签到时间早于 {window} 天前，已超出离线补传期限。", field="checked_in_at")


def _insert(values: dict[str, Any]):
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(Checkin).values(**values).on_conflict_do_nothing(index_elements=["client_uuid"])


def _replay(existing: Checkin, content_hash: str) -> tuple[Checkin, bool]:
    if existing.content_hash != content_hash:
        raise Conflict("这个 client_uuid 已用于另一条内容不同的签到。", field="client_uuid")
    return existing, False


def check_may_check_in(user: User) -> None:
    """Only a work-team member posted to a village checks in (asked before the body is read)."""
    if user.role not in TEAM_ROLES or user.village_id is None:
        raise Forbidden("只有驻村工作队员和第一书记可以驻村签到。")


def record_checkin(rules: AttendanceRules, user: User, checkin: CheckinIn,
                   photo_key: str | None = None) -> tuple[Checkin, bool]:
    """Store a check-in idempotently: (checkin, created).

    The same client_uuid with the same content returns the stored row (created False); with other
    content it is a Conflict. Nothing is stored when it is refused."""
    check_may_check_in(user)
    client_uuid = str(checkin.client_uuid)
    digest = content_hash(user.id, checkin)
    existing = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid))
    if existing is not None:
        return _replay(existing, digest)
    _check_time(rules, checkin.checked_in_at)
    village = db.session.get(Village, user.village_id)
    distance, within = locate(rules, village, checkin.latitude, checkin.longitude)
    result = db.session.execute(_insert({
        "client_uuid": client_uuid, "user_id": user.id, "village_id": village.id,
        "checked_in_at": checkin.checked_in_at.astimezone(timezone.utc), "received_at": now_utc(),
        "latitude": checkin.latitude, "longitude": checkin.longitude, "accuracy_m": checkin.accuracy_m,
        "distance_m": distance, "within_geofence": within, "content_hash": digest, "photo_key": photo_key,
    }))
    row = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid))
    if not result.rowcount:  # a concurrent request with the same client_uuid won the race
        return _replay(row, digest)
    return row, True


def checkins_on(user: User, day: date) -> list[Checkin]:
    start = local_midnight(day)
    end = start + timedelta(days=1)
    return list(db.session.scalars(
        select(Checkin).where(Checkin.user_id == user.id, Checkin.checked_in_at >= start, Checkin.checked_in_at < end)
        .order_by(Checkin.checked_in_at.desc())
    ))


# --------------------------------------------------------------------------- the photo

def _photo_keys(hex_: str) -> tuple[str, str]:
    from .. import storage

    return storage.new_key("checkins", hex_), storage.new_key("checkinthumbs", hex_)


def thumb_key(checkin: Checkin) -> str | None:
    """The thumbnail sits beside the photo under the same UUID."""
    if not checkin.photo_key:
        return None
    return _photo_keys(checkin.photo_key.rsplit("/", 1)[1].split(".")[0])[1]


def attach_photo(user: User, client_uuid: str, data: bytes, photo_rules: PhotoRules) -> tuple[Checkin, bool]:
    """One optional photo on the caller's own check-in, checked and re-encoded like visit photos
    (no EXIF kept). The same photo again is a replay (created False); another photo is a Conflict."""
    import uuid

    from ... import database
    from .. import photos, storage

    checkin = db.session.scalar(select(Checkin).where(Checkin.client_uuid == client_uuid, Checkin.user_id == user.id))
    if checkin is None:
        from ..errors import NotFound

        raise NotFound("没有这次签到（请先上传签到），或您无权操作。")
    # decode outside SQLite's write lock; checkin is expired and read again afterwards
    database.end_read_transaction()
    processed = photos.process(data, photo_rules)
    store = storage.get()
    database.locked(checkin)  # two photos sent at once: the second sees the first's
    if checkin.photo_key:
        try:
            with store.open(checkin.photo_key) as f:
                same = hashlib.sha256(f.read()).hexdigest() == processed.sha256
        except FileNotFoundError:
            same = False
        if same:
            return checkin, False
        raise Conflict("这次签到已经有一张照片。", field="photo")
    key, thumb = _photo_keys(uuid.uuid4().hex)
    store.put(key, processed.image)
    store.put(thumb, processed.thumb)
    checkin.photo_key = key
    db.session.flush()
    return checkin, True


def discard_photo(checkin: Checkin) -> None:
    """Remove the files again when the row could not be committed."""
    from .. import storage

    store = storage.get()
    for key in (checkin.photo_key, thumb_key(checkin)):
        if key:
            store.delete(key)
