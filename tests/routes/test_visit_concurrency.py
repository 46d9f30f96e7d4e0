"""The same visit and the same photo sent at the same moment on several connections: one row,
every answer 2xx with the same id (a real threaded server, so the requests truly overlap)."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from tests.support.factories import PASSWORD
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import Photo, Visit


@pytest.fixture
def server(live_server):
    return live_server


def _session(base: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = s.get(f"{base}/api/v1/csrf").json()["csrf_token"]
    assert s.post(f"{base}/login", data={"username": "h1", "password": PASSWORD, "csrf_token": token},
                  allow_redirects=False).status_code == 302
    return s, s.get(f"{base}/api/v1/csrf").json()["csrf_token"]


def test_parallel_replays_of_one_visit_and_one_photo(app, world, server):
    sessions = [_session(server) for _ in range(8)]
    body = visit_body(world["hh1"])

    def send(i):
        s, token = sessions[i]
        return s.post(f"{server}/api/v1/visits", json=body, headers={"X-CSRFToken": token}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1

    data, photo_uuid = jpeg(seed=1), "6b1f5d0e-9a54-4c1e-9d5e-3f2b1a0c9d77"

    def send_photo(i):
        s, token = sessions[i]
        return s.post(f"{server}/api/v1/visits/{body['client_uuid']}/photos", headers={"X-CSRFToken": token},
                      files={"photo": ("p.jpg", data, "image/jpeg")}, data={"client_uuid": photo_uuid}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send_photo, range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 1
    from pathlib import Path

    assert len([p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]) == 2
