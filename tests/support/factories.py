"""Builders for test data, through the models (no mocks)."""
from dataclasses import dataclass, field
from datetime import date

from webapp.extensions import db
from webapp.models import Household, Member, Pairing, Unit, User, Village
from webapp.models.identity import id_check_char

PASSWORD = "password-123"
_HASH: dict[str, str] = {}


def _password_hash() -> str:
    """One real hash, reused: hashing is deliberately slow and tests make many users."""
    if "h" not in _HASH:
        from werkzeug.security import generate_password_hash

        _HASH["h"] = generate_password_hash(PASSWORD)
    return _HASH["h"]
_seq = {"id": 0}


def citizen_id(born: str = "19700101") -> str:
    """A valid ID number, never one ending in 000 (the roster import asks the office to confirm
    those: Excel may have cut them)."""
    while True:
        _seq["id"] += 1
        first17 = f"422801{born}{_seq['id'] % 1000:03d}"
        cid = first17 + id_check_char(first17)
        if not cid.endswith("000"):
            return cid


def unit(name: str = "测试乡") -> Unit:
    u = Unit(name=name)
    db.session.add(u)
    db.session.flush()
    return u


def village(u: Unit, name: str, lat: float = 30.3, lng: float = 109.5) -> Village:
    v = Village(unit_id=u.id, name=name, latitude=lat, longitude=lng)
    db.session.add(v)
    db.session.flush()
    return v


def user(u: Unit, username: str, role: str = "helper", v: Village | None = None, name: str | None = None) -> User:
    person = User(username=username, display_name=name or username, role=role, unit_id=u.id,
                  village_id=v.id if v else None)
    person.password_hash = _password_hash()
    db.session.add(person)
    db.session.flush()
    return person


def household(v: Village, head: str, lat: float | None = None, lng: float | None = None, **kw) -> Household:
    hh = Household(village_id=v.id, head_name=head, citizen_id=kw.pop("citizen_id", None) or citizen_id(),
                   size=kw.pop("size", 3), poverty_cause=kw.pop("poverty_cause", "因病"),
                   status=kw.pop("status", "未脱贫"), latitude=lat, longitude=lng, **kw)
    db.session.add(hh)
    db.session.flush()
    return hh


def member(hh: Household, name: str, stage: str | None = None, relation: str = "子女", born: date | None = None) -> Member:
    m = Member(household_id=hh.id, name=name, relation=relation, education_stage=stage, birth_date=born)
    db.session.add(m)
    db.session.flush()
    return m


def pair(helper: User, hh: Household, start: date = date(2024, 1, 1), end: date | None = None) -> Pairing:
    p = Pairing(helper_id=helper.id, household_id=hh.id, start_date=start, end_date=end, reason="测试结对")
    db.session.add(p)
    db.session.flush()
    return p


@dataclass
class World:
    objects: dict = field(default_factory=dict)

    def ids(self) -> dict[str, int]:
        return {k: v.id for k, v in self.objects.items()}


def world() -> World:
    """Unit 测试乡; villages v1 (东村) and v2 (西村); in each a first secretary and a team member;
    helpers h1, h2 (v1) and h3 (v2); households hh1..hh6: h1 has hh1, hh2; h2 has hh3; h3 has hh4, hh5;
    hh6 in v1 is unpaired. An office admin 'admin'; another unit's admin 'admin_x'."""
    u = unit()
    v1 = village(u, "东村", 30.30, 109.50)
    v2 = village(u, "西村", 30.40, 109.60)
    o = {"unit": u, "v1": v1, "v2": v2}
    o["admin"] = user(u, "admin", "office_admin", name="管理员")
    o["sec1"] = user(u, "sec1", "first_secretary", v1, "书记一")
    o["team1"] = user(u, "team1", "team_member", v1, "队员一")
    o["sec2"] = user(u, "sec2", "first_secretary", v2, "书记二")
    o["team2"] = user(u, "team2", "team_member", v2, "队员二")
    o["h1"] = user(u, "h1", "helper", name="帮扶一")
    o["h2"] = user(u, "h2", "helper", name="帮扶二")
    o["h3"] = user(u, "h3", "helper", name="帮扶三")
    o["hh1"] = household(v1, "张一", 30.301, 109.501)
    o["hh2"] = household(v1, "张二", 30.302, 109.502)
    o["hh3"] = household(v1, "张三", 30.303, 109.503)
    o["hh4"] = household(v2, "李四", 30.401, 109.601)
    o["hh5"] = household(v2, "李五")
    o["hh6"] = household(v1, "王六", 30.304, 109.504)
    for helper, hh in (("h1", "hh1"), ("h1", "hh2"), ("h2", "hh3"), ("h3", "hh4"), ("h3", "hh5")):
        pair(o[helper], o[hh])
    other = unit("别的乡")
    o["unit_x"] = other
    o["vx"] = village(other, "外村")
    o["admin_x"] = user(other, "admin_x", "office_admin")
    return World(o)


def second_unit(w: World) -> World:
    """world()'s other unit 别的乡 made a whole township (isolation between units): beside
    its office admin admin_x and village 外村 (vx), a first secretary sec_x and a team member team_x
    in vx, a helper h_x paired with household hhx1 (赵外) of vx. Names differ from unit 1's, so a
    page that shows unit 1's names to these people is caught."""
    o = w.objects
    o["sec_x"] = user(o["unit_x"], "sec_x", "first_secretary", o["vx"], "外书记")
    o["team_x"] = user(o["unit_x"], "team_x", "team_member", o["vx"], "外队员")
    o["h_x"] = user(o["unit_x"], "h_x", "helper", name="外帮扶")
    o["hhx1"] = household(o["vx"], "赵外", 30.5, 109.7)
    pair(o["h_x"], o["hhx1"])
    return w


def counties(w: World) -> World:
    """Counties above world()'s townships: 测试县 over 测试乡 with its county admin 'county',
    别的县 over 别的乡 with 'county_x' (another county: sees nothing of 测试乡)."""
    o = w.objects
    for key, name, township in (("county", "测试县", "unit"), ("county_x", "别的县", "unit_x")):
        c = Unit(name=name, kind="county")
        db.session.add(c)
        db.session.flush()
        o[township].parent_id = c.id
        o[f"{key}_unit"] = c
        o[key] = user(c, key, "county_admin", name="县" + ("一" if key == "county" else "外"))
    return w


# --- visits, photos, check-ins, leave, closed months (printed documents) ---

def thumb_jpeg(seed: int = 0, size: tuple[int, int] = (320, 240)) -> bytes:
    """A real small JPEG (coloured blocks), like a stored thumbnail."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(90), y + rng.randrange(70)], fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=75)
    return out.getvalue()


def visit_row(helper_id: int, household_id: int, at, notes: str = "了解家庭情况。", **kw):
    """A Visit row written directly (no API), `at` an aware datetime."""
    import uuid

    from webapp.models import Visit

    v = Visit(client_uuid=str(uuid.uuid4()), household_id=household_id, helper_id=helper_id, checked_in_at=at,
              latitude=kw.pop("latitude", 30.301), longitude=kw.pop("longitude", 109.501),
              accuracy_m=kw.pop("accuracy_m", 15.0), distance_m=kw.pop("distance_m", 42.0),
              within_geofence=kw.pop("within_geofence", True), notes=notes, content_hash=kw.pop("content_hash", "0" * 64),
              **kw)
    db.session.add(v)
    db.session.flush()
    return v


def photo_row(visit, seed: int = 0, thumb: bytes | None = None):
    """A Photo row with its thumbnail (and a stand-in original) in the app's photo storage."""
    import hashlib
    import uuid

    from webapp.models import Photo
    from webapp.services import storage

    data = thumb if thumb is not None else thumb_jpeg(seed)
    hex_ = uuid.uuid4().hex
    image_key, thumb_key = storage.new_key("photos", hex_), storage.new_key("thumbs", hex_)
    store = storage.get()
    store.put(image_key, data)
    store.put(thumb_key, data)
    p = Photo(client_uuid=str(uuid.uuid4()), visit_id=visit.id, sha256=hashlib.sha256(data + hex_.encode()).hexdigest(),
              storage_key=image_key, thumb_key=thumb_key, width=320, height=240, size_bytes=len(data))
    db.session.add(p)
    db.session.flush()
    return p


def checkin_row(user_id: int, village_id: int, at, inside: bool = True):
    import uuid

    from webapp.models import Checkin

    c = Checkin(client_uuid=str(uuid.uuid4()), user_id=user_id, village_id=village_id, checked_in_at=at,
                latitude=30.3, longitude=109.5, accuracy_m=10.0, distance_m=50.0 if inside else 5000.0,
                within_geofence=inside, content_hash="0" * 64)
    db.session.add(c)
    db.session.flush()
    return c


def leave_row(user_id: int, start: date, end: date, status: str = "approved", kind: str = "事假"):
    from webapp.models import Leave

    lv = Leave(user_id=user_id, start_date=start, end_date=end, kind=kind, reason="测试请假", status=status)
    db.session.add(lv)
    db.session.flush()
    return lv


def month_result(unit_id: int, helper_id: int, month: str, score: float, rating: str, data: dict | None = None):
    """A closed month with one helper's result snapshot."""
    from sqlalchemy import select

    from webapp.models import MonthClosure, MonthResult

    closure = db.session.scalar(select(MonthClosure).where(MonthClosure.unit_id == unit_id, MonthClosure.month == month))
    if closure is None:
        closure = MonthClosure(unit_id=unit_id, month=month, closed=True)
        db.session.add(closure)
        db.session.flush()
    r = MonthResult(closure_id=closure.id, helper_id=helper_id, score=score, rating=rating, data=data or {})
    db.session.add(r)
    db.session.flush()
    return r


def diary_batch(app, admin_id: int, month: str, status: str = "queued", done: int = 0, total: int = 3) -> int:
    """A print job for every diary of 测试乡's month (PDF), stored in its own app context: its id."""
    from webapp.models import PrintJob

    with app.app_context():
        job = PrintJob(kind="diaries", requested_by_id=admin_id, status=status, done=done, total=total,
                       params={"month": month, "format": "pdf", "village_id": None, "village_name": None,
                               "unit_name": "测试乡", "helper_ids": []})
        db.session.add(job)
        db.session.commit()
        return job.id


def county_ids(app) -> dict:
    """The world, a second township and the county above both, committed in its own app context: the ids."""
    with app.app_context():
        w = counties(second_unit(world()))
        db.session.commit()
        ids = w.ids()
        db.session.remove()
    return ids
