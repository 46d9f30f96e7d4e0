"""Attendance through HTTP: the check-in API, the summary API, the pages and their access rules."""
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.models import Checkin, Leave, User, Visit
from webapp.services.calendar import now_utc

CST = timezone(timedelta(hours=8))


def local_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def body(**kw):
    out = {"client_uuid": str(uuid.uuid4()), "checked_in_at": now_utc().isoformat(),
           "latitude": 30.301, "longitude": 109.501, "accuracy_m": 15}
    out.update(kw)
    return out


def count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


# --- POST /api/v1/attendance -----------------------------------------------------------------

def test_checkin_api_creates_then_replays_then_conflicts(app, client, world):
    client.login("team1")
    payload = body()
    r = client.post("/api/v1/attendance", json=payload)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["within_geofence"] is True and 100 < first["distance_m"] < 200
    assert first["client_uuid"] == payload["client_uuid"] and first["village_id"] == world["v1"]
    for _ in range(4):
        again = client.post("/api/v1/attendance", json=payload)
        assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    clash = client.post("/api/v1/attendance", json={**payload, "accuracy_m": 99})
    assert clash.status_code == 409 and "client_uuid" in clash.get_json()["errors"]
    assert count(app, Checkin) == 1


def test_checkin_api_far_away_is_stored_outside(app, client, world):
    client.login("sec1")
    r = client.post("/api/v1/attendance", json=body(latitude=30.35, longitude=109.50))
    assert r.status_code == 201
    assert r.get_json()["within_geofence"] is False and r.get_json()["distance_m"] > 5000


@pytest.mark.parametrize("change", [
    {"latitude": 95}, {"longitude": 200}, {"accuracy_m": -3}, {"checked_in_at": "2026-05-06 08:00"},
    {"checked_in_at": "2026-05-06T08:00:00"},  # no offset
    {"checked_in_at": timedelta(minutes=10)},  # in the future: worked out when the test runs, not at collection
    {"checked_in_at": -timedelta(days=8)},
    {"client_uuid": "123"}, {"latitude": None},
])
def test_checkin_api_rejects_bad_input_and_stores_nothing(app, client, world, change):
    client.login("team1")
    change = {k: (now_utc() + v).isoformat() if isinstance(v, timedelta) else v for k, v in change.items()}
    r = client.post("/api/v1/attendance", json=body(**change))
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) & set(change)
    assert count(app, Checkin) == 0


def test_checkin_api_needs_json_login_csrf_and_a_team_role(app, client, world):
    assert client.post("/api/v1/attendance", json=body()).status_code == 401
    client.login("team1")
    assert client.post("/api/v1/attendance", data="not json").status_code == 422
    assert client.post("/api/v1/attendance", json=body(), csrf=False).status_code == 400
    client.post("/logout")
    client.login("h1")
    assert client.post("/api/v1/attendance", json=body()).status_code == 403
    assert count(app, Checkin) == 0


# --- GET /api/v1/attendance/summary ------------------------------------------------------------

@pytest.fixture
def may(app, world):
    """team1 posted since April: 3 days in the village in May (one with two check-ins), one outside,
    2 days of approved leave."""
    with app.app_context():
        team1 = db.session.get(User, world["team1"])
        team1.created_at = datetime(2026, 4, 1, tzinfo=CST)
        for d, lat in ((6, 30.30), (6, 30.30), (7, 30.30), (8, 30.30), (11, 30.40)):
            db.session.add(Checkin(client_uuid=str(uuid.uuid4()), user_id=team1.id, village_id=world["v1"],
                                   checked_in_at=datetime(2026, 5, d, 9, tzinfo=CST), latitude=lat, longitude=109.5,
                                   accuracy_m=10, distance_m=0 if lat == 30.30 else 11000,
                                   within_geofence=lat == 30.30, content_hash="x" * 64))
        db.session.add(Leave(user_id=team1.id, start_date=date(2026, 5, 12), end_date=date(2026, 5, 13),
                             kind="病假", reason="发烧", status="approved", approver_id=world["sec1"]))
        db.session.commit()


def test_summary_for_a_month(client, world, may):
    client.login("sec1")
    r = client.get(f"/api/v1/attendance/summary?village_id={world['v1']}&month=2026-05")
    assert r.status_code == 200
    data = r.get_json()
    assert data["period"] == "2026-05" and data["village_id"] == world["v1"]
    members = {m["username"]: m for m in data["members"]}
    assert set(members) == {"sec1", "team1"}
    t = members["team1"]
    assert {k: t[k] for k in ("username", "days_in_village", "checkins", "leave_days", "absent_days")} == {
        "username": "team1", "days_in_village": 3, "checkins": 5, "leave_days": 2, "absent_days": 19 - 3 - 2}
    # 5 check-ins, of which one is 11 km away and one a second on 6 May → 3 count
    assert t["checkins_counted"] == 3


def test_summary_for_a_quarter(client, world, may):
    client.login("admin")
    r = client.get(f"/api/v1/attendance/summary?village_id={world['v1']}&quarter=2026-Q2")
    assert r.status_code == 200
    t = {m["username"]: m for m in r.get_json()["members"]}["team1"]
    assert (t["days_in_village"], t["checkins"], t["leave_days"]) == (3, 5, 2)
    assert (t["checkins_counted"], t["quarter_checkins"], t["quarter_checkins_counted"]) == (3, 5, 3)
    assert r.get_json()["period"] == "2026-Q2"


def test_summary_access(client, make_client, world, may):
    url = f"/api/v1/attendance/summary?village_id={world['v1']}&month=2026-05"
    assert client.get(url).status_code == 401
    for username, status in (("sec2", 404), ("admin_x", 404), ("team1", 403), ("h1", 403), ("sec1", 200), ("admin", 200)):
        c = make_client()
        c.login(username)
        assert c.get(url).status_code == status, username
    c = make_client()
    c.login("sec1")  # a first secretary may leave the village out: their own
    assert c.get("/api/v1/attendance/summary?month=2026-05").get_json()["village_id"] == world["v1"]
    assert c.get(f"/api/v1/attendance/summary?village_id={world['v1']}&month=2026-5").status_code == 422
    assert c.get(f"/api/v1/attendance/summary?village_id={world['v1']}&quarter=2026-Q9").status_code == 422
    assert c.get("/api/v1/attendance/summary?village_id=abc").status_code == 422
    admin = make_client()
    admin.login("admin")
    assert admin.get("/api/v1/attendance/summary?month=2026-05").status_code == 422  # which village?


# --- pages ----------------------------------------------------------------------------------------

def test_checkin_page_for_the_team(client, world):
    client.login("team1")
    r = client.get("/attendance/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "驻村签到" in html and "js/checkin.js" in html
    assert 'data-url="/api/v1/attendance"' in html and "data-lat=" in html
    client.post("/api/v1/attendance", json=body())
    frag = client.get("/attendance/today", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "在村" in frag and "<html" not in frag


def test_checkin_page_is_for_team_roles_only(client, world):
    client.login("h1")
    assert client.get("/attendance/").status_code == 403
    assert client.get("/attendance/leave").status_code == 403


def test_leave_request_and_approval_through_the_pages(app, make_client, world):
    member, sec, other = make_client(), make_client(), make_client()
    member.login("team1")
    sec.login("sec1")
    other.login("sec2")
    start = local_today() + timedelta(days=7)
    form = {"kind": "事假", "start_date": start.isoformat(), "end_date": start.isoformat(), "start_half": "1",
            "end_half": "0", "reason": "孩子家长会"}
    bad = member.post("/attendance/leave", data={**form, "reason": ""})
    assert bad.status_code == 422 and "请填写请假事由" in bad.get_data(as_text=True)
    ok = member.post("/attendance/leave", data=form, headers={"HX-Request": "true"})
    assert ok.status_code == 200 and "已提交" in ok.get_data(as_text=True)
    with app.app_context():
        lv = db.session.scalar(db.select(Leave))
        assert (lv.status, lv.start_half) == ("pending", True)
        leave_id = lv.id
    assert "孩子家长会" in sec.get("/attendance/approvals").get_data(as_text=True)
    assert "孩子家长会" not in other.get("/attendance/approvals").get_data(as_text=True)
    assert other.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve"}).status_code == 404
    assert member.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve"}).status_code == 403
    no_reason = sec.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "reject"}, headers={"HX-Request": "true"})
    assert no_reason.status_code == 200 and "请写明不批准的理由" in no_reason.get_data(as_text=True)
    done = sec.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve", "comment": "同意"},
                    headers={"HX-Request": "true"})
    assert done.status_code == 200 and "已批准" in done.get_data(as_text=True)
    again = sec.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve"}, headers={"HX-Request": "true"})
    assert "不能再审批" in again.get_data(as_text=True)
    page = member.get("/attendance/leave").get_data(as_text=True)
    assert "已批准" in page and "同意" in page and "撤销" in page  # not started: may still withdraw


def test_a_first_secretarys_leave_is_approved_by_the_office_admin(app, make_client, world):
    sec, admin = make_client(), make_client()
    sec.login("sec1")
    admin.login("admin")
    d = (local_today() + timedelta(days=3)).isoformat()
    sec.post("/attendance/leave", data={"kind": "公假", "start_date": d, "end_date": d, "reason": "县委组织部培训"})
    with app.app_context():
        leave_id = db.session.scalar(db.select(Leave.id))
    assert "县委组织部培训" not in sec.get("/attendance/approvals").get_data(as_text=True)
    assert sec.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve"}).status_code == 403
    assert "县委组织部培训" in admin.get("/attendance/approvals").get_data(as_text=True)
    r = admin.post(f"/attendance/leave/{leave_id}/decide", data={"decision": "approve"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Leave, leave_id).status == "approved"


def test_team_table_and_calendar(client, make_client, world, may):
    client.login("sec1")
    page = client.get("/village/team?month=2026-05")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2026年5月" in html and 'data-username="team1"' in html
    frag = client.get("/village/team?quarter=2026-Q2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2026年第2季度" in frag and "<html" not in frag
    cal = client.get(f"/village/team/{world['team1']}/calendar?month=2026-05").get_data(as_text=True)
    assert 'data-date="2026-05-06" data-status="in"' in cal
    assert 'data-date="2026-05-12" data-status="leave"' in cal
    assert 'data-date="2026-05-11" data-status="absent"' in cal  # checked in outside the geofence
    assert 'data-date="2026-05-16" data-status="rest"' in cal
    for username, status in (("sec2", 404), ("admin_x", 404), ("team1", 403), ("h1", 403)):
        c = make_client()
        c.login(username)
        assert c.get(f"/village/team/{world['team1']}/calendar?month=2026-05").status_code == status, username
    sec2 = make_client()
    sec2.login("sec2")
    assert sec2.get(f"/village/team?village_id={world['v1']}").status_code == 404
    admin = make_client()
    admin.login("admin")
    assert admin.get(f"/village/team?village_id={world['v1']}&month=2026-05").status_code == 200


def test_my_calendar(client, world, may):
    client.login("team1")
    html = client.get("/attendance/calendar?month=2026-05").get_data(as_text=True)
    assert 'data-date="2026-05-07" data-status="in"' in html and 'data-total="leave_days">2<' in html
    # every check-in and those counted, with the rule (a local choice)
    assert 'data-total="checkins">5' in html and 'data-total="checkins_counted">3<' in html
    assert "每天最多计 1 次" in html and "本地设置，可配置" in html


def test_team_page_shows_counted_checkins(client, world, may):
    client.login("sec1")
    html = client.get(f"/village/team?village_id={world['v1']}&month=2026-05").get_data(as_text=True)
    assert '<small data-col="checkins_counted">计入3</small>' in html


# --- visit review ------------------------------------------------------------------------------------

@pytest.fixture
def visits(app, world):
    with app.app_context():
        out = {}
        for name, hh, helper, flags in (("plain", "hh1", "h1", []), ("flagged", "hh3", "h2", ["outside_geofence"]),
                                        ("other_village", "hh4", "h3", [])):
            v = Visit(client_uuid=str(uuid.uuid4()), household_id=world[hh], helper_id=world[helper],
                      checked_in_at=now_utc() - timedelta(minutes=5), latitude=30.3, longitude=109.5, accuracy_m=10,
                      notes=f"走访记录 {name}", flags=flags, content_hash="0" * 64)
            db.session.add(v)
            db.session.flush()
            out[name] = v.id
        db.session.commit()
        return out


def test_helpers_work_and_review_flow(app, make_client, world, visits):
    sec, helper, sec2 = make_client(), make_client(), make_client()
    sec.login("sec1")
    helper.login("h2")
    sec2.login("sec2")
    html = sec.get("/village/helpers").get_data(as_text=True)
    assert "走访记录 flagged" in html and "走访记录 plain" in html and "走访记录 other_village" not in html
    assert 'data-flag="outside_geofence"' in html and "超出范围" in html
    assert "张二" in html  # h1 has not visited 张二 this month
    # the reviewer can confirm a fake visit (004 第九条(四)2)
    assert f"/performance/visits/{visits['plain']}/fake" in html
    assert sec2.post(f"/performance/visits/{visits['plain']}/fake", data={"fake_note": "假"}).status_code == 404
    assert sec.post(f"/performance/visits/{visits['plain']}/fake", data={"fake_note": "户主称无人来过"}).status_code == 302
    html = sec.get("/village/helpers").get_data(as_text=True)
    assert "已确认弄虚作假" in html and f"/performance/visits/{visits['plain']}/fake" not in html
    url = f"/village/visits/{visits['flagged']}/review"
    assert sec2.post(url, data={"action": "reviewed"}).status_code == 404
    missing = sec.post(url, data={"action": "returned", "comment": ""}, headers={"HX-Request": "true"})
    assert "退回整改时请写明" in missing.get_data(as_text=True)
    back = sec.post(url, data={"action": "returned", "comment": "请补充户主签字照片"}, headers={"HX-Request": "true"})
    assert back.status_code == 200 and 'data-review="returned"' in back.get_data(as_text=True)
    assert "有 1 次走访被第一书记退回" in helper.get("/").get_data(as_text=True)
    mine = helper.get("/reviews/").get_data(as_text=True)
    assert "请补充户主签字照片" in mine and "已整改" in mine
    fixed = helper.post(f"/reviews/{visits['flagged']}/fixed", headers={"HX-Request": "true"})
    assert 'data-review="fixed"' in fixed.get_data(as_text=True)
    other = make_client()
    other.login("h1")
    assert other.post(f"/reviews/{visits['flagged']}/fixed").status_code == 404
    assert "已整改，待复核" in sec.get("/village/helpers").get_data(as_text=True)
    ok = sec.post(url, data={"action": "reviewed", "comment": "已核实"}, headers={"HX-Request": "true"})
    assert 'data-review="reviewed"' in ok.get_data(as_text=True)
    with app.app_context():
        v = db.session.get(Visit, visits["flagged"])
        assert (v.review_status, v.review_comment, v.reviewed_by_id) == ("reviewed", "已核实", world["sec1"])


def test_team_members_and_helpers_cannot_review(make_client, world, visits):
    for username in ("team1", "h1", "admin"):
        c = make_client()
        c.login(username)
        assert c.post(f"/village/visits/{visits['plain']}/review", data={"action": "reviewed"}).status_code == 403


# --- the optional photo ---------------------------------------------------------------------------------

def _png(colour=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buf, "PNG")
    return buf.getvalue()


def test_checkin_photo(app, client, make_client, world):
    import io

    client.login("team1")
    payload = body()
    assert client.post("/api/v1/attendance", json=payload).status_code == 201
    url = f"/api/v1/attendance/{payload['client_uuid']}/photo"
    first = client.post(url, data={"photo": (io.BytesIO(_png()), "a.png")})
    assert first.status_code == 201 and first.get_json()["has_photo"] is True
    assert client.post(url, data={"photo": (io.BytesIO(_png()), "a.png")}).status_code == 200
    assert client.post(url, data={"photo": (io.BytesIO(_png((0, 90, 0))), "b.png")}).status_code == 409
    bad = client.post(url, data={"photo": (io.BytesIO(b"not an image at all"), "c.jpg")})
    assert 400 <= bad.status_code < 500 and "photo" in bad.get_json()["errors"]
    assert client.post(url, data={}).status_code == 422
    with app.app_context():
        c = db.session.scalar(db.select(Checkin))
        checkin_id, key = c.id, c.photo_key
    assert key.startswith("checkins/")
    img = client.get(f"/attendance/checkins/{checkin_id}/photo")
    assert img.status_code == 200 and img.mimetype == "image/jpeg" and img.data[:2] == b"\xff\xd8"
    assert client.get(f"/attendance/checkins/{checkin_id}/photo/thumb").status_code == 200
    assert "签到照片" in client.get("/attendance/today").get_data(as_text=True)
    for username, status in (("sec1", 200), ("admin", 200), ("sec2", 404), ("h1", 403), ("admin_x", 404)):
        c = make_client()
        c.login(username)
        assert c.get(f"/attendance/checkins/{checkin_id}/photo").status_code == status, username
    sec = make_client()
    sec.login("sec1")  # not their check-in: they may look, not add
    assert sec.post(url, data={"photo": (io.BytesIO(_png()), "a.png")}).status_code == 404
