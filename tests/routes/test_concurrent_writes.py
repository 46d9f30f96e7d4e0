"""Writes about one record sent at the same moment on several connections (a real
threaded server, so that on PostgreSQL the requests truly overlap): the later ones must see what
the first stored."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select

from tests.security.conftest import checkin_body
from tests.support.factories import PASSWORD
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import AuditLog, Leave, Photo, Visit, VisitAmendment
from webapp.services.calendar import local_today

N = 6


def _session(base: str, username: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = s.get(f"{base}/api/v1/csrf").json()["csrf_token"]
    assert s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                  allow_redirects=False).status_code == 302
    return s, s.get(f"{base}/api/v1/csrf").json()["csrf_token"]


def test_two_amendments_of_one_returned_visit_at_once_store_one(app, world, client, make_client, live_server):
    client.login("h1")
    body = visit_body(world["hh1"], notes="电话联系户主")
    assert client.post("/api/v1/visits", json=body).status_code == 201
    vid = client.get(f"/api/v1/visits/{body['client_uuid']}").get_json()["id"]
    sec = make_client()
    sec.login("sec1")
    assert sec.post(f"/village/visits/{vid}/review", data={"action": "returned", "comment": "请补充走访内容"},
                    headers={"HX-Request": "true"}).status_code == 200
    sessions = [_session(live_server, "h1") for _ in range(N)]

    def send(i):
        s, token = sessions[i]
        return s.post(f"{live_server}/api/v1/visits/{body['client_uuid']}/amendments", headers={"X-CSRFToken": token},
                      json={"client_uuid": str(uuid.uuid4()), "notes": f"第{i}次补充：入户了解收入情况。"}, timeout=30)

    with ThreadPoolExecutor(N) as pool:
        answers = list(pool.map(send, range(N)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.text for a in answers]
    assert all("不能再次修改" in a.json()["errors"]["client_uuid"][0] for a in answers if a.status_code == 409)
    with app.app_context():
        (amendment,) = db.session.scalars(select(VisitAmendment)).all()
        visit = db.session.get(Visit, vid)
        assert amendment.notes_before == "电话联系户主" and visit.notes == amendment.notes_after
        assert visit.review_status == "fixed"


def test_two_overlapping_leave_requests_at_once_store_one(app, world, live_server):
    sessions = [_session(live_server, "team1") for _ in range(N)]
    start = local_today() + timedelta(days=7)

    def send(i):
        s, token = sessions[i]
        return s.post(f"{live_server}/attendance/leave", timeout=30, data={
            "csrf_token": token, "kind": "事假", "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=i)).isoformat(), "reason": f"家中有事（{i}）"})

    with ThreadPoolExecutor(N) as pool:
        answers = list(pool.map(send, range(N)))
    assert sorted(a.status_code for a in answers) == [200] + [422] * (N - 1), [a.status_code for a in answers]
    assert all("重叠" in a.text for a in answers if a.status_code == 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Leave)) == 1




def test_one_leave_decided_twice_at_once_is_decided_once(app, world, make_client, live_server):
    member = make_client()
    member.login("team1")
    start = local_today() + timedelta(days=7)
    assert member.post("/attendance/leave", data={"kind": "事假", "start_date": start.isoformat(),
                                                  "end_date": start.isoformat(), "reason": "家中有事"}).status_code == 200
    with app.app_context():
        leave_id = db.session.scalar(select(Leave.id))
    sessions = [_session(live_server, "sec1") for _ in range(N)]

    def send(i):
        s, token = sessions[i]
        decision = {"decision": "approve" if i % 2 else "reject", "comment": f"审批意见（{i}）"}
        return s.post(f"{live_server}/attendance/leave/{leave_id}/decide", timeout=30, headers={"HX-Request": "true"},
                      data={"csrf_token": token, **decision})

    with ThreadPoolExecutor(N) as pool:
        answers = list(pool.map(send, range(N)))
    assert [a.status_code for a in answers] == [200] * N
    assert sum("不能再审批" in a.text for a in answers) == N - 1
    with app.app_context():
        decided = db.session.scalars(select(AuditLog).where(AuditLog.action.in_(("leave.approved", "leave.rejected")))).all()
        assert len(decided) == 1
        lv = db.session.get(Leave, leave_id)
        assert lv.status == decided[0].action.split(".")[1] and decided[0].details["comment"] == lv.comment


def test_photos_sent_at_once_never_pass_the_visits_limit(app, world, client, live_server):
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    limit = app.config["MAX_PHOTOS_PER_VISIT"]
    n = limit + 3
    sessions = [_session(live_server, "h1") for _ in range(n)]
    images = [jpeg(seed=i, size=(64, 48)) for i in range(n)]

    def send(i):
        s, token = sessions[i]
        return s.post(f"{live_server}/api/v1/visits/{body['client_uuid']}/photos", headers={"X-CSRFToken": token},
                      files={"photo": ("p.jpg", images[i], "image/jpeg")}, data={"client_uuid": str(uuid.uuid4())},
                      timeout=60)

    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(send, range(n)))
    assert sorted(a.status_code for a in answers) == [201] * limit + [422] * 3, [a.status_code for a in answers]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)) == limit


def test_two_photos_sent_at_once_to_one_checkin_keep_one(app, world, client, live_server):
    client.login("team1")
    body = checkin_body()
    assert client.post("/api/v1/attendance", json=body).status_code == 201
    sessions = [_session(live_server, "team1") for _ in range(N)]
    images = [jpeg(seed=i, size=(64, 48)) for i in range(N)]

    def send(i):
        s, token = sessions[i]
        return s.post(f"{live_server}/api/v1/attendance/{body['client_uuid']}/photo", headers={"X-CSRFToken": token},
                      files={"photo": ("p.jpg", images[i], "image/jpeg")}, timeout=60)

    with ThreadPoolExecutor(N) as pool:
        answers = list(pool.map(send, range(N)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.status_code for a in answers]
    assert all("已经有一张照片" in a.json()["errors"]["photo"][0] for a in answers if a.status_code == 409)
    # the photo kept is the one answered 201, and no other file was left behind
    assert len([p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]) == 2
