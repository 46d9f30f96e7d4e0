"""Replays through a real gunicorn (4 worker processes × 4 threads) on the test database: the same
visit sent 20 times, 8 of them at the same instant, gives one row and the same id in every 2xx
answer; changed content under the same client_uuid is a 409 and leaves the row as it was. The
same for a photo. (test_visit_concurrency.py does the 8 parallel sends on a threaded server in
this process; here they land in different processes, each with its own connection.)"""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.factories import PASSWORD
from tests.support.live import login
from tests.support.live_gunicorn import live_gunicorn, log_problems
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import Photo, Visit

pytestmark = pytest.mark.slow  # a real gunicorn, twenty replays at once


def _row(app, client_uuid: str) -> dict:
    with app.app_context():
        v = db.session.scalar(select(Visit).where(Visit.client_uuid == client_uuid))
        row = {c.key: getattr(v, c.key) for c in Visit.__table__.columns}
        db.session.remove()
        return row


def _count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return n


def test_same_visit_twenty_times_eight_at_once(app, world, tmp_path):
    body = visit_body(world["hh1"])
    with live_gunicorn(app, tmp_path) as server:
        sessions = [login(server.base, "h1", PASSWORD) for _ in range(8)]
        url = f"{server.base}/api/v1/visits"
        start = threading.Barrier(8)

        def send(i, payload=body):
            s, token = sessions[i % 8]
            if payload is body and i < 8:
                start.wait(30)  # the first 8 leave together
            return s.post(url, json=payload, headers={"X-CSRFToken": token}, timeout=60)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(8)))
        # 12 more, one after the other from the 8 phones' sessions, as outbox retries come
        answers += [send(i) for i in range(8, 19)]
        # the same content written differently (keys in another order, the time in UTC) is the same visit
        same = dict(reversed(list(body.items())))
        same["checked_in_at"] = datetime.fromisoformat(body["checked_in_at"]).astimezone(timezone.utc).isoformat()
        answers.append(send(19, same))

        assert len(answers) == 20
        assert all(a.status_code in (200, 201) for a in answers), [(a.status_code, a.text[:200]) for a in answers]
        assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
        assert len({a.json()["id"] for a in answers}) == 1
        assert _count(app, Visit) == 1
        before = _row(app, body["client_uuid"])

        # changed content under the same client_uuid: 409, sent alone and 4 at once
        changed = {**body, "notes": "改过的内容：不应覆盖原记录。"}
        moved = {**body, "latitude": body["latitude"] + 0.01}
        assert send(0, changed).status_code == 409
        with ThreadPoolExecutor(4) as pool:
            conflicts = list(pool.map(lambda i: send(i, changed if i % 2 else moved), range(4)))
        assert [c.status_code for c in conflicts] == [409] * 4
        assert all("client_uuid" in c.json()["errors"] for c in conflicts)
        assert _count(app, Visit) == 1
        assert _row(app, body["client_uuid"]) == before
        s, token = sessions[0]
        assert s.get(f"{url}/{body['client_uuid']}", timeout=30).json()["notes"] == body["notes"]
    assert log_problems(tmp_path) == []


def test_same_photo_twenty_times_eight_at_once(app, world, tmp_path):
    body = visit_body(world["hh1"])
    data, photo_uuid = jpeg(seed=21, size=(1200, 900)), "0d7c3c52-2f41-4b8e-9d7e-5a1f3c2b9e10"
    with live_gunicorn(app, tmp_path) as server:
        sessions = [login(server.base, "h1", PASSWORD) for _ in range(8)]
        s, token = sessions[0]
        assert s.post(f"{server.base}/api/v1/visits", json=body, headers={"X-CSRFToken": token},
                      timeout=60).status_code == 201
        url = f"{server.base}/api/v1/visits/{body['client_uuid']}/photos"
        start = threading.Barrier(8)

        def send(i, content=data):
            s, token = sessions[i % 8]
            if i < 8:
                start.wait(30)
            return s.post(url, headers={"X-CSRFToken": token}, files={"photo": ("p.jpg", content, "image/jpeg")},
                          data={"client_uuid": photo_uuid}, timeout=60)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(8)))
        answers += [send(i) for i in range(8, 20)]
        assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text[:200] for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert _count(app, Photo) == 1
        files = sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())
        assert len(files) == 2  # the photo and its thumbnail; the losers' files were removed
        # the same photo uuid on another visit is a conflict; nothing is added
        other = visit_body(world["hh2"])
        assert s.post(f"{server.base}/api/v1/visits", json=other, headers={"X-CSRFToken": token},
                      timeout=60).status_code == 201
        r = s.post(f"{server.base}/api/v1/visits/{other['client_uuid']}/photos", headers={"X-CSRFToken": token},
                   files={"photo": ("p.jpg", data, "image/jpeg")}, data={"client_uuid": photo_uuid}, timeout=60)
        assert r.status_code == 409
        assert _count(app, Photo) == 1
        assert sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()) == files
    assert log_problems(tmp_path) == []
