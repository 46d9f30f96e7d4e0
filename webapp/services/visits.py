"""Household visits: record one idempotently, measure the distance, compute the plausibility flags.

A visit is keyed by the `client_uuid` the phone made. The same uuid with the same content is a
replay (the stored visit is returned, nothing written); with different content it is a conflict.
Flags and their evidence are computed by services/visit_flags.py and stored on the visit
(Visit.flags, Visit.flag_details), so every page, the API and the printed diary show the same ones;
`badges()` turns them into labels.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Household, Member, Pairing, ReviewStatus, SubsidyAnswer, User, Visit, vocab
from . import access, audit, geo, measures, policy_problems, subsidies, visit_caps, visit_flags
from .calendar import month_utc_range, now_utc
from .errors import Conflict, ValidationFailed
from .rules import VisitRules

# the vocabularies (models/vocab.py), under the names this module has always offered
CHECKLIST, CHECKLIST_CODES, FLAGS, OFFLINE_LABEL = vocab.CHECKLIST, vocab.CHECKLIST_CODES, vocab.FLAGS, vocab.OFFLINE_LABEL
geofence_m = visit_flags.geofence_m


# --- flags -------------------------------------------------------------------------------------

def is_offline(visit: Visit, rules: VisitRules) -> bool:
    """Received long after check-in: sent later from the phone's outbox (离线补传). Not a fault."""
    if visit.received_at is None or visit.checked_in_at is None:
        return False
    return visit.received_at - visit.checked_in_at > timedelta(hours=rules.offline_late_hours)


def flag_labels(visit: Visit) -> list[str]:
    return [FLAGS[f] for f in FLAGS if f in (visit.flags or [])]


def badges(visit: Visit, rules: VisitRules) -> list[tuple[str, str, str]]:
    """(code, label, css class) for every mark a visit carries: the flags, then 离线补传."""
    out = [(code, FLAGS[code], "bad") for code in FLAGS if code in (visit.flags or [])]
    if is_offline(visit, rules):
        out.append(("offline", OFFLINE_LABEL, "info"))
    return out


def compute_flags(visit: Visit, rules: VisitRules) -> list[str]:
    """The visit's flag codes as they would be computed now (the evidence: visit_flags.compute)."""
    return list(visit_flags.compute(visit, rules))


def refresh_flags(visit: Visit, rules: VisitRules, neighbours_too: bool = False) -> None:
    """Recompute and store flags and evidence; neighbours_too: also the visits it is compared with."""
    visit_flags.refresh(visit, rules, around=neighbours_too)


# --- recording ---------------------------------------------------------------------------------

def content_hash(data: dict[str, Any]) -> str:
    """sha256 of the request's content in a canonical form (key order, time zone, list order
    do not matter): the same visit sent twice hashes the same."""
    canon = {
        "household_id": data["household_id"],
        "checked_in_at": data["checked_in_at"].astimezone(timezone.utc).isoformat(),
        "latitude": float(data["latitude"]),
        "longitude": float(data["longitude"]),
        "accuracy_m": float(data["accuracy_m"]),
        "notes": data["notes"],
        "problems": data.get("problems") or "",
        "next_steps": data.get("next_steps") or "",
        "checklist": {k: {"ok": v.get("ok"), "note": v.get("note") or ""} for k, v in (data.get("checklist") or {}).items()},
        "measures_done": sorted(set(data.get("measures_done") or [])),
        "subsidies": sorted((s["member_id"], s["item"], s["answer"]) for s in data.get("subsidies") or []),
        "confirm_location": bool(data.get("confirm_location")),
    }
    if (data.get("reason") or "").strip():  # absent from older visits' hashes
        canon["reason"] = data["reason"].strip()
    raw = json.dumps(canon, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Recorded:
    visit: Visit
    created: bool
    household_location_set: bool = False


def _replay(existing: Visit, user: User, digest: str) -> Recorded:
    if existing.helper_id != user.id:
        raise Conflict("这个 client_uuid 已被另一条记录使用。", field="client_uuid")
    if existing.content_hash != digest:
        raise Conflict("同一 client_uuid 已提交过内容不同的走访记录，未作修改。", field="client_uuid")
    return Recorded(existing, created=False)


def by_uuid(client_uuid: str) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))


def check_time(checked_in_at: datetime, now: datetime, rules: VisitRules) -> None:
    if checked_in_at > now + timedelta(minutes=rules.future_skew_minutes):
        raise ValidationFailed("签到时间在将来：请检查手机的日期和时间。", field="checked_in_at")
    if checked_in_at < now - timedelta(days=rules.offline_window_days):
        raise ValidationFailed(f"签到时间早于 {rules.offline_window_days} 天前，超出离线补传期限。", field="checked_in_at")


def _check_subsidies(household: Household, answers: list[dict]) -> None:
    if not answers:
        return
    students = {m.id: m for m in household.members if m.education_stage}
    errors = []
    seen = set()
    for a in answers:
        member = students.get(a["member_id"])
        if member is None:
            errors.append(f"成员 {a['member_id']} 不是这户的在读学生。")
        elif a["item"] not in subsidies.codes_for(member.education_stage):
            errors.append(f"「{a['item']}」不是{member.education_stage}学生的资助项目。")
        key = (a["member_id"], a["item"])
        if key in seen:
            errors.append(f"成员 {a['member_id']} 的「{a['item']}」重复。")
        seen.add(key)
    if errors:
        raise ValidationFailed("资助项目有误。", errors={"subsidies": errors})


def record(user: User, data: dict[str, Any], rules: VisitRules, now: datetime | None = None) -> Recorded:
    """Store a visit sent by a helper's phone (data as validated by schemas.visits.VisitIn).

    Must be the first write of its transaction: when the same client_uuid is inserted at the same
    moment on another connection, the transaction is rolled back and the stored visit answered.
    """
    client_uuid = str(data["client_uuid"])
    digest = content_hash(data)
    existing = by_uuid(client_uuid)
    if existing is not None:
        return _replay(existing, user, digest)
    household = access.visitable_household(user, data["household_id"])
    now = now or now_utc()
    check_time(data["checked_in_at"], now, rules)
    # VISIT_DAILY_MAX visits and VISIT_DAILY_TEXT_MAX characters per helper per local day
    visit_caps.check(user.id, data, rules.daily_max, rules.daily_text_max)
    measures.check_ids(household.id, data.get("measures_done") or [])
    _check_subsidies(household, data.get("subsidies") or [])
    checklist = {code: {"ok": ans.get("ok"), "note": (ans.get("note") or "").strip()}
                 for code, ans in (data.get("checklist") or {}).items()}
    visit = Visit(
        client_uuid=client_uuid, household_id=household.id, helper_id=user.id,
        checked_in_at=data["checked_in_at"], received_at=now,
        latitude=data["latitude"], longitude=data["longitude"], accuracy_m=data["accuracy_m"],
        notes=data["notes"].strip(), problems=(data.get("problems") or "").strip(),
        next_steps=(data.get("next_steps") or "").strip(), checklist=checklist, flags=[], content_hash=digest,
        review_status=ReviewStatus.PENDING, reason=(data.get("reason") or "").strip() or None,
    )
    locate = (not household.has_location and data.get("confirm_location")
              and visit.accuracy_m <= rules.gps_accuracy_flag_m)
    if household.has_location or locate:
        target = (household.latitude, household.longitude) if household.has_location else (visit.latitude, visit.longitude)
        visit.distance_m = geo.haversine_m(visit.latitude, visit.longitude, *target)
        visit.within_geofence = visit.distance_m <= geofence_m(household, rules)
    db.session.add(visit)
    try:
        db.session.flush()
    except IntegrityError:
        # the same uuid arrived at the same moment on another connection: answer what it stored
        db.session.rollback()
        existing = by_uuid(client_uuid)
        if existing is None:
            raise
        return _replay(existing, user, digest)

    if locate:
        household.latitude, household.longitude = visit.latitude, visit.longitude
        household.location_source = "visit"
        audit.record(user, "household.locate", "household", household.id, visit_id=visit.id,
                     latitude=visit.latitude, longitude=visit.longitude, accuracy_m=visit.accuracy_m)
    ticked = measures.tick(visit, data.get("measures_done") or [], visit.checked_in_at)
    answers = [SubsidyAnswer(visit_id=visit.id, member_id=a["member_id"], item=a["item"], answer=a["answer"])
               for a in data.get("subsidies") or []]
    db.session.add_all(answers)
    policy_problems.open_from_visit(visit, answers, checklist, rules)  # 未享受 / 否 open a problem
    # a new visit has no photos, and these collections are exactly what was just written:
    # no need to ask the database for them again
    set_committed_value(visit, "photos", [])
    set_committed_value(visit, "amendments", [])
    set_committed_value(visit, "measures_done", ticked)
    set_committed_value(visit, "subsidy_answers", answers)
    refresh_flags(visit, rules, neighbours_too=True)
    db.session.flush()
    return Recorded(visit, created=True, household_location_set=bool(locate))


# --- reading -----------------------------------------------------------------------------------

def _with_photos(q):
    return q.options(selectinload(Visit.photos), selectinload(Visit.measures_done), selectinload(Visit.helper),
                     selectinload(Visit.signature))


def history(user: User, household_id: int, limit: int = 50) -> list[Visit]:
    """The household's visits the user may see, newest first, with their photos."""
    q = access.visits(user).where(Visit.household_id == household_id)
    return list(db.session.scalars(_with_photos(q).order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(limit)))


@dataclass
class MonthRow:
    household: Household
    visits: int
    last: datetime | None
    paired: bool


def helper_month(helper: User, year: int, month: int, viewer: User | None = None) -> tuple[list[MonthRow], list[Visit]]:
    """The helper's month: every current household (and any other visited that month) with its
    visit count, and the month's visits newest first. A viewer other than the helper sees only the
    visits and households they may see anyway (access.helper_visits: a first secretary their village's)."""
    start, end = month_utc_range(year, month)
    base = select(Visit).where(Visit.helper_id == helper.id) if viewer is None else access.helper_visits(viewer, helper)
    visits = list(db.session.scalars(_with_photos(
        base.where(Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .options(selectinload(Visit.household))
    ).order_by(Visit.checked_in_at.desc(), Visit.id.desc())))
    seen = None if viewer is None else access.helper_households(viewer, helper)
    current = list(db.session.scalars(
        select(Household).join(Pairing, Pairing.household_id == Household.id)
        .where(Pairing.helper_id == helper.id, Pairing.end_date.is_(None))
        .where(*([] if seen is None else [Household.id.in_(seen)])).order_by(Household.head_name, Household.id)
    ))
    counts: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for v in visits:
        counts[v.household_id] = counts.get(v.household_id, 0) + 1
        last.setdefault(v.household_id, v.checked_in_at)
    rows = [MonthRow(h, counts.get(h.id, 0), last.get(h.id), True) for h in current]
    seen = {h.id for h in current}
    for v in visits:
        if v.household_id not in seen:
            seen.add(v.household_id)
            rows.append(MonthRow(v.household, counts[v.household_id], last[v.household_id], False))
    return rows, visits


def last_visits(helper_id: int) -> dict[int, datetime]:
    """household id → the helper's last check-in there."""
    return dict(db.session.execute(
        select(Visit.household_id, func.max(Visit.checked_in_at)).where(Visit.helper_id == helper_id)
        .group_by(Visit.household_id)
    ).all())


def students(household: Household, rules: VisitRules) -> list[tuple[Member, tuple[subsidies.Item, ...]]]:
    return [(m, subsidies.items_for(m.education_stage, rules.new_student_allowance))
            for m in household.members if m.education_stage]
