"""Shared pieces of the hostile-input tests: what the database and the file store hold, and the two
photo endpoints (a visit's photos, a check-in's photo) behind one helper."""
import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.login import login_session_only as login  # noqa: F401 (the security tests import it from here)
from tests.support.visit_data import visit_body
from webapp.extensions import db


def row_counts(app) -> dict[str, int]:
    """Rows per table, every table of the schema."""
    with app.app_context():
        out = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        db.session.remove()
    return out


def stored_files(app) -> list[str]:
    """Every file under UPLOAD_DIR (temporary ones included), relative paths, sorted."""
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def state(app) -> tuple[dict[str, int], list[str]]:
    return row_counts(app), stored_files(app)


def checkin_body(**over) -> dict:
    body = {"client_uuid": str(uuid.uuid4()),
            "checked_in_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(microsecond=0).isoformat(),
            "latitude": 30.3005, "longitude": 109.5005, "accuracy_m": 15.0}
    body.update(over)
    return body


class Target:
    """One photo endpoint. `fresh()` makes a new visit or check-in to upload to; `send()` posts."""

    def __init__(self, name: str, client):
        self.name = name
        self.client = client

    def fresh(self, world) -> str:
        if self.name == "visit":
            body = visit_body(world["hh1"])
            resp = self.client.post("/api/v1/visits", json=body)
        else:
            body = checkin_body()
            resp = self.client.post("/api/v1/attendance", json=body)
        assert resp.status_code == 201, resp.get_json()
        return body["client_uuid"]

    def url(self, owner_uuid: str) -> str:
        if self.name == "visit":
            return f"/api/v1/visits/{owner_uuid}/photos"
        return f"/api/v1/attendance/{owner_uuid}/photo"

    def send(self, owner_uuid: str, data: bytes | None, filename: str = "photo.jpg",
             content_type: str | None = None, field: str = "photo", raw: tuple[bytes, str] | None = None):
        """Multipart with the file under `field` (and the visit endpoint's photo client_uuid), or a raw body."""
        if raw is not None:
            body, ctype = raw
            return self.client.post(self.url(owner_uuid), data=body, content_type=ctype)
        form: dict = {}
        if self.name == "visit":
            form["client_uuid"] = str(uuid.uuid4())
        if data is not None:
            form[field] = (io.BytesIO(data), filename, content_type) if content_type else (io.BytesIO(data), filename)
        return self.client.post(self.url(owner_uuid), data=form, content_type="multipart/form-data")

    def stored_keys(self, app, answer: dict) -> list[str]:
        """Storage keys of the photo and thumbnail the answer describes."""
        from webapp.models import Checkin, Photo
        from webapp.services import attendance

        with app.app_context():
            if self.name == "visit":
                photo = db.session.get(Photo, answer["id"])
                keys = [photo.storage_key, photo.thumb_key]
            else:
                checkin = db.session.get(Checkin, answer["id"])
                keys = [checkin.photo_key, attendance.thumb_key(checkin)]
            db.session.remove()
        return keys


@pytest.fixture(params=["visit", "checkin"])
def target(request, app, client, world):
    """The visit photo endpoint as helper h1, and the check-in photo endpoint as team member team1."""
    login(client, app, "h1" if request.param == "visit" else "team1")
    return Target(request.param, client)


def errors_of(resp) -> dict[str, list[str]]:
    body = resp.get_json(silent=True)
    assert isinstance(body, dict) and isinstance(body.get("errors"), dict), (resp.status_code, resp.get_data()[:300])
    return body["errors"]


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)
