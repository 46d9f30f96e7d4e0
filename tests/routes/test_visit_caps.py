"""Daily caps per helper: VISIT_DAILY_MAX visits and VISIT_DAILY_TEXT_MAX characters a
local (Asia/Shanghai) day, refused with 422 naming the field; replays of stored visits still 200."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.support.visit_data import visit_body
from webapp.extensions import db
from webapp.models import Visit

CST = timezone(timedelta(hours=8))


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Visit))


@pytest.fixture
def today():
    """A local day two days back, inside the offline window, hours as local times."""
    day = (datetime.now(CST) - timedelta(days=2)).date()
    return lambda hour, minute=0: datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def send(client, household_id, when, **over):
    body = visit_body(household_id, checked_in_at=when.isoformat(), **over)
    return body, client.post("/api/v1/visits", json=body)


def test_the_eleventh_visit_of_a_day_is_refused_and_replays_still_answer_200(app, client, world, today):
    client.login("h1")
    bodies = []
    for i in range(10):
        body, resp = send(client, world["hh1"] if i % 2 else world["hh2"], today(8, i * 5))
        assert resp.status_code == 201, resp.get_json()
        bodies.append(body)
    body, resp = send(client, world["hh1"], today(17))
    assert resp.status_code == 422
    msg = resp.get_json()["errors"]["checked_in_at"][0]
    assert "已记录 10 次走访" in msg and "每人每天最多 10 次" in msg
    assert count(app) == 10
    # the outbox replays what the server already has: answered 200 with the stored visit
    again = client.post("/api/v1/visits", json=bodies[3])
    assert again.status_code == 200 and again.get_json()["client_uuid"] == bodies[3]["client_uuid"]
    # the refused one sent again is still refused, and nothing was stored for it
    assert client.post("/api/v1/visits", json=body).status_code == 422
    assert count(app) == 10


def test_the_day_is_the_local_day_not_the_utc_one(app, client, world, today):
    client.login("h1")
    app.config["VISIT_DAILY_MAX"] = 2
    assert send(client, world["hh1"], today(0, 30))[1].status_code == 201   # 16:30 UTC the day before
    assert send(client, world["hh2"], today(23, 50))[1].status_code == 201  # 15:50 UTC
    assert send(client, world["hh1"], today(12))[1].status_code == 422
    assert send(client, world["hh1"], today(23, 50) + timedelta(minutes=20))[1].status_code == 201  # the next day
    assert count(app) == 3


def test_the_cap_is_per_helper(app, client, make_client, world, today):
    app.config["VISIT_DAILY_MAX"] = 1
    client.login("h1")
    assert send(client, world["hh1"], today(9))[1].status_code == 201
    other = make_client()
    other.login("h3")
    assert send(other, world["hh4"], today(9))[1].status_code == 201
    assert send(client, world["hh2"], today(10))[1].status_code == 422


def test_the_text_of_a_day_is_capped_naming_notes(app, client, world, today):
    client.login("h1")
    full = {"notes": "走" * 5000, "problems": "难" * 5000, "next_steps": "下" * 5000,
            "checklist": {c: {"ok": True, "note": "注" * 500} for c in ("food", "water")}}
    first, resp = send(client, world["hh1"], today(9), **full)
    assert resp.status_code == 201  # one visit with every field full fits a day (16,000 characters)
    _, resp = send(client, world["hh2"], today(10), notes="记" * 4001, checklist={})
    assert resp.status_code == 422
    msg = resp.get_json()["errors"]["notes"][0]
    assert "每人每天最多 20000 字" in msg and "已写 16000 字" in msg and "还可写 4000 字" in msg
    _, resp = send(client, world["hh2"], today(10), notes="记" * 4000, checklist={})
    assert resp.status_code == 201
    assert client.post("/api/v1/visits", json=first).status_code == 200
    assert count(app) == 2


def test_caps_are_settings(app, client, world, today):
    app.config["VISIT_DAILY_TEXT_MAX"] = 30
    client.login("h1")
    assert send(client, world["hh1"], today(9), notes="入户走访了解情况" * 3, checklist={})[1].status_code == 201
    resp = send(client, world["hh1"], today(10), notes="再次入户走访了解情况", checklist={})[1]
    assert resp.status_code == 422 and "最多 30 字" in resp.get_json()["errors"]["notes"][0]


def test_visits_sent_at_the_same_moment_are_counted_one_after_the_other(app, world, live_server, today):
    """8 different visits at once on 8 connections with a cap of 3: exactly 3 stored (PostgreSQL
    locks the helper's row; SQLite's write transactions are one at a time)."""
    import requests

    from tests.support.factories import PASSWORD

    app.config["VISIT_DAILY_MAX"] = 3
    sessions = []
    for _ in range(8):
        s = requests.Session()
        token = s.get(f"{live_server}/api/v1/csrf").json()["csrf_token"]
        assert s.post(f"{live_server}/login", data={"username": "h1", "password": PASSWORD, "csrf_token": token},
                      allow_redirects=False).status_code == 302
        sessions.append((s, s.get(f"{live_server}/api/v1/csrf").json()["csrf_token"]))
    bodies = [visit_body(world["hh1"], checked_in_at=today(9, i).isoformat()) for i in range(8)]

    def post(i):
        s, token = sessions[i]
        return s.post(f"{live_server}/api/v1/visits", json=bodies[i], headers={"X-CSRFToken": token}, timeout=60)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(r.status_code for r in pool.map(post, range(8)))
    assert codes == [201] * 3 + [422] * 5
    assert count(app) == 3
