"""A visit's plausibility flags and the evidence behind each one.

Flags are computed when a visit or a photo arrives and stored on the visit: the codes in
Visit.flags, the numbers behind them in Visit.flag_details (code → evidence), so every page, the
API and the printed diary show the same flags with the same figures, however the data changes
later. `describe()` turns the stored numbers into one line of Chinese.

Evidence per code:
- outside_geofence: distance_m, radius_m
- poor_accuracy: accuracy_m, limit_m
- impossible_travel: the other visit (visit_id, checked_in_at), km, hours, kmh, limit_kmh
- late_entry: hours (check-in → received), limit_hours
- duplicate_photo: matches [{photo_id (here), other_photo_id, other_visit_id, bits, at}]
- photo_time_mismatch: photo_id, captured_at, hours (capture − check-in), limit_hours, photos
- same_spot: visits [{visit_id, household_id, checked_in_at, spot_m, household_m}], households,
  minutes, radius_m, apart_m
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..models import Household, User, Visit, vocab
from ..models.org import effective_geofence_m
from . import access, geo
from .calendar import tz
from .rules import VisitRules

FLAGS = vocab.FLAGS  # code → label, in display order


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def local_label(value: datetime | str) -> str:
    """5月9日 10:20 (Asia/Shanghai)."""
    when = _parse(value) if isinstance(value, str) else value
    when = when.astimezone(tz())
    return f"{when.month}月{when.day}日 {when:%H:%M}"


def geofence_m(household: Household, rules: VisitRules) -> int:
    return effective_geofence_m(household.village.unit.geofence_m, rules.geofence_m)


# --- the patterns ------------------------------------------------------------------------------

def _travel(a: Visit, b: Visit, rules: VisitRules) -> dict[str, Any] | None:
    """Could one person have been at both places at those times? Distance beyond what the two
    fixes' accuracy explains, over the time between them, faster than MAX_TRAVEL_KMH."""
    full = geo.haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)
    dist = full - a.accuracy_m - b.accuracy_m
    if dist <= 0:
        return None
    hours = abs((b.checked_in_at - a.checked_in_at).total_seconds()) / 3600
    limit = rules.max_travel_kmh
    kmh = None if hours == 0 else dist / 1000 / hours
    if kmh is not None and kmh <= limit:
        return None
    return {"visit_id": b.id, "checked_in_at": _iso(b.checked_in_at), "km": round(full / 1000, 1),
            "hours": round(hours, 2), "kmh": round(kmh) if kmh is not None else None, "limit_kmh": limit}


def window(visit: Visit, n: int) -> tuple[list[Visit], list[Visit]]:
    """Up to n of the helper's visits just before and just after this one, nearest first
    (by check-in time, then id)."""
    base = select(Visit).where(Visit.helper_id == visit.helper_id, Visit.id != visit.id)
    before = db.session.scalars(base.where(
        (Visit.checked_in_at < visit.checked_in_at)
        | ((Visit.checked_in_at == visit.checked_in_at) & (Visit.id < visit.id))
    ).order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(n)).all()
    after = db.session.scalars(base.where(
        (Visit.checked_in_at > visit.checked_in_at)
        | ((Visit.checked_in_at == visit.checked_in_at) & (Visit.id > visit.id))
    ).order_by(Visit.checked_in_at, Visit.id).limit(n)).all()
    return list(before), list(after)


def _nearby_in_time(visit: Visit, rules: VisitRules) -> list[Visit]:
    """The helper's other visits within SAME_SPOT_WINDOW_MINUTES of this one."""
    w = timedelta(minutes=rules.same_spot_window_minutes)
    return list(db.session.scalars(select(Visit).where(
        Visit.helper_id == visit.helper_id, Visit.id != visit.id,
        Visit.checked_in_at >= visit.checked_in_at - w, Visit.checked_in_at <= visit.checked_in_at + w,
    ).order_by(Visit.checked_in_at, Visit.id)))


def _same_spot(visit: Visit, nearby: list[Visit], rules: VisitRules) -> dict[str, Any] | None:
    """Several households logged from one spot in a short time while they are far apart."""
    hh = visit.household
    if not hh.has_location:
        return None
    radius, apart = rules.same_spot_radius_m, rules.same_spot_households_apart_m
    found: dict[int, dict[str, Any]] = {}
    for o in nearby:
        if o.household_id == visit.household_id or not o.household.has_location:
            continue
        spot = geo.haversine_m(visit.latitude, visit.longitude, o.latitude, o.longitude)
        hh_m = geo.haversine_m(hh.latitude, hh.longitude, o.household.latitude, o.household.longitude)
        if spot <= radius and hh_m >= apart and o.household_id not in found:
            found[o.household_id] = {"visit_id": o.id, "household_id": o.household_id,
                                     "checked_in_at": _iso(o.checked_in_at), "spot_m": round(spot),
                                     "household_m": round(hh_m)}
    if len(found) < rules.same_spot_min_households:
        return None
    rows = sorted(found.values(), key=lambda r: r["checked_in_at"])
    times = [visit.checked_in_at] + [_parse(r["checked_in_at"]) for r in rows]
    return {"visits": rows, "households": len(rows) + 1,
            "minutes": round((max(times) - min(times)).total_seconds() / 60),
            "radius_m": radius, "apart_m": min(r["household_m"] for r in rows)}


def _photo_time(visit: Visit, rules: VisitRules) -> dict[str, Any] | None:
    limit = rules.photo_time_mismatch_hours
    worst, off = None, []
    for p in visit.photos:
        if p.captured_at is None:
            continue
        hours = (p.captured_at - visit.checked_in_at).total_seconds() / 3600
        if abs(hours) > limit:
            off.append(p)
            if worst is None or abs(hours) > abs(worst[1]):
                worst = (p, hours)
    if worst is None:
        return None
    p, hours = worst
    return {"photo_id": p.id, "captured_at": _iso(p.captured_at), "hours": round(hours, 1),
            "limit_hours": limit, "photos": len(off)}


def compute(visit: Visit, rules: VisitRules, neighbours: list[Visit] | None = None,
            nearby: list[Visit] | None = None) -> dict[str, dict[str, Any]]:
    """code → evidence for every flag the visit carries now. duplicate_photo is kept as stored:
    it is decided when a photo arrives (services/photos.py through photo_index)."""
    found: dict[str, dict[str, Any]] = {}
    if visit.within_geofence is False and visit.distance_m is not None:
        found["outside_geofence"] = {"distance_m": round(visit.distance_m), "radius_m": geofence_m(visit.household, rules)}
    limit = rules.gps_accuracy_flag_m
    if visit.accuracy_m > limit:
        found["poor_accuracy"] = {"accuracy_m": round(visit.accuracy_m), "limit_m": limit}
    dup = (visit.flag_details or {}).get("duplicate_photo")
    if dup:
        found["duplicate_photo"] = dup
    if neighbours is None:
        before, after = window(visit, 1)
        neighbours = before + after
    trips = [t for t in (_travel(visit, o, rules) for o in neighbours) if t]
    if trips:
        found["impossible_travel"] = max(trips, key=lambda t: (t["kmh"] is None, t["kmh"] or 0))
    delay = (visit.received_at - visit.checked_in_at).total_seconds() / 3600
    if delay > rules.late_entry_hours:
        found["late_entry"] = {"hours": round(delay, 1), "limit_hours": rules.late_entry_hours}
    if visit.id is not None:
        pt = _photo_time(visit, rules)
        if pt:
            found["photo_time_mismatch"] = pt
        spot = _same_spot(visit, nearby if nearby is not None else _nearby_in_time(visit, rules), rules)
        if spot:
            found["same_spot"] = spot
    return {code: found[code] for code in FLAGS if code in found}


def store(visit: Visit, details: dict[str, dict[str, Any]]) -> None:
    """Write flags and evidence. A flag the visit did not carry when it was accepted (已核实) makes
    it wait for another look."""
    codes = [c for c in FLAGS if c in details]
    old = list(visit.flags or [])
    if visit.verified_at is not None and set(codes) - set(old):
        visit.verified_at, visit.verified_by_id = None, None
        visit.verify_note = None
    if old != codes:
        visit.flags = codes
    if (visit.flag_details or {}) != details:
        visit.flag_details = details
        flag_modified(visit, "flag_details")


def refresh(visit: Visit, rules: VisitRules, around: bool = False) -> None:
    """Recompute and store. around: also the visits the travel and same-spot patterns pair it with
    (the helper's visits just before and after, and those within the same-spot window)."""
    before, after = window(visit, 2)
    nearby = _nearby_in_time(visit, rules)
    store(visit, compute(visit, rules, neighbours=before[:1] + after[:1], nearby=nearby))
    if not around:
        return
    seen = {visit.id}
    for other in [*before[:1], *after[:1], *nearby]:
        if other.id not in seen:
            seen.add(other.id)
            store(other, compute(other, rules))


def add_duplicate(visit: Visit, match: dict[str, Any]) -> None:
    """Record one matching photo on a visit (both visits of a pair get one, pointing at the other)."""
    details = dict(visit.flag_details or {})
    dup = dict(details.get("duplicate_photo") or {"matches": []})
    key = (match["photo_id"], match["other_photo_id"])
    if any((m["photo_id"], m["other_photo_id"]) == key for m in dup["matches"]):
        return
    dup["matches"] = [*dup["matches"], match][-20:]
    details["duplicate_photo"] = dup
    store(visit, {code: details[code] for code in FLAGS if code in details})


# --- words ---------------------------------------------------------------------------------------

def _n(x: float) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def describe(code: str, ev: dict[str, Any]) -> str:
    """One line of Chinese a teacher understands."""
    if code == "outside_geofence":
        return f"距这户 {_n(ev['distance_m'])} 米，超出 {_n(ev['radius_m'])} 米范围"
    if code == "poor_accuracy":
        return f"定位精度 ±{_n(ev['accuracy_m'])} 米，超过 {_n(ev['limit_m'])} 米"
    if code == "impossible_travel":
        speed = f"约 {_n(ev['kmh'])} 公里/小时" if ev.get("kmh") is not None else "同一时刻"
        minutes = round(ev["hours"] * 60)
        return (f"与 {local_label(ev['checked_in_at'])} 的走访相距 {_n(ev['km'])} 公里，间隔 {minutes} 分钟，"
                f"{speed}，超过 {_n(ev['limit_kmh'])} 公里/小时")
    if code == "late_entry":
        return f"签到 {_n(round(ev['hours']))} 小时后才录入，超过 {_n(ev['limit_hours'])} 小时"
    if code == "duplicate_photo":
        ms = ev.get("matches") or []
        if not ms:
            return "照片与本单位另一次走访的照片相同"
        first = ms[0]
        same = "相同" if first.get("bits", 0) == 0 else "几乎相同"
        more = f"（另有 {len(ms) - 1} 处）" if len(ms) > 1 else ""
        when = f" {local_label(first['at'])}" if first.get("at") else ""
        return f"照片与本单位另一次走访（{when.strip() or '较早'}）的照片{same}{more}"
    if code == "photo_time_mismatch":
        h = ev["hours"]
        gap = f"{abs(h) / 24:.1f} 天" if abs(h) >= 48 else f"{abs(h):.0f} 小时"
        side = "早" if h < 0 else "晚"
        more = f"（共 {ev['photos']} 张）" if ev.get("photos", 1) > 1 else ""
        return f"照片拍摄于 {local_label(ev['captured_at'])}，比签到{side} {gap}，超过 {_n(ev['limit_hours'])} 小时{more}"
    if code == "same_spot":
        return (f"{ev['minutes']} 分钟内在同一地点（{_n(ev['radius_m'])} 米内）签到 {ev['households']} 户，"
                f"这些户相距 {_n(ev['apart_m'])} 米以上")
    return FLAGS.get(code, code)


def details(visit: Visit) -> list[dict[str, Any]]:
    """[{code, label, text, …numbers}] for each flag, in display order (no viewer filtering: see
    `for_viewer`)."""
    stored = visit.flag_details or {}
    out = []
    for code in FLAGS:
        if code not in (visit.flags or []):
            continue
        ev = stored.get(code) or {}
        try:
            text = describe(code, ev)
        except (KeyError, TypeError, ValueError):  # flagged before evidence was kept
            text = FLAGS[code]
        out.append({"code": code, "label": FLAGS[code], "text": text, **ev})
    return out


def linked_ids(visit: Visit) -> set[int]:
    """Other visits the evidence points at."""
    ids: set[int] = set()
    for ev in (visit.flag_details or {}).values():
        if not isinstance(ev, dict):
            continue
        if "visit_id" in ev:
            ids.add(ev["visit_id"])
        for m in ev.get("matches") or []:
            ids.add(m["other_visit_id"])
        for r in ev.get("visits") or []:
            ids.add(r["visit_id"])
    return ids


def for_viewer(visit: Visit, viewer: User | None) -> list[dict[str, Any]]:
    """details() with the other visits and photos kept only where the viewer may see them (no
    viewer: none of them)."""
    ids = linked_ids(visit)
    visible = access.visible_visit_ids(viewer, ids) if viewer is not None and ids else set()
    out = []
    for d in details(visit):
        d = dict(d)
        if "visit_id" in d and d["visit_id"] not in visible:
            d.pop("visit_id")
        if "matches" in d:
            d["matches"] = [m if m["other_visit_id"] in visible else
                            {"photo_id": m["photo_id"], "bits": m["bits"], "at": m.get("at")} for m in d["matches"]]
        if "visits" in d:
            d["visits"] = [r if r["visit_id"] in visible else
                           {k: r[k] for k in ("checked_in_at", "spot_m", "household_m")} for r in d["visits"]]
        out.append(d)
    return out
