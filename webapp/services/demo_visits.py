"""Demo visits for seed-demo: two months of visits with generated photos, measures, checklists and
subsidy answers, a few of them deliberately flagged, so a newcomer sees a lived-in app.

Rows are written directly (the API's time window would refuse last month's check-ins), but
distances, flags and photos go through the same code as real visits.
"""
from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import insert, select

from ..extensions import db
from ..models import (
    Household,
    Measure,
    MeasureStatus,
    Pairing,
    Photo,
    PhotoHashBand,
    ReviewStatus,
    Role,
    SubsidyAnswer,
    User,
    Visit,
)
from . import demo_pictures, geo, phash, photo_index, photos, storage, subsidies, visit_flags, visits
from .calendar import local_today, tz
from .rules import VisitRules

NOTES = (
    "入户了解家庭收支情况，宣讲产业奖补政策。",
    "查看春耕备耕情况，帮助联系化肥和种苗。",
    "了解孩子在校情况，核实教育资助落实。",
    "走访慰问，了解老人身体状况，提醒按时服药。",
    "核实家庭务工收入，登记就业意向。",
    "检查住房安全情况，屋顶和墙体无明显隐患。",
    "帮助填写医保报销材料，讲解大病保险政策。",
    "了解养殖情况，鸡苗长势良好，联系收购商。",
    "宣传防止返贫监测政策，核对家庭人口信息。",
    "查看饮水设施，水管冬季防冻情况良好。",
)
PROBLEMS = ("", "", "", "屋后排水沟堵塞。", "老人慢性病用药费用较高。", "孩子上学路途较远。", "缺少养殖技术。")
NEXT = ("", "", "下月回访核实。", "联系村医上门随访。", "协助申请产业奖补。", "推荐参加县里的技能培训。")
MEASURES = (
    ("产业", "发放鸡苗 50 只并指导养殖"), ("产业", "申请产业发展奖补"), ("就业", "推荐到县城工业园务工"),
    ("就业", "参加电工技能培训"), ("教育", "落实雨露计划补助"), ("教育", "核实营养改善计划"),
    ("健康", "办理慢性病卡"), ("健康", "家庭医生签约随访"), ("兜底", "申报低保"), ("住房/搬迁", "危房改造验收"),
)


def _picture(rng: random.Random, label: str) -> bytes:
    """A scene (sky, hills, houses, trees, a label) as a phone would send it: every one different,
    as photos of different households are (demo_pictures.py)."""
    return demo_pictures.jpeg(rng.randrange(1 << 30), (400, 300), quality=80, label=label)


def _store_photo(visit: Visit, data: bytes, captured: datetime, rules: VisitRules) -> Photo:
    done = photos.process(data, rules.photo)
    hashes = phash.from_bytes(done.thumb)
    unit_id = visit.helper.unit_id
    matches = photos.similar(unit_id, visit.id, done.sha256, hashes, rules.duplicate_max_bits)
    image_key, thumb_key = photos.new_keys()
    store = storage.get(fsync=False)
    store.put(image_key, done.image)
    store.put(thumb_key, done.thumb)
    photo = Photo(client_uuid=str(uuid.uuid4()), visit_id=visit.id, sha256=done.sha256, storage_key=image_key,
                  thumb_key=thumb_key, width=done.width, height=done.height, size_bytes=len(done.image),
                  captured_at=captured, received_at=visit.received_at, phash=phash.to_hex(hashes["full"]))
    db.session.add(photo)
    db.session.flush()
    db.session.execute(insert(PhotoHashBand), photo_index.all_rows(unit_id, photo.id, hashes))
    photos.flag_photo(photo, matches, rules)
    return photo


def _offset(lat: float, lng: float, metres: float, rng: random.Random) -> tuple[float, float]:
    """A point about `metres` away in a random direction."""
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / 111_195
    dlng = metres * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def _day_in(rng: random.Random, first: date, last: date) -> date:
    """A day in [first, last], Saturdays (扶贫日) twice as likely."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [2 if d.weekday() == 5 else 1 for d in days]
    return rng.choices(days, weights)[0]


def seed(rules: VisitRules, rng: random.Random | None = None) -> dict[str, int]:
    """Visits for every helper's households over last month and this month (up to today)."""
    rng = rng or random.Random(2026)
    today = local_today()
    now = datetime.now(timezone.utc)
    first_this = today.replace(day=1)
    first_prev = (first_this - timedelta(days=1)).replace(day=1)
    months = [(first_prev, first_this - timedelta(days=1), (1, 2)), (first_this, today, (0, 2))]

    pairs = db.session.execute(
        select(User, Household).join(Pairing, Pairing.helper_id == User.id)
        .join(Household, Household.id == Pairing.household_id)
        .where(Pairing.end_date.is_(None)).order_by(User.id, Household.id)
    ).all()
    plan: dict[int, list[Measure]] = {}
    for helper, hh in pairs:
        for category, title in rng.sample(MEASURES, rng.randrange(2, 4)):
            m = Measure(household_id=hh.id, category=category, title=title, status=MeasureStatus.PLANNED, created_by_id=helper.id,
                        due_date=today + timedelta(days=rng.randrange(-20, 90)),
                        created_at=datetime.combine(first_prev, time(9), tz()).astimezone(timezone.utc))
            db.session.add(m)
            plan.setdefault(hh.id, []).append(m)
    db.session.flush()

    made: list[Visit] = []
    pictures: dict[int, bytes] = {}
    n_photos = 0
    for helper, hh in pairs:
        for first, last, (lo, hi) in months:
            for _ in range(rng.randint(lo, hi)):
                day = _day_in(rng, first, last)
                at_local = datetime.combine(day, time(rng.randrange(8, 17), rng.randrange(60)), tz())
                at = at_local.astimezone(timezone.utc)
                if at > now - timedelta(minutes=30):
                    continue
                base = (hh.latitude, hh.longitude) if hh.has_location else (hh.village.latitude, hh.village.longitude)
                lat, lng = _offset(base[0], base[1], rng.uniform(5, 120), rng)
                accuracy = round(rng.uniform(5, 40), 1)
                received = at + timedelta(minutes=rng.randrange(1, 20))
                if rng.random() < 0.12:  # sent later from the outbox: 离线补传
                    received = min(at + timedelta(hours=rng.uniform(2, 30)), now)
                student = next((m for m in hh.members if m.education_stage), None)
                checklist = {code: {"ok": rng.random() > 0.08, "note": ""} for code in visits.CHECKLIST_CODES}
                if student is None:
                    checklist["education"] = {"ok": True, "note": "家中无义务教育阶段学生"}
                v = Visit(
                    client_uuid=str(uuid.uuid4()), household_id=hh.id, helper_id=helper.id, checked_in_at=at,
                    received_at=received, latitude=lat, longitude=lng, accuracy_m=accuracy,
                    notes=rng.choice(NOTES), problems=rng.choice(PROBLEMS), next_steps=rng.choice(NEXT),
                    checklist=checklist, flags=[], content_hash="",
                )
                if hh.has_location:
                    v.distance_m = geo.haversine_m(lat, lng, hh.latitude, hh.longitude)
                    v.within_geofence = v.distance_m <= visits.geofence_m(hh, rules)
                db.session.add(v)
                db.session.flush()
                open_measures = [m for m in plan.get(hh.id, []) if m.status == MeasureStatus.PLANNED]
                if open_measures and rng.random() < 0.35:
                    m = rng.choice(open_measures)
                    m.status, m.done_visit_id, m.done_at = MeasureStatus.DONE, v.id, at
                if student is not None:
                    for item in subsidies.items_for(student.education_stage, rules.new_student_allowance):
                        db.session.add(SubsidyAnswer(visit_id=v.id, member_id=student.id, item=item.code,
                                                     answer=rng.choices(subsidies.ANSWERS, (8, 1, 1))[0]))
                for k in range(rng.choices((1, 2), (3, 1))[0]):
                    data = _picture(rng, f"household {hh.id}  {day:%Y-%m-%d}  #{k + 1}")
                    pictures.setdefault(v.id, data)
                    _store_photo(v, data, at + timedelta(minutes=k + 1), rules)
                    n_photos += 1
                made.append(v)
    db.session.flush()

    # a few deliberately implausible visits, for the badges and the first secretary's review
    by_helper: dict[int, list[Visit]] = {}
    for v in made:
        by_helper.setdefault(v.helper_id, []).append(v)
    helpers = sorted(by_helper)
    if len(helpers) >= 5:
        far = by_helper[helpers[0]][0]  # checked in 3–5 km from the household
        lat, lng = _offset(far.latitude, far.longitude, rng.uniform(3000, 5000), rng)
        far.latitude, far.longitude = lat, lng
        if far.household.has_location:
            far.distance_m = geo.haversine_m(lat, lng, far.household.latitude, far.household.longitude)
            far.within_geofence = False
        by_helper[helpers[1]][0].accuracy_m = 350.0  # a weak GPS fix
        reused = by_helper[helpers[2]]  # the same photo on two visits
        if len(reused) >= 2:
            _store_photo(reused[-1], pictures[reused[0].id], reused[-1].checked_in_at, rules)
        late = by_helper[helpers[3]][-1]  # entered four days after the check-in
        late.received_at = min(late.checked_in_at + timedelta(days=4), now)
        jump = by_helper[helpers[4]]  # two places 4 km apart one minute apart
        if len(jump) >= 2:
            a, b = jump[0], jump[1]
            b.checked_in_at = a.checked_in_at + timedelta(minutes=1)
            b.received_at = b.checked_in_at + timedelta(minutes=5)
            b.latitude, b.longitude = _offset(a.latitude, a.longitude, 4000, rng)
            for p in b.photos:
                p.captured_at = b.checked_in_at
            if b.household.has_location:
                b.distance_m = geo.haversine_m(b.latitude, b.longitude, b.household.latitude, b.household.longitude)
                b.within_geofence = b.distance_m <= visits.geofence_m(b.household, rules)
    db.session.flush()
    for v in made:
        v.content_hash = visits.content_hash({
            "household_id": v.household_id, "checked_in_at": v.checked_in_at, "latitude": v.latitude,
            "longitude": v.longitude, "accuracy_m": v.accuracy_m, "notes": v.notes, "problems": v.problems,
            "next_steps": v.next_steps, "checklist": v.checklist, "measures_done": [], "subsidies": [],
        })
    db.session.flush()
    if len(helpers) >= 9:
        _settled_examples(rng, [by_helper[h] for h in helpers[5:]], now, rules)
    for v in made:
        visit_flags.store(v, visit_flags.compute(v, rules))
    db.session.flush()
    if len(helpers) >= 9:
        _review_examples([by_helper[h] for h in helpers[7:9]], now, rules)
    return {"visits": len(made), "photos": n_photos, "flagged": sum(1 for v in made if v.flags)}


def _settled_examples(rng: random.Random, groups: list[list[Visit]], now: datetime, rules: VisitRules) -> None:
    """同地多户 and 照片时间不符, one each."""
    photo_visits = groups[1]
    # three of a helper's households logged from the first one's doorstep within ten minutes
    chosen: list[Visit] = []
    for spot_visits in groups[4:]:  # helpers after the review examples (helpers[7:9])
        chosen = []
        for v in spot_visits:
            if v.household.has_location and v.household_id not in {c.household_id for c in chosen} and all(
                    geo.haversine_m(v.household.latitude, v.household.longitude, c.household.latitude,
                                    c.household.longitude) >= 600 for c in chosen):
                chosen.append(v)
        if len(chosen) >= 3:
            break
    if len(chosen) >= 3:
        base = chosen[0]
        for k, v in enumerate(chosen[1:3], start=1):
            v.checked_in_at = base.checked_in_at + timedelta(minutes=4 * k)
            v.received_at = v.checked_in_at + timedelta(minutes=2)
            v.latitude, v.longitude = _offset(base.latitude, base.longitude, rng.uniform(5, 30), rng)
            v.distance_m = geo.haversine_m(v.latitude, v.longitude, v.household.latitude, v.household.longitude)
            v.within_geofence = v.distance_m <= visits.geofence_m(v.household, rules)
            for p in v.photos:
                p.captured_at = v.checked_in_at
    # a photo taken a week before the check-in
    if photo_visits and photo_visits[0].photos:
        photo_visits[0].photos[0].captured_at = photo_visits[0].checked_in_at - timedelta(days=7, hours=3)


def _review_examples(groups: list[list[Visit]], now: datetime, rules: VisitRules) -> None:
    """A flagged visit accepted (已核实) and one returned and corrected by its helper."""
    from ..models import VisitAmendment

    for v, how in ((groups[0][0], "verified"), (groups[1][0], "amended")):
        sec = db.session.scalar(select(User).where(User.role == Role.FIRST_SECRETARY,
                                                   User.village_id == v.household.village_id))
        if sec is None:
            continue
        if how == "verified":
            v.accuracy_m = 260.0  # a weak fix in the valley, explained and accepted
            visit_flags.store(v, visit_flags.compute(v, rules))
            v.verified_at, v.verified_by_id = min(v.received_at + timedelta(days=1), now), sec.id
            v.verify_note = "已电话联系户主，确认当天入户；山谷里信号差。"
            v.review_status, v.reviewed_by_id, v.reviewed_at = ReviewStatus.REVIEWED, sec.id, v.verified_at
        else:
            comment = "走访内容太简单，请补充家庭收入和孩子上学的情况。"
            v.review_status, v.review_comment = ReviewStatus.FIXED, comment
            v.reviewed_by_id, v.reviewed_at = sec.id, min(v.received_at + timedelta(hours=20), now)
            before = v.notes
            v.notes = before + "家庭年收入约 2.6 万元，孩子在乡中心小学读四年级，营养餐已落实。"
            db.session.add(VisitAmendment(
                client_uuid=str(uuid.uuid4()), visit_id=v.id, author_id=v.helper_id,
                created_at=min(v.reviewed_at + timedelta(hours=3), now), notes_before=before, notes_after=v.notes,
                reply="已补充收入和上学情况。", review_comment=comment, content_hash="0" * 64))
